"""Real receivers at the system's boundary: an SMTP server (aiosmtpd) and an HTTP webhook
endpoint that checks signatures, both on loopback."""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from infra.channels import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@contextmanager
def smtp_server(port: int) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


class Hooks:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0


@contextmanager
def webhook_receiver(secret: str) -> Iterator[tuple[str, Hooks]]:
    hooks = Hooks(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = signature(hooks.secret, self.headers[TIMESTAMP_HEADER], body)
            if self.headers[SIGNATURE_HEADER] != expected:
                hooks.bad_signatures += 1
                self.send_response(401)
            else:
                hooks.received.append({"key": self.headers[KEY_HEADER], **json.loads(body)})
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/starledger", hooks
    finally:
        server.shutdown()
        server.server_close()

"""Real receivers at the system's boundary: an SMTP server (aiosmtpd) and an HTTP webhook
endpoint that checks signatures, both on loopback."""

from __future__ import annotations

import asyncio
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

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


class HoldingMailbox:
    """One deliverer's mail server, writing into a list shared with others: (port, Message-ID) per
    accepted message. With `hold_after`, the message after that many is held unanswered until
    `release` (`holding` says when, `held` which one). Then it is refused with 451 — never
    accepted, as when the deliverer dies waiting for the answer — or, with `accept_held`, it was
    accepted (kept) before the answer that the deliverer never reads: SMTP's own duplicate window."""

    def __init__(
        self,
        port: int,
        accepted: list[tuple[int, str]],
        hold_after: int | None = None,
        accept_held: bool = False,
    ) -> None:
        self.port, self.accepted, self.hold_after, self.accept_held = port, accepted, hold_after, accept_held
        self.count = 0
        self.held: str | None = None
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        if self.hold_after is not None and self.count >= self.hold_after and self.held is None:
            self.held = str(message["Message-ID"])
            if self.accept_held:
                self.count += 1
                self.accepted.append((self.port, self.held))
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "250 OK" if self.accept_held else "451 4.3.0 Not accepted, try again later"
        self.count += 1
        self.accepted.append((self.port, str(message["Message-ID"])))
        return "250 OK"


@contextmanager
def holding_smtp_server(mailbox: HoldingMailbox) -> Iterator[HoldingMailbox]:
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        mailbox.release.set()
        controller.stop()


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
        def do_POST(self) -> None:
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

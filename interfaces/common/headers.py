"""Security headers on every response: an ASGI middleware around the whole application, so
error responses, error pages, not-found and wrong-method answers, static files, /health and the
OpenAPI document carry them too — not only what a route handler returns.

- Content-Security-Policy: only our own scripts, styles and images; no plugins; forms post only
  to us; no <base> element; no framing (frame-ancestors, and X-Frame-Options for old browsers).
- X-Content-Type-Options: nosniff; Referrer-Policy: same-origin.
- Strict-Transport-Security when the public address is https.
- Cache-Control: no-store on every answer to a request carrying credentials (a bearer token or
  the session cookie) and on every answer setting a cookie, whatever the handler said; static
  files are revalidated (no-cache); other anonymous answers keep what their handler chose.
- If the application fails before it has answered at all, a 500 problem+json with the same headers."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger("starledger.http")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"


def security_headers(https: bool) -> dict[str, str]:
    """The headers every response carries (lower-case names)."""
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "cross-origin-opener-policy": "same-origin",
    }
    if https:
        headers["strict-transport-security"] = HSTS
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool = False, session_cookie: str = "sl_session") -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in security_headers(https).items()]
        self.session_cookie = session_cookie.encode() + b"="

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentialed = self._carries_credentials(scope)
        static = scope["path"].startswith("/static/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = self._with_headers(list(message.get("headers") or []), credentialed, static)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise
            log.exception("unanswered error on %s %s", scope.get("method"), scope.get("path"))
            await self._internal_error(send)

    def _carries_credentials(self, scope: Scope) -> bool:
        for name, value in scope.get("headers") or []:
            if name == b"authorization" and value.strip():
                return True
            if name == b"cookie" and any(c.strip().startswith(self.session_cookie) for c in value.split(b";")):
                return True
        return False

    def _with_headers(self, headers: list[tuple[bytes, bytes]], credentialed: bool, static: bool) -> list[Any]:
        present = {bytes(name).lower() for name, _ in headers}
        headers += [(name, value) for name, value in self.headers if name not in present]
        if credentialed or b"set-cookie" in present:
            headers = [(n, v) for n, v in headers if bytes(n).lower() != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
        elif static and b"cache-control" not in present:
            headers.append((b"cache-control", b"no-cache"))
        return headers

    async def _internal_error(self, send: Any) -> None:
        body = json.dumps(
            {
                "type": "urn:starledger:problem:server.error",
                "title": "Internal error; it has been logged",
                "status": 500,
                "detail": "Internal error; it has been logged",
                "code": "server.error",
                "message_zh": "服务器内部错误,已记录",
                "message_en": "Internal error; it has been logged",
            },
            ensure_ascii=False,
        ).encode()
        headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": self._with_headers(headers, credentialed=True, static=False),
            }
        )
        await send({"type": "http.response.body", "body": body})

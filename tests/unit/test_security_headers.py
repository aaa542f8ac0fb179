"""The security-headers middleware on its own: what it adds, and its answer when the
application fails before answering at all."""

from __future__ import annotations

from typing import Any

import anyio

from interfaces.common.headers import SecurityHeaders, security_headers

REQUIRED = security_headers(https=False)


def test_an_application_failing_before_it_answers_still_gets_a_500_problem_with_the_headers() -> None:
    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("broken before answering")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/register", "headers": []}
    anyio.run(SecurityHeaders(failing), scope, receive, send)
    start, body = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    assert start["status"] == 500 and headers["content-type"] == "application/problem+json"
    assert all(headers[name] == value for name, value in REQUIRED.items())
    assert b"server.error" in body["body"]

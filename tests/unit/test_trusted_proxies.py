"""Which client address and scheme the application sees, behind which proxies."""

from __future__ import annotations

import ipaddress
from typing import Any

import anyio

from interfaces.common.proxies import TrustedProxies

PROXIES = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("2001:db8::/32"))


def seen(peer: str, headers: dict[str, str], proxies: Any = PROXIES) -> tuple[str, str]:
    found: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        found.update(scope)

    scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    anyio.run(TrustedProxies(app, proxies), scope, None, None)
    return found["client"][0], found["scheme"]


def test_forwarded_headers_from_anyone_else_are_ignored() -> None:
    forged = {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"}
    assert seen("127.0.0.1", forged) == ("127.0.0.1", "http")
    assert seen("192.0.2.5", forged) == ("192.0.2.5", "http")
    assert seen("10.0.0.7", forged, proxies=()) == ("10.0.0.7", "http")


def test_a_trusted_proxy_names_the_client_and_the_scheme() -> None:
    assert seen("10.0.0.7", {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"}) == ("198.51.100.1", "https")
    assert seen("2001:db8::1", {"X-Forwarded-For": "[2001:db9::5]:443"}) == ("2001:db9::5", "http")


def test_the_client_is_the_first_address_from_the_right_our_proxies_did_not_add() -> None:
    chain = {"X-Forwarded-For": "203.0.113.66, 198.51.100.1, 10.0.0.9"}
    assert seen("10.0.0.7", chain)[0] == "198.51.100.1"
    assert seen("10.0.0.7", {"X-Forwarded-For": "10.0.0.3, 10.0.0.9"})[0] == "10.0.0.3"
    assert seen("10.0.0.7", {"X-Forwarded-For": "not-an-address, 10.0.0.9"})[0] == "10.0.0.9"
    assert seen("10.0.0.7", {})[0] == "10.0.0.7"

"""Who the client is, behind reverse proxies named in configuration only.

The peer of the connection is the client, unless that peer is one of STARLEDGER_TRUSTED_PROXIES
(default: none). Then X-Forwarded-For is read from the right: addresses our own proxies added
are skipped, and the first one they did not add is the client (what a client wrote itself sits
further left and is never believed); X-Forwarded-Proto from such a proxy gives the scheme.
Anyone else's X-Forwarded-* headers are ignored, so a client cannot rotate its address to get
past the sign-in throttle. (uvicorn must not rewrite the peer itself: `serve` runs it with
SERVER_OPTIONS.)"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, MutableMapping
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# uvicorn believes X-Forwarded-For from any loopback peer by default; here TrustedProxies decides.
SERVER_OPTIONS: dict[str, Any] = {"proxy_headers": False, "server_header": False}


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:51000
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class TrustedProxies:
    def __init__(self, app: Any, proxies: Iterable[Network] = ()) -> None:
        self.app = app
        self.proxies = tuple(proxies)

    def trusted(self, host: str | None) -> bool:
        address = _address(host) if host else None
        return address is not None and any(address in network for network in self.proxies)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if self.proxies and scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            if peer and self.trusted(peer[0]):
                self._believe_forwarded(scope, peer)
        await self.app(scope, receive, send)

    def _believe_forwarded(self, scope: MutableMapping[str, Any], peer: tuple[str, int]) -> None:
        headers: dict[bytes, list[str]] = {}
        for name, value in scope.get("headers") or []:
            headers.setdefault(name.lower(), []).append(value.decode("latin-1"))
        hops = [h.strip() for line in headers.get(b"x-forwarded-for", []) for h in line.split(",") if h.strip()]
        client = None
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # garbage from the client's side: stop, keep the last proxy's view
            client = str(address)
            if not any(address in network for network in self.proxies):
                break
        if client is not None:
            scope["client"] = (client, 0)
        proto = (headers.get(b"x-forwarded-proto") or [""])[-1].split(",")[-1].strip().lower()
        if proto in ("http", "https"):
            scope["scheme"] = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]

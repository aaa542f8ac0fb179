"""Defence in depth: the client's address behind trusted proxies only, sessions that end when
idle, Secure cookies behind https, and passwords that are not the commonest ones."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

import httpx
import pytest

from application.demo import DEMO_PASSWORD, seed_demo
from interfaces.http.app import create_app
from tests.support.server import serving

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # nothing here depends on the database


def sign_in(base: str, username: str, password: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    answer = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password}, headers=headers)
    return answer.status_code


def app_with(system: Any, **settings: Any) -> Any:
    seed_demo(system, say=lambda _: None)
    system.settings = replace(system.settings, **settings)
    return create_app(system)


@ON_SQLITE
def test_a_client_cannot_rotate_its_address_past_the_throttle_with_x_forwarded_for(system) -> None:
    """No proxies configured (the default): a client on the host itself, over loopback, claiming
    another address on every attempt is still one address to the throttle."""
    with serving(app_with(system)) as base:
        for n in range(5):
            assert sign_in(base, f"nobody{n}", "wrong-password", forwarded_for=f"198.51.100.{n}") == 401
        assert sign_in(base, "registrar", DEMO_PASSWORD, forwarded_for="198.51.100.99") == 429
        assert sign_in(base, "registrar", DEMO_PASSWORD) == 429


@ON_SQLITE
def test_x_forwarded_for_from_a_configured_proxy_names_the_client(system) -> None:
    """127.0.0.1 named as our proxy: the address it forwards is the one throttled, and what a
    client wrote into the header before the proxy appended the real address is not believed."""
    loopback = (ipaddress.ip_network("127.0.0.1/32"),)
    with serving(app_with(system, trusted_proxies=loopback)) as base:
        for n in range(5):
            assert sign_in(base, f"nobody{n}", "wrong-password", forwarded_for="203.0.113.7") == 401
        assert sign_in(base, "registrar", DEMO_PASSWORD, forwarded_for="203.0.113.7") == 429
        assert sign_in(base, "registrar", DEMO_PASSWORD, forwarded_for="203.0.113.99, 203.0.113.7") == 429
        assert sign_in(base, "registrar", DEMO_PASSWORD, forwarded_for="203.0.113.8") == 200


@ON_SQLITE
def test_cookies_are_secure_whenever_the_public_url_is_https(system) -> None:
    import re

    from litestar.testing import TestClient

    for public_url, secure in (("https://starledger.example.gov.cn", True), ("http://127.0.0.1:8000", False)):
        app = app_with(system, public_url=public_url, secure_cookies=False)
        with TestClient(app, base_url=public_url) as client:
            form = client.get("/login")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
            signed_in = client.post("/login", data={"username": "registrar", "password": DEMO_PASSWORD,
                                                    "_csrf_token": csrf}, follow_redirects=False)
            assert signed_in.status_code == 303
            for cookie in (form.headers["set-cookie"], signed_in.headers["set-cookie"]):
                assert ("; Secure" in cookie or "; secure" in cookie) == secure, (public_url, cookie)

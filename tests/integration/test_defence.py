"""Defence in depth: the client's address behind trusted proxies only, sessions that end when
idle, Secure cookies behind https, and passwords that are not the commonest ones."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from application.context import system_context
from application.demo import DEMO_PASSWORD, DemoRefused, seed_demo
from domain.organization import OrganizationType, Profile
from infra.accounts import common_passwords
from interfaces.app import create_app
from tests.integration.helpers import code
from tests.support.server import free_port, serving

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # nothing here depends on the database


def sign_in(base: str, username: str, password: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    answer = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": password}, headers=headers)
    return answer.status_code


def app_with(system: Any, **settings: Any) -> Any:
    """The app on a system holding the demo data (the test asks for `demo`), with these settings."""
    system.settings = replace(system.settings, **settings)
    return create_app(system)


@ON_SQLITE
@pytest.mark.usefixtures("demo")
def test_a_client_cannot_rotate_its_address_past_the_throttle_with_x_forwarded_for(system) -> None:
    """No proxies configured (the default): a client on the host itself, over loopback, claiming
    another address on every attempt is still one address to the throttle."""
    with serving(app_with(system)) as base:
        for n in range(5):
            assert sign_in(base, f"nobody{n}", "wrong-password", forwarded_for=f"198.51.100.{n}") == 401
        assert sign_in(base, "registrar", DEMO_PASSWORD, forwarded_for="198.51.100.99") == 429
        assert sign_in(base, "registrar", DEMO_PASSWORD) == 429


@ON_SQLITE
@pytest.mark.usefixtures("demo")
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
@pytest.mark.usefixtures("demo")
def test_cookies_are_secure_whenever_the_public_url_is_https(system) -> None:
    for public_url, secure in (("https://starledger.example.gov.cn", True), ("http://127.0.0.1:8000", False)):
        app = app_with(system, public_url=public_url, secure_cookies=False)
        with TestClient(app, base_url=public_url) as client:
            form = client.get("/login")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
            signed_in = client.post(
                "/login", data={"username": "registrar", "password": DEMO_PASSWORD, "_csrf_token": csrf}, follow_redirects=False
            )
            assert signed_in.status_code == 303
            for cookie in (form.headers["set-cookie"], signed_in.headers["set-cookie"]):
                assert ("; Secure" in cookie or "; secure" in cookie) == secure, (public_url, cookie)


def event_count(system: Any) -> int:
    return int(system.store.recorder.max_notification_id() or 0)


def test_demo_data_goes_into_an_empty_store_once_and_a_demo_store_is_left_as_it_is(system) -> None:
    assert seed_demo(system, say=lambda _: None) is True
    seeded = event_count(system)
    assert seeded > 50 and {"registrar", "admin"} <= {u.username for u in system.accounts.users()}
    assert seed_demo(system, say=lambda _: None) is False
    assert event_count(system) == seeded


def test_demo_data_is_refused_into_a_store_holding_other_data(system) -> None:
    """Real records, even without a user named `registrar`: the demo accounts (whose password is
    public) would open them to anyone. Refused with a clear message, and nothing is added."""
    organizations = system.organizations
    ctx = system_context("registrar", "real-data")
    profile = Profile("真实数据协会", OrganizationType.SOCIAL_ASSOCIATION, "张三", "某市某路1号", "340711", "铜陵市郊区")
    organizations.register_organization(ctx, profile, code(1), system.store.today())
    before = event_count(system)
    with pytest.raises(DemoRefused) as refused:
        seed_demo(system, say=lambda _: None)
    assert "empty data folder" in refused.value.message_en and "空的数据目录" in refused.value.message_zh
    assert event_count(system) == before and system.accounts.users() == []


def test_demo_data_is_refused_into_a_store_with_accounts_only(system) -> None:
    system.accounts.add_user("clerk", "a-long-password", "admin")
    with pytest.raises(DemoRefused):
        seed_demo(system, say=lambda _: None)
    assert [u.username for u in system.accounts.users()] == ["clerk"] and event_count(system) == 0


def starledger(data_dir: Path, *args: str, port: int = 0, stdin: str | None = None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "STARLEDGER_DATA_DIR": str(data_dir),
        "STARLEDGER_DATABASE_URL": "",
        "STARLEDGER_PORT": str(port),
        "STARLEDGER_LOG_LEVEL": "warning",
        "STARLEDGER_SCHEDULER": "off",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", *args],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def serve_demo_until_healthy(data_dir: Path) -> None:
    """What `make run` does: `starledger serve --demo`; then sign in as a demo user and stop it."""
    port = free_port()
    server = starledger(data_dir, "serve", "--demo", port=port)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "serve --demo did not become healthy"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert sign_in(f"http://127.0.0.1:{port}", "registrar", DEMO_PASSWORD) == 200
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def test_make_run_works_on_a_fresh_machine_and_the_second_time(tmp_path: Path) -> None:
    serve_demo_until_healthy(tmp_path / "var")  # seeds the empty store
    serve_demo_until_healthy(tmp_path / "var")  # the store is a demo store now: served as it is


def test_serve_demo_against_a_store_with_other_data_refuses_and_exits_non_zero(tmp_path: Path) -> None:
    added = starledger(tmp_path, "users", "add", "clerk", "--role", "admin", "--password-stdin")
    assert added.communicate("a-long-password\n", timeout=120)[0].startswith("added clerk")
    refused = starledger(tmp_path, "serve", "--demo", port=free_port())
    out, err = refused.communicate(timeout=120)
    assert refused.returncode == 2, (out, err)
    assert "serve --demo refused" in err and "empty data folder" in err and "演示" in err
    listed = starledger(tmp_path, "users", "list").communicate(timeout=120)[0]
    assert "clerk" in listed and "registrar" not in listed


def signed_in_as(client: TestClient[Any], username: str) -> dict[str, str]:
    answer = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.mark.usefixtures("demo")
def test_a_session_ends_after_an_hour_without_a_request_and_requests_keep_it_alive(system, clock) -> None:
    assert system.settings.session_idle_minutes == 60
    with TestClient(app_with(system)) as client:
        token = signed_in_as(client, "registrar")
        for _ in range(4):  # four hours of work, a request every 55 minutes
            clock.advance(minutes=55)
            assert client.get("/api/auth/me", headers=token).status_code == 200
        clock.advance(minutes=61)
        expired = client.get("/api/auth/me", headers=token)
        assert expired.status_code == 401 and expired.json()["code"] == "auth.required"
        assert client.get("/api/auth/me", headers=signed_in_as(client, "registrar")).status_code == 200


@pytest.mark.usefixtures("demo")
def test_a_session_ends_after_its_absolute_limit_however_busy(system, clock) -> None:
    with TestClient(app_with(system)) as client:
        token = signed_in_as(client, "chair")
        for _ in range(23):  # 11 h 30 min, a request every half hour
            clock.advance(minutes=30)
            assert client.get("/api/auth/me", headers=token).status_code == 200
        clock.advance(minutes=31)
        assert client.get("/api/auth/me", headers=token).status_code == 401


@pytest.mark.usefixtures("demo")
def test_an_idle_page_session_sends_the_person_to_sign_in_again(system, clock) -> None:
    with TestClient(app_with(system)) as client:
        form = client.get("/login")
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
        client.post("/login", data={"username": "registrar", "password": DEMO_PASSWORD, "_csrf_token": csrf})
        assert client.get("/organizations/new", follow_redirects=False).status_code == 200
        clock.advance(minutes=61)
        again = client.get("/organizations/new", headers={"Accept": "text/html"}, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    "password, code_",
    [
        ("password123", "user.password_common"),
        ("Qwertyuiop", "user.password_common"),
        ("woaini1314", "user.password_common"),
        ("1qaz2wsx3edc", "user.password_common"),
        ("inspector7", "user.password_is_username"),
        ("Inspector7", "user.password_is_username"),
        ("short-pw", "user.password_short"),
    ],
)
def test_the_commonest_passwords_the_username_and_short_ones_are_refused(system, password, code_) -> None:
    from domain.errors import InvalidValue

    with pytest.raises(InvalidValue) as refused:
        system.accounts.add_user("inspector7", password, "auditor")
    assert refused.value.code == code_ and refused.value.message_zh and refused.value.message_en
    assert system.accounts.users() == []


def test_an_uncommon_long_enough_password_is_accepted_and_checked_on_change_too(system) -> None:
    from domain.errors import InvalidValue

    system.accounts.add_user("inspector7", "tea-kettle-on-the-hill", "auditor")
    with pytest.raises(InvalidValue, match="commonest"):
        system.accounts.set_password("inspector7", "iloveyou123")
    system.accounts.set_password("inspector7", "another-quiet-afternoon")
    assert len(common_passwords()) > 10_000 and "12345678" in common_passwords()

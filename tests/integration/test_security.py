"""Who may call what: every API endpoint × every role, and the pages' defences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import uuid5

import pytest
from litestar.testing import TestClient

from application.demo import _NS, DEMO_PASSWORD
from application.queries.register import RegisterQuery
from domain.provenance import Role
from interfaces.app import create_app

ROLES = ["public", "admin", "registrar", "chair", "evaluator", "organization", "auditor"]
USERNAMES = {
    "admin": "admin",
    "registrar": "registrar",
    "chair": "chair",
    "evaluator": "evaluator",
    "organization": "org",
    "auditor": "auditor",
}
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def app_and_client(demo) -> Iterator[tuple[Any, TestClient[Any]]]:
    app = create_app(demo)
    with TestClient(app) as client:
        yield app, client


def token(client: TestClient[Any], role: str) -> dict[str, str]:
    if role == "public":
        return {}
    answer = client.post("/api/auth/login", json={"username": USERNAMES[role], "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def api_operations(app: Any) -> list[tuple[str, str, frozenset[str]]]:
    found = []
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for handler in getattr(route, "route_handlers", []):
            roles = [g.roles for g in handler.guards or [] if hasattr(g, "roles")]
            allowed = frozenset(r.value for r in roles[0]) if roles else frozenset(ROLES)
            for method in handler.http_methods:
                found.append((method, route.path, allowed))
    return found


def test_every_endpoint_admits_exactly_the_roles_it_declares(app_and_client, system) -> None:
    app, client = app_and_client
    own = system.register_view.search(RegisterQuery(text="铜陵市郊区社会组织联合会")).items[0]
    case = system.evaluations.evaluation(uuid5(_NS, "demo-evaluation"))  # the org user's own case
    from application.queries.reminders import ReminderQuery

    reminder = system.reminder_view.reminders(ReminderQuery()).items[0]
    ids = {
        "organization_id": own.id,
        "evaluation_id": case.id,
        "expert_id": case.panel[0].expert_id,
        "reminder_id": reminder.id,
        "aggregate_id": own.id,
        "round_id": uuid5(_NS, "demo-round"),
        "project_id": uuid5(_NS, "demo-project-tl-hub"),
        "check_id": uuid5(_NS, "x"),  # no spot check in the demo: 404 for the roles admitted
        "draw_id": uuid5(_NS, "x"),
        "complaint_id": uuid5(_NS, "x"),  # main's complaints routes (not in main's list yet)
    }  # the org user's own project
    last_year = system.store.today().year - 1
    document = system.inspections.inspection(own.id, last_year).documents[0].document.sha256  # the draft's audit report
    operations = api_operations(app)
    assert len(operations) >= 40
    tokens = {role: token(client, role) for role in ROLES}
    wrong = []
    for method, path, allowed in operations:
        url = re.sub(r"\{(\w+):uuid\}", lambda m: str(ids[m.group(1)]), path).replace("{code:str}", own.code)
        url = url.replace("{year:int}", str(last_year)).replace("{list_name:str}", "abnormal").replace("{version:int}", "1")
        url = url.replace("{key:str}", "grades").replace("{sha256:str}", document)
        url = url.replace("{number:str}", "340000-2026-0001")  # the demo's certificate (not the org user's: 403 for it)
        for role in ROLES:
            if path == "/api/auth/logout" and role != "public":
                continue  # would end the session the rest of the matrix uses
            answer = client.request(method, url, json={}, headers={**tokens[role], "If-Match": '"999"'})
            if (method, path, role) == ("GET", "/api/certificates/{number:str}/pdf", "organization"):
                assert answer.status_code == 403  # admitted by role, refused for another organization's certificate
                continue
            denied = answer.status_code in (401, 403)
            if denied == (role in allowed):
                wrong.append((method, path, role, answer.status_code))
            if denied:
                expected = 401 if role == "public" else 403
                assert answer.status_code == expected, (method, path, role, answer.text)
                assert answer.headers["content-type"].startswith("application/problem+json")
    assert wrong == [], "\n".join(map(str, wrong))


def test_mutating_endpoints_refuse_the_auditor(app_and_client) -> None:
    app, _ = app_and_client
    mutating = [(m, p, a) for m, p, a in api_operations(app) if m in {"POST", "PUT", "PATCH", "DELETE"} and "/auth/" not in p]
    assert mutating and all(Role.AUDITOR.value not in allowed for _, _, allowed in mutating)


def test_an_organization_user_cannot_read_another_organizations_history(app_and_client, system) -> None:
    _, client = app_and_client
    other = system.register_view.search(RegisterQuery(text="宣城市青年志愿者协会")).items[0]
    answer = client.get(f"/api/organizations/{other.id}/history", headers=token(client, "organization"))
    assert answer.status_code == 403


def test_forms_need_the_csrf_token(app_and_client) -> None:
    _, client = app_and_client
    client.get("/login")  # sets the CSRF cookie
    refused = client.post("/login", data={"username": "registrar", "password": DEMO_PASSWORD})
    assert refused.status_code == 403
    form = client.get("/login").text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
    accepted = client.post(
        "/login", data={"username": "registrar", "password": DEMO_PASSWORD, "_csrf_token": csrf}, follow_redirects=False
    )
    assert accepted.status_code == 303
    cookie = accepted.headers["set-cookie"]
    assert "sl_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


def test_pages_carry_security_headers(app_and_client) -> None:
    _, client = app_and_client
    headers = client.get("/register").headers
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in headers["content-security-policy"]


def test_sign_in_is_throttled_per_account_and_per_address(app_and_client, clock) -> None:
    _, client = app_and_client
    wrong = {"username": "registrar", "password": "not-the-password"}
    for _ in range(5):
        assert client.post("/api/auth/login", json=wrong).status_code == 401
    refused = client.post("/api/auth/login", json={"username": "registrar", "password": DEMO_PASSWORD})
    assert refused.status_code == 429 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "auth.too_many_attempts" and 1 <= int(refused.headers["retry-after"]) <= 901
    # the same address is paused for other accounts too
    assert client.post("/api/auth/login", json={"username": "chair", "password": DEMO_PASSWORD}).status_code == 429
    clock.advance(seconds=901)
    assert client.post("/api/auth/login", json={"username": "registrar", "password": DEMO_PASSWORD}).status_code == 200


@pytest.mark.usefixtures("demo")
def test_behind_https_the_session_and_csrf_cookies_are_secure(system) -> None:
    system.settings = replace(system.settings, secure_cookies=True)
    with TestClient(create_app(system), base_url="https://testserver.local") as client:
        form = client.get("/login")
        assert "Secure" in form.headers["set-cookie"] and "sl_csrf=" in form.headers["set-cookie"]
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
        signed_in = client.post(
            "/login", data={"username": "registrar", "password": DEMO_PASSWORD, "_csrf_token": csrf}, follow_redirects=False
        )
        cookie = signed_in.headers["set-cookie"]
        assert signed_in.status_code == 303 and "sl_session=" in cookie
        assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=lax"))


def test_every_form_refuses_a_post_without_the_csrf_token(app_and_client) -> None:
    """Every page that accepts a POST, signed in as staff with the CSRF cookie set, but the form
    without its token: 403, and nothing is changed."""
    app, client = app_and_client
    form = client.get("/login").text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
    client.post("/login", data={"username": "registrar", "password": DEMO_PASSWORD, "_csrf_token": csrf})
    posts = sorted(
        {
            route.path
            for route in app.routes
            if not route.path.startswith(("/api/", "/schema", "/static"))
            for handler in getattr(route, "route_handlers", [])
            if "POST" in handler.http_methods
        }
    )
    assert len(posts) >= 12
    ids = {
        "organization_id": uuid5(_NS, "x"),
        "evaluation_id": uuid5(_NS, "demo-evaluation"),
        "round_id": uuid5(_NS, "demo-round"),
        "project_id": uuid5(_NS, "demo-project-tl-hub"),
        "reminder_id": uuid5(_NS, "x"),
        "expert_id": uuid5(_NS, "x"),
    }
    for path in posts:
        url = re.sub(r"\{(\w+):uuid\}", lambda m: str(ids.get(m.group(1), uuid5(_NS, "x"))), path)
        url = re.sub(r"\{(\w+):(str|int)\}", "2025", url)
        answer = client.post(url, data={"anything": "x"}, follow_redirects=False)
        assert answer.status_code == 403 and "CSRF" in answer.text, (path, answer.status_code)


def sign_in_on_the_pages(client: TestClient[Any], username: str) -> None:
    form = client.get("/login").text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "_csrf_token": csrf})


@pytest.mark.parametrize(("page", "username"), [("/organizations/new", "org"), ("/reminders/", "chair"), ("/inbox/", "auditor")])
def test_a_page_guard_answers_as_the_api_guard_does(app_and_client, page: str, username: str) -> None:
    """Pages check roles with the API's own check: signed out, the sign-in page (the API's 401);
    signed in with a role the page does not admit, 403, not a second sign-in."""
    _, client = app_and_client
    html = {"Accept": "text/html"}
    signed_out = client.get(page, headers=html, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login?next=")
    sign_in_on_the_pages(client, username)
    assert client.get(page, headers=html, follow_redirects=False).status_code == 403

"""One seeded demo system per database for the hostile-input tests: built once per module,
with a client signed in for the API (bearer tokens) and for the pages (session + CSRF)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid5

import pytest
from litestar.testing import TestClient

from application.demo import _NS, DEMO_PASSWORD, seed_demo
from application.queries.register import RegisterQuery
from application.queries.reminders import ReminderQuery
from infra.wiring import build_system, load_settings
from interfaces.app import create_app
from tests.support import postgres

USERNAMES = {
    "admin": "admin",
    "registrar": "registrar",
    "chair": "chair",
    "evaluator": "evaluator",
    "organization": "org",
    "auditor": "auditor",
}


@dataclass
class Live:
    backend: str
    app: Any
    client: TestClient[Any]
    system: Any
    tokens: dict[str, dict[str, str]]
    ids: dict[str, str]
    csrf_cookie: str = ""
    csrf_field: str = ""

    def page(self, role: str, method: str, path: str, lang: str = "zh", **kwargs: Any) -> Any:
        """A page request as `role` ("public": signed out) with the CSRF cookie, in `lang`."""
        cookies = {"sl_csrf": self.csrf_cookie, "sl_lang": lang}
        if role != "public":
            cookies["sl_session"] = self.tokens[role]["Authorization"].removeprefix("Bearer ")
        headers = {
            "Accept": "text/html",
            **kwargs.pop("headers", {}),
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        }
        self.client.cookies.clear()
        try:
            return self.client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
        finally:
            self.client.cookies.clear()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = ""
    if request.param == "postgres":
        admin = request.getfixturevalue("pg_admin_url")
        url = postgres.create_database(admin)
    data: Path = tmp_path_factory.mktemp("hostile") / "data"
    system = build_system(
        load_settings(data_dir=data, database_url=url, scheduler=False, secret_key="hostile", login_attempts=1_000_000)
    )
    try:
        seed_demo(system, say=lambda _: None)
        app = create_app(system)
        with TestClient(app, raise_server_exceptions=False) as client:
            tokens = {}
            for role, username in USERNAMES.items():
                answer = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
                tokens[role] = {"Authorization": f"Bearer {answer.json()['token']}"}
            form = client.get("/login")
            field = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            cookie = client.cookies.get("sl_csrf") or ""
            client.cookies.clear()
            yield Live(request.param, app, client, system, tokens, demo_ids(system), cookie, field)
    finally:
        system.close()
        if url:
            postgres.drop_database(request.getfixturevalue("pg_admin_url"), url)


def demo_ids(system: Any) -> dict[str, str]:
    org = system.register_view.search(RegisterQuery(text="铜陵市郊区社会组织联合会")).items[0]
    case = system.evaluations.evaluation(uuid5(_NS, "demo-evaluation"))
    reminder = system.reminder_view.reminders(ReminderQuery()).items[0]
    found = {
        "organization_id": org.id,
        "aggregate_id": org.id,
        "evaluation_id": case.id,
        "expert_id": case.panel[0].expert_id,
        "reminder_id": reminder.id,
        "round_id": uuid5(_NS, "demo-round"),
        "project_id": uuid5(_NS, "demo-project-tl-hub"),
    }
    return {k: str(v) for k, v in found.items()}

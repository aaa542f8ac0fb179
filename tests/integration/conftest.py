"""A client on the app with the demo data (shared by the HTTP tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from application.demo import DEMO_PASSWORD
from interfaces.app import create_app


@pytest.fixture
def client(demo: Any) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(demo)) as c:
        yield c


def login(client: TestClient[Any], username: str) -> dict[str, str]:
    response = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}

"""Pages speak to people in sentences of their language: no ids, codes or JSON where a name or a label belongs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from application.demo import seed_demo
from interfaces.app import create_app
from tests.integration.test_security import sign_in_on_the_pages

HTML = {"Accept": "text/html"}


@pytest.fixture
def client(system: Any) -> Iterator[TestClient[Any]]:
    seed_demo(system, say=lambda _: None)
    with TestClient(create_app(system)) as client:
        yield client


def test_the_deliveries_page_names_each_recipient_and_counts_reminders(client: TestClient[Any]) -> None:
    sign_in_on_the_pages(client, "registrar")
    page = client.get("/reminders/", headers=HTML)
    assert page.status_code == 200
    assert re.search(r"共 \d+ 条提醒", page.text) and "个组织" not in page.text
    assert "user:" not in page.text and "organization:" not in page.text
    assert "收件人:" in page.text
    for status in ("pending", "delivered", "dead", "cancelled"):  # every filter the page offers answers
        assert client.get(f"/reminders/?status={status}", headers=HTML).status_code == 200


def test_an_error_page_says_what_happened_without_the_code(client: TestClient[Any]) -> None:
    sign_in_on_the_pages(client, "chair")
    refused = client.get("/reminders/", headers=HTML)
    assert refused.status_code == 403
    assert "没有权限查看此页面" in refused.text and "您当前以" in refused.text
    assert "access.denied" not in refused.text
    missing = client.get("/no-such-page", headers=HTML)
    assert missing.status_code == 404 and "找不到此页面" in missing.text and "not_found" not in missing.text


def test_the_timeline_shows_labelled_fields_not_json(client: TestClient[Any]) -> None:
    sign_in_on_the_pages(client, "registrar")
    register = client.get("/register", headers=HTML).text
    first = re.search(r'href="(/organizations/[0-9a-f-]{36})"', register)
    assert first is not None
    page = client.get(first.group(1), headers=HTML).text
    assert 'class="fields"' in page
    assert "<pre" not in page and '"legal_representative":' not in page


def test_the_browsers_icon_request_is_answered(client: TestClient[Any]) -> None:
    answer = client.get("/favicon.ico", follow_redirects=False)
    assert answer.status_code == 301 and answer.headers["location"] == "/static/favicon.svg"

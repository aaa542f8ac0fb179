"""Pages speak to people in sentences of their language: no ids, codes or JSON where a name or a label belongs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from interfaces.app import create_app
from tests.integration.test_security import sign_in_on_the_pages

HTML = {"Accept": "text/html"}


@pytest.fixture
def client(demo: Any) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(demo)) as client:
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


def csrf_of(page: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_terminating_a_project_asks_to_confirm_with_its_reason(client: TestClient[Any]) -> None:
    sign_in_on_the_pages(client, "registrar")
    funding = client.get("/funding/", headers=HTML).text
    rounds = set(re.findall(r'href="/funding/([0-9a-f-]{36})"', funding))
    listed = funding + "".join(client.get(f"/funding/{r}", headers=HTML).text for r in rounds)
    projects = dict.fromkeys(re.findall(r'href="/projects/([0-9a-f-]{36})"', listed))
    page = next(
        p for p in (client.get(f"/projects/{pid}", headers=HTML) for pid in projects) if 'data-testid="act-terminate"' in p.text
    )
    url = str(page.url).split("?")[0]
    version = re.search(r'data-testid="act-terminate">.*?name="version" value="(\d+)"', page.text, re.S)
    assert version is not None
    form = {"_csrf_token": csrf_of(page.text), "action": "terminate", "version": version.group(1)}
    asked = client.post(f"{url}/act", data=form, headers=HTML)
    assert asked.status_code == 200 and "确认终止项目" in asked.text and "不能恢复" in asked.text
    refused = client.post(f"{url}/act", data={**form, "confirmed": "yes", "reason": " ", "breach": "on"}, headers=HTML)
    assert refused.status_code == 422 and "确认终止项目" in refused.text  # the confirmation again, saying why
    assert 'name="breach" value="on"' in refused.text and "违约" in refused.text  # what was chosen is kept
    done = client.post(
        f"{url}/act",
        data={**form, "confirmed": "yes", "reason": "项目负责人离职,无法继续实施"},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?done=terminate")
    assert "项目已终止" in client.get(done.headers["location"], headers=HTML).text

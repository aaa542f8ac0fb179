"""延期 of a project's mid-term report in a real browser: the organization asks on a phone (a day
past the rule set's limit is refused and what it typed stays), the registrar grants it after
reading the reason, and the project page says the deadline moved and from which day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid5

import pytest

from application.demo import _NS
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_public_browser import sign_in
from tests.integration.funding_support import signed_project

pytestmark = pytest.mark.browser
HUB = uuid5(_NS, "tl-hub")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_organization_asks_for_more_time_and_the_registrar_grants_it(site: str, page: Any, system: Any, clock: Any) -> None:
    project = system.funding.project(signed_project(system, clock, HUB, "邻里议事厅", title="郊区社区微创投(延期)"))
    due = project.due[next(m for m in project.due if m.value == "mid_term")]
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "org")
    page.goto(f"{site}/projects/{project.id}")
    page.click("[data-testid=extension-request] summary")
    page.fill("[data-testid=ext-until]", str(due + timedelta(days=45)))
    page.fill("[data-testid=ext-reason]", "服务对象集中搬迁,活动暂停一个月")
    page.click("[data-testid=extension-request] button")
    assert "最多可延至" in page.text_content("[data-testid=error]")
    assert page.input_value("[data-testid=ext-reason]") == "服务对象集中搬迁,活动暂停一个月"  # kept
    page.fill("[data-testid=ext-until]", str(due + timedelta(days=20)))
    page.click("[data-testid=extension-request] button")
    page.wait_for_url("**saved=1")
    assert "等待决定" in page.text_content("[data-testid=extension-mid_term]")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path=str(ARTIFACTS / "milestone-extension-phone.png"), full_page=True)

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, site, "registrar")
    page.goto(f"{site}/projects/{project.id}")
    form = page.locator("[data-testid=extension-decision-mid_term]")
    assert "服务对象集中搬迁" in page.text_content("[data-testid=extension-mid_term]")
    form.locator("input[name=granted][value=yes]").check()
    form.locator("textarea[name=reasons]").fill("情况属实,准予延期")
    form.locator("button").click()
    page.wait_for_url("**saved=1")
    moved = page.text_content("[data-testid=extended-mid_term]")
    assert str(due + timedelta(days=20)) in moved and str(due) in moved
    assert str(due + timedelta(days=20)) in page.text_content("[data-testid=due-mid_term]")

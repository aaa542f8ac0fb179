"""Submitting the annual report in a real browser (both databases): what the organization sees
on the form is what is submitted, edits made since the last save included; a refused submission
keeps everything typed with the error beside its field; the form shows the deadline, and past it
how many days the report is overdue (Asia/Shanghai dates)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid5

import pytest

from application.demo import _NS
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_public_browser import sign_in
from tests.integration.helpers import REGISTRAR
from tests.support.documents import attach_required

pytestmark = pytest.mark.browser
HUB = uuid5(_NS, "tl-hub")  # the demo hub, whose 2025 report is a draft


def test_submitting_submits_what_the_form_shows(site: str, page: Any, system: Any, clock: Any, backend: str) -> None:
    clock.move_to(date(2026, 5, 20))
    attach_required(system, REGISTRAR, HUB, 2025)
    sign_in(page, site, "org")
    page.goto(f"{site}/organizations/{HUB}/inspections/2025")
    deadline = page.text_content("[data-testid=filing-deadline]")
    assert "2026-05-31" in deadline and "还有 11 天截止" in deadline

    # edits made since the last save, then straight to 提交报告: a bad number is refused beside
    # its field, and everything typed stays on the screen; nothing is submitted
    page.fill("textarea[name=activities]", "开展社区社会组织培训 12 场,孵化社区社会组织 8 家")
    page.fill("input[name=income]", "-3")
    page.fill("input[name=volunteers]", "45")
    page.check("input[name=party_organization]")
    page.fill("textarea[name=declarations]", "")
    page.click("[data-testid=act-submit] button")
    assert "收入应为不小于0" in page.text_content("[data-testid=error-income]")
    assert page.get_attribute("input[name=income]", "aria-invalid") == "true"
    assert page.input_value("input[name=income]") == "-3"
    assert page.input_value("input[name=volunteers]") == "45"
    assert page.input_value("textarea[name=declarations]") == ""
    assert page.input_value("textarea[name=activities]").startswith("开展社区社会组织培训 12 场")
    assert page.is_checked("input[name=party_organization]")
    assert page.text_content("[data-testid=stage]") == "草稿"
    page.screenshot(path=str(ARTIFACTS / f"report-refused-{backend}.png"), full_page=True)

    page.fill("input[name=income]", "452000.50")
    page.click("[data-testid=act-submit] button")
    page.wait_for_url("**saved=submitted")
    assert "报告已提交" in page.text_content("[data-testid=notice]")
    assert page.text_content("[data-testid=stage]") == "已提交,待初审"
    assert page.input_value("input[name=income]") == "452000.50"
    assert page.input_value("input[name=volunteers]") == "45"
    report = system.inspections.inspection(HUB, 2025).report
    assert report.income == Decimal("452000.50") and report.volunteers == 45 and report.party_organization
    assert report.activities.startswith("开展社区社会组织培训 12 场") and report.declarations == ()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / f"report-submitted-phone-{backend}.png"), full_page=True)


def test_past_the_deadline_the_form_says_how_many_days_overdue(site: str, page: Any, clock: Any) -> None:
    clock.move_to(date(2026, 6, 1), hour=0)  # 00:00 in Beijing on 1 June, still 31 May in UTC: a day late
    sign_in(page, site, "org")
    page.goto(f"{site}/organizations/{HUB}/inspections/2025")
    assert "2026-05-31" in page.text_content("[data-testid=filing-deadline]")
    assert page.text_content("[data-testid=days-overdue]") == "逾期未报 1 天"
    clock.move_to(date(2026, 6, 12))
    sign_in(page, site, "org")  # eleven days later the session has run out
    page.goto(f"{site}/organizations/{HUB}/inspections/2025")
    assert page.text_content("[data-testid=days-overdue]") == "逾期未报 12 天"
    assert page.locator("[data-testid=act-submit] button").is_visible()  # a late report may still be filed
    page.click("a[hreflang=en]")
    assert page.text_content("[data-testid=days-overdue]") == "Overdue by 12 days, not filed"

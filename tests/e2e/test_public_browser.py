"""The public register in a real browser, without signing in: search by credit status, open
an organization's card, read a credit list and download it as CSV (both databases)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from application.queries.register import RegisterQuery
from tests.e2e.conftest import ARTIFACTS
from tests.integration.helpers import REGISTRAR
from tests.support.documents import attach_required

pytestmark = pytest.mark.browser


def test_a_member_of_the_public_reads_cards_and_lists(site: str, page: Any, backend: str) -> None:
    page.goto(f"{site}/public/")
    assert page.text_content("h1") == "社会组织信息公示"
    page.select_option("select[name=credit_status]", "serious")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**credit_status=serious**")  # a loaded machine may still be on the old page
    rows = page.locator("table.register tbody tr")
    assert rows.count() == 1 and "青山区社区社会组织服务中心" in rows.first.text_content()

    page.click("text=青山区社区社会组织服务中心")
    page.wait_for_url("**/public/organizations/**")
    assert page.text_content("h1") == "青山区社区社会组织服务中心"
    assert "严重违法失信" in page.text_content("[data-testid=credit-status]")
    assert "受到较大数额罚款" in page.text_content("[data-testid=current-listings]")
    assert "青民罚〔示例〕2号" in page.content() and "¥60000" in page.content()
    page.screenshot(path=str(ARTIFACTS / f"public-card-{backend}.png"), full_page=True)

    page.goto(f"{site}/public/lists/abnormal")
    names = page.locator("[data-testid=list] tbody td:first-child").all_text_contents()
    assert {"铜陵市慈善基金会", "宣城市青年志愿者协会"} <= set(names)
    with page.expect_download() as download_info:
        page.click("[data-testid=csv]")
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == set(names)

    page.click("text=铜陵市慈善基金会")
    page.wait_for_url("**/public/organizations/**")
    assert "未参加年检" in page.text_content("[data-testid=inspections]")
    assert "未按时报送年度工作报告" in page.text_content("[data-testid=current-listings]")
    page.click("a[hreflang=en]")
    expect(page.locator("[data-testid=inspections]")).to_contain_text("Did not take part")  # waits for the page
    assert page.text_content("h1") == "铜陵市慈善基金会"


def sign_in(page: Any, site: str, username: str) -> None:
    from application.demo import DEMO_PASSWORD

    page.goto(f"{site}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/work")  # each role lands on its worklist


def test_an_organization_files_its_report_and_the_registrar_reviews_it(site: str, page: Any, system: Any) -> None:
    year = system.store.today().year - 1
    sign_in(page, site, "org")
    page.goto(f"{site}/register")
    page.click("table.register >> text=铜陵市郊区社会组织联合会")
    page.click(f"[data-testid=inspections] >> text={year}年度工作报告")
    assert page.text_content("[data-testid=stage]") == "草稿"
    page.fill("input[name=income]", "-3")
    page.click("[data-testid=report-form] button[type=submit]")
    assert "收入应为不小于0" in page.text_content("[data-testid=error]")  # refused, and what was typed is kept
    assert page.input_value("input[name=income]") == "-3"
    page.fill("input[name=income]", "452000.50")
    page.click("[data-testid=report-form] button[type=submit]")
    page.wait_for_url("**saved=1")
    org_id = system.register_view.search(RegisterQuery(text="铜陵市郊区社会组织联合会")).items[0].id
    attach_required(system, REGISTRAR, org_id, year)  # uploading them is test_documents_browser's
    page.reload()
    page.click("[data-testid=act-submit] button")
    page.wait_for_url("**saved=submitted")
    assert page.text_content("[data-testid=stage]") == "已提交,待初审"
    assert page.locator("[data-testid=report-form] fieldset[disabled]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "inspection-submitted.png"), full_page=True)

    page.context.clear_cookies()
    sign_in(page, site, "registrar")
    hub = system.register_view.search(RegisterQuery(text="铜陵市郊区社会组织联合会")).items[0]
    page.goto(f"{site}/organizations/{hub.id}/inspections/{year}")
    page.fill("[data-testid=act-opinion] input[name=opinion]", "同意上报")
    page.click("[data-testid=act-opinion] button")
    page.wait_for_url("**saved=1")
    assert page.input_value("[data-testid=act-review] select[name=outcome]") == ""  # nothing preselected
    page.select_option("[data-testid=act-review] select[name=outcome]", "pass")
    page.click("[data-testid=act-review] button")
    assert "合格" in page.text_content("[data-testid=consequence]") and "公众" in page.text_content("[data-testid=audience]")
    page.click("[data-testid=confirm-button]")  # without its 文号 the browser's own check stops it
    assert page.locator("[data-testid=confirm]").is_visible()
    page.fill("#confirm-document_no", "铜民年检〔2026〕5号")
    page.click("[data-testid=confirm-button]")
    page.wait_for_url("**done=review")
    assert page.text_content("[data-testid=outcome]") == "合格"
    page.goto(f"{site}/public/")
    page.click("table.register >> text=铜陵市郊区社会组织联合会")
    assert f"{year}" in page.text_content("[data-testid=inspections]") and "合格" in page.text_content(
        "[data-testid=inspections]"
    )


def test_an_evaluator_reads_the_scores_due_reminder_in_the_inbox(site: str, page: Any) -> None:
    sign_in(page, site, "evaluator")
    assert page.text_content("[data-testid=unread]") == "1"
    page.click("[data-testid=inbox-link]")
    reminder = page.locator("[data-testid=reminder]").first
    assert "评分表尚未提交" in reminder.text_content() and "还有3天" in reminder.text_content()
    reminder.locator("button").click()
    page.wait_for_url("**/inbox/")
    assert page.locator("[data-testid=unread]").count() == 0
    assert page.locator("[data-testid=reminder].read").count() == 1


def test_the_public_reads_how_late_each_years_report_was_marked_amber_or_red_on_a_phone_too(
    site: str,
    page: Any,
    system: Any,
    clock: Any,
    backend: str,
) -> None:
    """The demo's 2025 reports are due on 31 May 2026 (the clock says 20 May): the home-care
    centre files on time, the hub sends its draft five days late after the sweep recorded the
    year missed, the volunteers never file; amber up to 14 days (the rule set), red beyond."""
    from datetime import date
    from uuid import uuid5

    from application.context import system_context
    from application.demo import _NS
    from tests.integration.test_credit_scenario import as_org, report

    hub, elder, volunteer = (uuid5(_NS, k) for k in ("tl-hub", "tl-elder", "tl-volunteer"))
    clock.move_to(date(2026, 5, 25))
    system.inspections.draft_report(as_org(elder), elder, 2025, None, report())
    attach_required(system, as_org(elder), elder, 2025)
    system.inspections.submit_report(as_org(elder), elder, 2025, None)
    clock.move_to(date(2026, 6, 1))
    system.inspections.record_missed(system_context("daily-sweep", "e2e"), date(2026, 6, 1))
    clock.move_to(date(2026, 6, 5))
    attach_required(system, as_org(hub), hub, 2025)
    system.inspections.submit_report(as_org(hub), hub, 2025, None)  # the draft left at the deadline

    def filing(org_id: Any, year: int = 2025) -> Any:
        page.goto(f"{site}/public/organizations/{org_id}")
        return page.locator(f"[data-testid=inspection-{year}] [data-testid=filing]")

    def colour(cell: Any) -> str:
        return cell.evaluate("e => getComputedStyle(e).backgroundColor")

    on_time = filing(elder)
    assert on_time.text_content() == "按时提交" and on_time.get_attribute("data-marking") == "none"
    late = filing(hub)
    assert late.text_content() == "逾期 5 天提交" and late.get_attribute("data-marking") == "amber"
    amber = colour(late)
    assert "未参加年检" in page.text_content("[data-testid=inspection-2025]")  # the year stays missed
    assert "逾期 14 天以内以黄色标示" in page.text_content("[data-testid=filing-note]")
    overdue = filing(volunteer)
    assert overdue.text_content() == "逾期未报 5 天" and colour(overdue) == amber

    clock.move_to(date(2026, 6, 20))  # counted to the day the card is read
    overdue = filing(volunteer)
    assert overdue.text_content() == "逾期未报 20 天" and overdue.get_attribute("data-marking") == "red"
    red = colour(overdue)
    assert red != amber and red != colour(filing(elder))
    assert filing(hub).text_content() == "逾期 5 天提交"  # a filing's lateness no longer grows

    page.set_viewport_size({"width": 390, "height": 844})  # a phone, as the public often reads it
    overdue = filing(volunteer)
    box = overdue.bounding_box()
    assert overdue.is_visible() and box is not None and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert colour(overdue) == red
    page.screenshot(path=str(ARTIFACTS / f"public-card-filing-phone-{backend}.png"), full_page=True)
    page.get_by_role("button", name="菜单").click()  # on a phone the language switch is in the folded menu
    page.click("a[hreflang=en]")
    assert page.locator("[data-testid=inspection-2025] [data-testid=filing]").text_content() == "Overdue by 20 days, not filed"
    assert filing(hub).text_content() == "Filed 5 days late"

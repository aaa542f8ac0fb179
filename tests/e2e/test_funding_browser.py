"""Funding in a real browser (both databases): an organization applies to the demo round
(a bad budget line is refused and what was typed is kept), the registrar checks eligibility,
a round run to its star ratings shows ranks and stars, and the dashboards draw every chart
and hand out the table behind it as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid5

import pytest

from application.demo import _NS
from domain.evaluation import EvaluationKind
from domain.funding import Milestone
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_public_browser import sign_in
from tests.integration.funding_support import application, as_org, enroll_panel, evaluate, graded_organization, terms
from tests.integration.helpers import REGISTRAR

pytestmark = pytest.mark.browser


def run_round_to_stars(system: Any, clock: Any) -> Any:
    """Two projects through review, award, mid-term and closing, one rated 4 stars, one 2."""
    enroll_panel(system)
    today = system.store.today()
    funding_round = system.funding.open_round(
        REGISTRAR,
        terms(
            title="郊区社区微创投(第二批)",
            applications_open=today,
            applications_close=date(2026, 6, 30),
            min_grade=None,
            budget=Decimal("100000"),
        ),
    )
    orgs = [graded_organization(system, n, "3A") for n in range(2)]
    projects = [system.funding.apply(as_org(o), funding_round.id, o, application(f"睦邻{n}号")).id for n, o in enumerate(orgs)]
    for p in projects:
        system.funding.check_eligibility(REGISTRAR, p)
    evaluate(system, clock, projects, EvaluationKind.PROJECT_REVIEW, {projects[0]: "0.9", projects[1]: "0.7"})
    for n, p in enumerate(projects):
        system.funding.award(REGISTRAR, p, None, Decimal("40000"))
        system.funding.sign_agreement(REGISTRAR, p, None, f"协议{n}")
        system.funding.submit_report(as_org(orgs[n]), p, None, Milestone.MID_TERM, "中期进展")
    evaluate(system, clock, projects, EvaluationKind.MID_TERM, dict.fromkeys(projects, "0.8"))
    for n, p in enumerate(projects):
        system.funding.pay_tranche(REGISTRAR, p, None)
        system.funding.submit_report(as_org(orgs[n]), p, None, Milestone.CLOSING, "如期完成")
    evaluate(system, clock, projects, EvaluationKind.CLOSING, {projects[0]: "0.85", projects[1]: "0.62"})
    for p in projects:
        system.funding.pay_tranche(REGISTRAR, p, None)
        system.funding.complete(REGISTRAR, p, None)
    return funding_round


def test_apply_check_and_read_the_dashboards(site: str, page: Any, system: Any, clock: Any) -> None:
    sign_in(page, site, "org")
    page.click("nav >> text=公益创投")
    page.click("[data-testid=rounds] >> text=铜陵市社区微公益创投(示例)")
    page.fill("input[name=title]", "邻里互助议事厅")
    page.fill("input[name=target_group]", "社区居民")
    page.fill("textarea[name=plan]", "每月召开两次议事会")
    page.fill("textarea[name=expected_outputs]", "形成10项居民公约")
    page.fill("textarea[name=budget]", "场地租用,abc")
    page.click("[data-testid=apply-form] button[type=submit]")
    assert "不是有效的金额" in page.text_content("[data-testid=error]")
    assert page.input_value("input[name=title]") == "邻里互助议事厅"
    page.fill("textarea[name=budget]", "场地租用,6000\n活动物资,4000.50")
    page.click("[data-testid=apply-form] button[type=submit]")
    page.wait_for_url("**/projects/**saved=1")
    assert page.text_content("[data-testid=stage]") == "已申报"
    project_url = page.url.split("?")[0]

    funding_round = run_round_to_stars(system, clock)  # the clock moves on: sign in again
    page.context.clear_cookies()
    sign_in(page, site, "registrar")
    page.goto(project_url)
    page.click("[data-testid=act-eligibility] button")
    page.wait_for_url("**saved=1")
    assert page.text_content("[data-testid=stage]") == "资格审查通过"

    page.goto(f"{site}/funding/{funding_round.id}")
    rows = page.locator("[data-testid=project-row]")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(0).text_content() == "1"
    assert [rows.nth(i).locator("[data-testid=stars]").text_content() for i in range(2)] == ["★★★★", "★★"]
    page.goto(f"{site}/funding/{uuid5(_NS, 'demo-round')}")
    assert "资格不符" in page.text_content("[data-testid=projects]")  # the foundation on the abnormal list

    page.click("nav >> text=统计图表")
    for key in ("grades", "inspections", "listings", "funds", "stars", "subsidies"):  # the demo granted subsidies
        chart = page.locator(f"svg[data-chart={key}]")
        assert chart.count() == 1, key
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 30, key
        bars = chart.locator("rect.bar")
        assert bars.count() >= 1 and bars.first.bounding_box()["width"] > 0, key
    assert "郊区社区微创投(第二批)" in page.text_content("[data-testid=dashboard-funds]")
    page.screenshot(path=str(ARTIFACTS / "dashboards.png"), full_page=True)

    with page.expect_download() as download:
        page.click("[data-testid=csv-stars]")
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["星级", "项目数"], ["4", "1"], ["2", "1"]]  # headers in the page's language

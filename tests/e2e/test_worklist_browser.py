"""Everyone lands on their own worklist (我的工作台), sees what is theirs to do with its deadline, and follows
a link to where it is done; on a phone too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

# role → (a section the worklist shows, the text of a link in it, where that link leads)
JOURNEYS = {
    "evaluator": ("work-sheets", "等级评估", "/evaluations/"),
    "chair": ("work-cases", "铜陵市郊区社会组织联合会", "/evaluations/"),
    "registrar": ("work-cases", "铜陵市郊区社会组织联合会", "/evaluations/"),
    "org": ("work-organization", "年度工作报告", "/inspections/"),
    "auditor": ("work-audit", "校验事件日志", "/audit/"),
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", sorted(JOURNEYS))
def test_each_role_lands_on_its_worklist_and_follows_a_task_to_where_it_is_done(site: str, page: Any, role: str) -> None:
    section, link_text, leads_to = JOURNEYS[role]
    sign_in(page, site, role)
    assert page.url.endswith("/work")
    assert page.text_content("h1") == "我的工作台"
    assert page.locator(f"[data-testid={section}]").is_visible()
    page.locator(f"[data-testid={section}] a", has_text=link_text).first.click()
    page.wait_for_load_state()
    assert leads_to in page.url


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_chair_sees_each_cases_progress_and_next_step(site: str, page: Any) -> None:
    sign_in(page, site, "chair")
    progress = page.locator("[data-testid=work-cases] [data-testid=progress]").first.text_content()
    assert "已提交" in progress and "法定人数" in progress
    assert "等待专家提交评分" in page.text_content("[data-testid=work-cases]")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_organization_sees_what_is_due_with_its_deadline_on_a_phone(site: str, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "org")
    due = page.text_content("[data-testid=work-organization]")
    assert "截止" in due and ("还有" in due or "已逾期" in due or "今天到期" in due)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_public_lands_on_the_public_register(site: str, page: Any) -> None:
    page.goto(f"{site}/")
    assert "/public/" in page.url


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_inspector_finds_the_spot_checks_on_their_team_and_opens_one_on_a_phone(site: str, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "evaluator")
    mine = page.locator("[data-testid=work-spot-checks]")
    assert "年度双随机抽查" in mine.text_content() and "下一步" in mine.text_content()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    mine.locator("a").first.click()
    page.wait_for_load_state()
    assert "/spot-checks/" in page.url and "双随机抽查" in page.text_content("h1")
    assert page.locator("[data-testid=stage]").is_visible()

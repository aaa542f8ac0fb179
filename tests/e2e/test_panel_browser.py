"""The chair's panel work in a real browser: the pool's conflicts shown before assigning and a
named panel refused naming the conflict; a recusal leaves the panel below its minimum, which
the chair sees and cannot close past; the chair replaces the member and the panel is whole."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid5

import pytest

from application.context import CommandContext
from domain.provenance import Actor, Role
from tests.e2e.test_evaluation_browser import sign_in

pytestmark = pytest.mark.browser
REGISTRAR = CommandContext(Actor("registrar-e2e", Role.REGISTRAR), "req-e2e")


def chair_id(system: Any) -> str:
    return next(u.id for u in system.accounts.users() if u.username == "chair")


def test_the_chair_sees_conflicts_before_assigning_and_a_conflicted_panel_is_refused_naming_them(
    site: str, page: Any, system: Any
) -> None:
    from application.demo import _NS

    desk = system.evaluations
    case = desk.open_grade_evaluation(REGISTRAR, uuid5(_NS, "tl-elder"), date(2026, 6, 30), chair_id(system))
    desk.check_eligibility(REGISTRAR, case.id)
    sign_in(page, site, "chair", f"/evaluations/{case.id}")
    form = page.locator("[data-testid=panel-form]")
    conflicted = form.locator("label", has_text="郑老师")
    assert "所属的枢纽型组织" in conflicted.locator("[data-testid=conflict]").text_content()  # told before assigning
    assert form.locator("[data-testid=conflict]").count() == 1
    for box in form.locator("input[type=checkbox]").all():
        box.check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("p.error")
    refusal = page.text_content("[data-testid=form-error]")
    assert "利益冲突" in refusal and "郑老师" in refusal and "铜陵市郊区社会组织联合会" in refusal
    assert page.text_content("[data-testid=stage]") == "待组建专家组"
    assert form.locator("input[type=checkbox]:checked").count() == 4  # the chair's ticks are kept
    conflicted.locator("input").uncheck()
    form.locator("button[type=submit]").click()
    page.wait_for_selector("p.notice")
    assert page.text_content("[data-testid=stage]") == "评分中"
    assert page.locator("[data-testid=member]").count() == 3 and page.locator("[data-testid=panel-short]").count() == 0


def test_the_chair_sees_the_panel_below_its_minimum_and_replaces_the_recused_member(site: str, page: Any, system: Any) -> None:
    from application.demo import _NS

    case_url = f"/evaluations/{uuid5(_NS, 'demo-evaluation')}"
    system.evaluations.enroll_expert(REGISTRAR, "spare-e2e", "钱老师", "社会工作", "铜陵学院")
    sign_in(page, site, "evaluator3", case_url)
    page.fill("[data-testid=sheet] input[name=note]", "曾为该会提供审计服务")
    page.click("button[data-action=declare_recusal]")
    assert "退出本案专家组" in page.text_content("[data-testid=consequence]")  # what declaring means, first
    assert page.input_value("#confirm-note") == "曾为该会提供审计服务"  # the reason typed is carried
    page.click("[data-testid=confirm-button]")
    page.wait_for_url("**/work?done=recused")  # recused: the case is no longer theirs; their worklist says so
    assert "已声明回避" in page.text_content("[data-testid=done]")

    sign_in(page, site, "chair", case_url)
    assert "少于规则要求的3人" in page.text_content("[data-testid=panel-short]")
    page.click("button[data-action=close_scoring]")
    page.click("[data-testid=confirm-button]")  # the confirmation page, then the refusal on it
    page.wait_for_selector("p.error")
    assert "少于规则要求的3人" in page.text_content("[data-testid=form-error]")
    page.goto(f"{page.url.split('/evaluations/')[0]}{case_url}")
    assert page.text_content("[data-testid=stage]") == "评分中"

    form = page.locator("[data-testid=replace-form]")
    assert "⚠" in form.locator("option", has_text="郑老师").text_content()  # a conflicted replacement is marked
    form.locator("select[name=expert_id]").select_option(label="吴会计师 (已回避)")
    form.locator("select[name=replacement_id]").select_option(label="钱老师")
    form.locator("input[name=reason]").fill("吴会计师回避,由钱老师补足")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("p.notice")
    assert page.locator("[data-testid=panel-short]").count() == 0
    panel = page.text_content("[data-testid=panel]")
    assert "由钱老师替换" in panel and "钱老师" in panel
    assert page.locator("[data-testid=member]", has_text="钱老师").locator("text=未提交").count() == 1

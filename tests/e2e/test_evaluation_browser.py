"""A whole grade evaluation in a real browser: the registrar opens the case and assigns a
panel (one expert with a conflict of interest is refused, naming it), three evaluators score it, the chair closes,
computes and announces, the organization appeals, the chair decides and finalizes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from application.demo import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def sign_in(page: Any, site: str, username: str, then: str) -> None:
    page.goto(f"{site}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def press(page: Any, action: str) -> None:
    """Press a step's button; a step that cannot be taken back first asks to confirm, saying what will happen."""
    page.click(f"button[data-action={action}]")
    page.wait_for_selector("p.notice, p.error, [data-testid=confirm]", timeout=10000)
    if page.locator("[data-testid=confirm]").count():
        assert page.text_content("[data-testid=consequence]") and page.text_content("[data-testid=audience]")
        page.click("[data-testid=confirm-button]")
        page.wait_for_selector("[data-testid=done], p.error", timeout=10000)
    assert page.locator("p.error").count() == 0, page.text_content("p.error")


def test_a_grade_evaluation_from_opening_to_the_grade(site: str, page: Any, system: Any, clock: Any) -> None:
    from application.queries.register import RegisterQuery

    org = system.register_view.search(RegisterQuery(text="铜陵市郊区社会组织联合会")).items[0]
    sign_in(page, site, "registrar", f"/organizations/{org.id}")
    page.fill("[data-testid=open-evaluation] input[name=scoring_deadline]", "2026-06-30")
    page.click("[data-testid=open-evaluation] button[type=submit]")
    page.wait_for_url("**/evaluations/*")
    case_url = page.url
    assert page.text_content("[data-testid=stage]") == "待审查"
    press(page, "check_eligibility")
    for box in page.locator("[data-testid=panel-form] input[type=checkbox]").all():
        box.check()
    page.click("[data-testid=panel-form] button[type=submit]")
    page.wait_for_selector("p.error")  # 郑老师 left the hub this year: the panel is refused, naming why
    assert "郑老师于" in page.text_content("[data-testid=form-error]")
    page.locator("[data-testid=panel-form] label", has_text="郑老师").locator("input").uncheck()
    page.click("[data-testid=panel-form] button[type=submit]")
    page.wait_for_selector("p.notice")
    assert page.text_content("[data-testid=stage]") == "评分中"

    for username, share in (("evaluator", 0.95), ("evaluator2", 0.90), ("evaluator3", 0.93)):
        sign_in(page, site, username, "/evaluations")
        # header, the demo grade case, the demo's finalized grade case, the demo project review, this case
        assert page.locator("[data-testid=cases] tr").count() == 5
        page.click(f"[data-testid=cases] a[href='{case_url.removeprefix(site)}']")
        inputs = page.locator("#score-form input.points[name^='points:']")
        for i in range(inputs.count()):
            field = inputs.nth(i)
            field.fill(f"{float(field.get_attribute('max')) * share:.1f}")
        page.wait_for_selector("#autosave-status:has-text('草稿已自动保存')")  # saved without a click
        assert float(page.text_content("[data-testid=running-total]")) > 850
        page.click("[data-testid=submit-sheet]")
        page.wait_for_selector("p.notice")
        assert "已提交" in page.text_content("[data-testid=sheet]")
        assert page.locator("#score-form input[readonly]").count() > 0

    sign_in(page, site, "chair", case_url.removeprefix(site))
    for action in ("close_scoring", "compute_result", "open_announcement"):
        press(page, action)
    assert "4A" in page.text_content("[data-testid=result]")

    sign_in(page, site, "org", case_url.removeprefix(site))
    page.fill("[data-testid=appeal-form] input[name=grounds]", "社会评价得分偏低,请求复核")
    page.click("[data-testid=appeal-form] button[type=submit]")
    assert "复核" in page.text_content("[data-testid=consequence]")  # what filing means, before it is filed
    assert page.input_value("#confirm-grounds") == "社会评价得分偏低,请求复核"
    page.click("[data-testid=confirm-button]")
    page.wait_for_selector("[data-testid=done]")
    assert page.text_content("[data-testid=stage]") == "复核中"

    sign_in(page, site, "chair", case_url.removeprefix(site))
    decision = page.locator("[data-testid=appeal-decision]")
    assert "社会评价得分偏低,请求复核" in decision.locator("[data-testid=appeal-grounds]").text_content()  # not decided blind
    assert "15日" in page.text_content("[data-testid=appeal-due]")  # the period says its unit
    page.click("[data-testid=appeal-extension] summary")  # more time: a day too far first, then within the limit
    latest = page.get_attribute("[data-testid=appeal-extend-until]", "max")
    page.fill("[data-testid=appeal-extend-reasons]", "需调取活动台账核实")
    page.evaluate("document.querySelector('[data-testid=appeal-extend-until]').removeAttribute('max')")
    page.fill("[data-testid=appeal-extend-until]", str(date.fromisoformat(latest) + timedelta(days=1)))
    page.click("[data-testid=appeal-extension] button")
    assert "不晚于" in page.text_content("p.error")
    assert page.input_value("[data-testid=appeal-extend-reasons]") == "需调取活动台账核实"  # kept
    page.fill("[data-testid=appeal-extend-until]", latest)
    page.click("[data-testid=appeal-extension] button")
    page.wait_for_url("**saved=1")
    assert f"已延长至{latest}" in page.text_content("[data-testid=appeal-due]")
    decision = page.locator("[data-testid=appeal-decision]")
    decision.get_by_label("不支持复核,维持原结果").check()
    decision.locator("textarea[name=decision]").fill("社会评价得分符合评分细则,维持原结果")
    press(page, "decide_appeal")
    assert page.text_content("[data-testid=stage]") == "复核已决定"

    # finalizing during the announcement, even after a decided appeal, is refused
    page.click("button[data-action=finalize]")
    page.click("[data-testid=confirm-button]")
    page.wait_for_selector("p.error")
    assert "公示期至" in page.text_content("[data-testid=form-error]")
    page.goto(case_url)
    assert page.text_content("[data-testid=stage]") == "复核已决定"
    clock.advance(days=8)  # the announcement period is over (and the 12-hour session too)
    sign_in(page, site, "chair", case_url.removeprefix(site))
    press(page, "finalize")
    assert page.text_content("[data-testid=stage]") == "已确认"

    page.click("text=结果说明")
    assert "由事件重新计算,结果一致" in page.text_content("[data-testid=recomputation]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explanation.png"), full_page=True)
    page.goto(f"{site}/organizations/{org.id}")
    assert page.text_content("[data-testid=org-grade]").startswith("4A")

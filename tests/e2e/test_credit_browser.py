"""信用记录 in a browser: the registrar records a penalty from the organization's credit page, is
stopped without its decision number, confirms on a page that says who will see it, and attaches the
decision letter; the organization then finds its listing, asks for removal and attaches its grounds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.conftest import choose_files, sign_in
from tests.e2e.test_accessibility_browser import check_accessibility
from tests.e2e.test_phone_browser import overflow
from tests.support import documents as make

pytestmark = pytest.mark.browser
HUB = "铜陵市郊区社会组织联合会"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_penalty_then_a_removal_request_on_the_credit_page(site: str, page: Any, system: Any) -> None:
    sign_in(page, site, "registrar")
    page.goto(f"{site}/register?q={HUB}")
    page.click(f"text={HUB}")
    page.click("[data-testid=credit-link]")
    assert "信用记录" in page.text_content("h1") and "良好" in page.text_content("[data-testid=credit-status]")

    form = page.locator("[data-testid=penalty-form]")
    form.locator("select[name=kind]").select_option("warning")
    form.locator("input[name=decided_on]").fill((system.store.today() - timedelta(days=2)).isoformat())
    form.locator("textarea[name=reason]").fill("未按规定报送年度工作报告,经责令仍不改正")
    form.locator("input[name=decision_no]").evaluate("el => el.removeAttribute('required')")
    page.click("[data-testid=record-penalty]")
    assert "处罚决定书文号" in page.text_content("[data-testid=error]")  # stopped before the confirmation
    assert page.input_value("textarea[name=reason]") == "未按规定报送年度工作报告,经责令仍不改正"  # kept

    page.fill("input[name=decision_no]", "郊民罚〔2026〕11号")
    page.click("[data-testid=record-penalty]")
    assert "公示页" in page.text_content("[data-testid=audience]")
    assert page.locator("[data-testid=irreversible]").is_visible()
    page.click("[data-testid=confirm-button]")
    assert page.url.endswith("/credit?done=penalty")
    assert "行政处罚已记录" in page.text_content("[data-testid=done]")
    assert "活动异常名录" in page.text_content("[data-testid=listing-abnormal]")
    assert "郊民罚〔2026〕11号" in page.text_content("[data-testid=penalties]")
    check_accessibility(page, "/credit (registrar)")

    page.select_option("[data-testid=doc-slot]", label="行政处罚决定书 · 郊民罚〔2026〕11号")
    with page.expect_navigation(url="**saved=1"):
        choose_files(
            page,
            files=[{"name": "郊民罚〔2026〕11号 决定书.pdf", "mimeType": "application/pdf", "buffer": make.pdf("decision")}],
        )
    assert "✓" in page.text_content("[data-testid=penalty-1]")
    page.goto(page.url.replace("/organizations/", "/public/organizations/").split("/credit")[0])
    assert "郊民罚〔2026〕11号" in page.text_content("main")  # the public reads the penalty and its letter

    page.context.clear_cookies()
    sign_in(page, site, "org")  # the worklist says what the listing asks of them, and leads to the record
    assert "履行" in page.text_content("[data-testid=work-credit]")
    page.click("[data-testid=work-credit] a")
    assert page.url.endswith("/credit")
    assert page.locator("[data-testid=penalty-form]").count() == 0  # penalties are the registrar's
    page.click("[data-testid=request-removal-abnormal] button")
    assert "移出申请已提交" in page.text_content("[data-testid=done]")
    assert "申请移出" in page.text_content("[data-testid=removal-requested]")
    page.select_option("[data-testid=doc-slot]", label="移出申请的理由与证明 · 活动异常名录的移出申请")
    with page.expect_navigation(url="**saved=1"):
        choose_files(
            page,
            files=[{"name": "补报年度报告的说明.pdf", "mimeType": "application/pdf", "buffer": make.pdf("grounds")}],
        )
    assert "补报年度报告的说明.pdf" in page.text_content("[data-testid=document-list]")
    check_accessibility(page, "/credit (organization)")
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone: nothing wider than the screen
    page.reload()
    assert overflow(page) <= 0

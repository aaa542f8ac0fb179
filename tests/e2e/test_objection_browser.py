"""异议 in a browser: a member of the public finds a result under announcement, objects (a
mistake first, nothing typed lost), keeps the reference, adds a PDF; the registrar reads the
objection on the case page and decides it after a confirmation; the objector looks the decision up."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import choose_files, sign_in
from tests.e2e.test_accessibility_browser import check_accessibility
from tests.integration.test_announcements import announced_case
from tests.support import documents as make

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_member_of_the_public_objects_and_the_registrar_decides(site: str, page: Any, system: Any) -> None:
    case = announced_case(system)
    page.goto(f"{site}/public/")
    page.click("[data-testid=announcements-link]")
    assert "铜陵市公示测试协会" in page.text_content("[data-testid=grade-announcements]")
    page.click(f"[data-testid=object-{case.id}]")
    page.fill("input[name=objector]", "王五")
    page.locator("input[name=contact]").evaluate("el => el.removeAttribute('required')")
    page.fill("textarea[name=grounds]", "该协会年度报告中的服务人次与社区记录不符")
    page.click("[data-testid=file-objection]")
    assert "联系方式" in page.text_content("[data-testid=error]")
    assert page.input_value("textarea[name=grounds]") == "该协会年度报告中的服务人次与社区记录不符"  # kept
    check_accessibility(page, "/public/announcements/…/objection")
    page.fill("input[name=contact]", "wangwu@example.com")
    page.click("[data-testid=file-objection]")
    reference = page.text_content("[data-testid=reference]").strip()
    assert reference.startswith("YY-") and reference in page.text_content("[data-testid=done]")
    assert "待处理" in page.text_content("[data-testid=state]")
    with page.expect_navigation(url="**saved=1"):
        choose_files(
            page,
            files=[{"name": "社区服务记录.pdf", "mimeType": "application/pdf", "buffer": make.pdf("service records")}],
        )
    assert "社区服务记录.pdf" in page.text_content("main")

    sign_in(page, site, "registrar")
    page.goto(f"{site}/evaluations/{case.id}")
    objection = page.locator(f"[data-testid=objection-{reference}]")
    assert "王五" in objection.text_content() and "社区服务记录.pdf" in objection.text_content()
    objection.locator("input[value=dismissed]").check()
    objection.locator("button[type=submit]").click()
    assert "异议人" in page.text_content("[data-testid=audience]")
    page.fill("#confirm-reasons", "经核实社区记录,服务人次一致,异议不成立")
    page.click("[data-testid=confirm-button]")
    assert "异议已处理" in page.text_content("[data-testid=done]")

    page.context.clear_cookies()
    page.goto(f"{site}/public/objections")
    page.fill("input[name=reference]", reference.lower())
    page.click("button[type=submit]")
    assert "异议不成立" in page.text_content("[data-testid=state]")
    assert "服务人次一致" in page.text_content("[data-testid=reasons]")

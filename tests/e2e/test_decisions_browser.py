"""Irreversible acts in a browser: set apart, confirmed on a page that says what will happen and who will
see it, refused without the decision's document number and grounds, and nothing typed is lost."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_registrar_revokes_a_registration_only_with_its_basis_and_after_confirming(site: str, page: Any) -> None:
    sign_in(page, site, "registrar")
    page.goto(f"{site}/register?q=宣城市青年志愿者协会")
    page.click("text=宣城市青年志愿者协会")
    org_url = page.url

    zone = page.locator("[data-testid=danger-zone]")
    assert "文号" in zone.text_content()  # the everyday buttons are elsewhere; these say what they need
    zone.get_by_role("link", name="撤销登记…").click()

    assert page.url.endswith("/status/revoke")
    assert "撤销" in page.text_content("[data-testid=consequence]")
    assert "公众" in page.text_content("[data-testid=audience]")
    assert page.locator("[data-testid=irreversible]").is_visible()

    # the browser's own check stops an empty form; a person who types only the number is told what is missing
    page.fill("#confirm-document_no", "宣民社〔2026〕8号")
    page.locator("#confirm-reason").evaluate("el => el.removeAttribute('required')")
    page.click("[data-testid=confirm-button]")
    assert "事由" in page.text_content("[data-testid=form-error]")
    assert page.get_attribute("#confirm-reason", "aria-invalid") == "true"
    assert page.input_value("#confirm-document_no") == "宣民社〔2026〕8号"  # kept
    page.goto(org_url)
    assert page.locator("[data-testid=done]").count() == 0
    assert "正常" in page.text_content("main")  # nothing was recorded

    page.goto(f"{org_url}/status/revoke")
    page.fill("#confirm-document_no", "宣民社〔2026〕8号")
    page.fill("#confirm-reason", "以欺骗手段取得登记,依据《社会团体登记管理条例》第三十条")
    page.click("[data-testid=confirm-button]")

    assert page.url.split("?")[0] == org_url  # the record's page, not …/status
    assert "已撤销登记" in page.text_content("[data-testid=done]")
    assert "下一步" in page.text_content("[data-testid=done]")
    timeline = page.locator("[data-testid=timeline] li").first.text_content()
    assert "宣民社〔2026〕8号" in timeline and "以欺骗手段取得登记" in timeline
    assert page.locator("[data-testid=danger-zone]").count() == 0  # a closed organization has nothing left to decide

    page.goto(org_url.replace("/organizations/", "/public/organizations/"))  # what the public reads: the status and its grounds
    assert "已撤销登记" in page.text_content("[data-testid=status]")
    basis = page.text_content("[data-testid=status-basis]")
    assert "宣民社〔2026〕8号" in basis and "以欺骗手段取得登记" in basis


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_change_refused_keeps_what_was_typed(site: str, page: Any) -> None:
    sign_in(page, site, "registrar")
    page.goto(f"{site}/register?q=宣城市青年志愿者协会")
    page.click("text=宣城市青年志愿者协会")
    form = page.locator("[data-testid=change-form]")
    form.locator("select[name=field]").select_option("name")
    current = page.text_content("[data-testid=org-name]")
    form.locator("input[name=value]").fill(current)  # the same name: refused
    form.locator("input[name=document_no]").fill("宣民社〔2026〕9号")
    form.locator("button[type=submit]").click()
    assert page.locator("[data-testid=form-error]").is_visible()
    assert page.input_value("[data-testid=change-form] input[name=document_no]") == "宣民社〔2026〕9号"
    assert page.input_value("[data-testid=change-form] input[name=value]") == current

"""A person in a real browser (headless Chromium through Playwright): sign in, search the
register, open an organization, record a change and see it on the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from application.demo import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_registrar_signs_in_searches_opens_and_records_a_change(site: str, page: Any) -> None:
    page.goto(f"{site}/organizations/new")  # staff page: sends us to sign in first
    assert "/login" in page.url
    page.fill("input[name=username]", "registrar")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/organizations/new")
    assert "民政局登记科" in page.text_content("[data-testid=who]")

    page.goto(f"{site}/register")
    page.fill("input[name=q]", "铜陵")
    page.click("form.filters button[type=submit]")
    assert "q=" in page.url
    rows = page.locator("table.register tbody tr")
    assert rows.count() >= 3
    assert all("铜" in rows.nth(i).text_content() for i in range(rows.count()))

    page.click("text=铜陵市郊区社会组织联合会")
    assert page.text_content("[data-testid=org-name]") == "铜陵市郊区社会组织联合会"
    version = int(page.text_content("[data-testid=org-version]"))
    page.select_option("[data-testid=change-form] select[name=field]", "address")
    page.fill("[data-testid=change-form] input[name=value]", "铜陵市郊区桥南街道新址88号")
    page.fill("[data-testid=change-form] input[name=document_no]", "铜郊民社〔2026〕3号")
    page.click("[data-testid=change-form] button[type=submit]")
    page.wait_for_selector("p.notice")
    assert page.text_content("[data-testid=org-address]") == "铜陵市郊区桥南街道新址88号"
    assert int(page.text_content("[data-testid=org-version]")) == version + 1
    first = page.locator("[data-testid=timeline] li").first
    assert "住所变更" in first.text_content() and "铜郊民社〔2026〕3号" in first.text_content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "organization.png"), full_page=True)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_stale_form_shows_a_clear_message_and_changes_nothing(site: str, page: Any, system: Any) -> None:
    from application.queries.register import RegisterQuery
    from tests.integration.helpers import REGISTRAR

    page.goto(f"{site}/login")
    page.fill("input[name=username]", "registrar")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    org = system.register_view.search(RegisterQuery(text="宣州区社会工作服务中心")).items[0]
    page.goto(f"{site}/organizations/{org.id}")
    system.organizations.rename(REGISTRAR, org.id, org.version, "宣州区社会工作服务中心(更名)")  # someone else, meanwhile
    page.fill("[data-testid=change-form] input[name=value]", "我的新名称")
    page.click("[data-testid=change-form] button[type=submit]")
    assert "已被他人修改" in page.text_content("[data-testid=form-error]")
    assert page.text_content("[data-testid=org-name]") == "宣州区社会工作服务中心(更名)"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_pages_switch_to_english(site: str, page: Any) -> None:
    page.goto(f"{site}/register")
    assert page.text_content("h1") == "登记名册"
    page.click("a[hreflang=en]")
    page.wait_for_selector("text=Register")
    assert page.text_content("h1") == "Register"
    assert "organizations" in page.text_content("[data-testid=result-count]")

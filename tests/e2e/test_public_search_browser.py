"""Issue 15 item 1 in a real browser: the public types a name, leaves every filter at 全部 and
presses 查询 — and sees the organization (both databases)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_the_public_finds_an_organization_by_name_with_credit_status_left_at_any(site: str, page: Any) -> None:
    page.goto(f"{site}/public/")
    assert page.input_value("select[name=credit_status]") == ""  # 全部, as the page opens
    page.fill("input[name=q]", "铜陵市郊区社会组织联合会")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").text_content() == "社会组织信息公示"
    rows = page.locator("table.register tbody tr")
    assert rows.count() == 1 and "铜陵市郊区社会组织联合会" in rows.first.text_content()

"""延期 in a real browser: the organization asks for more time on its report page (a day beyond
the rule set's limit is refused with what it typed kept), the registrar grants it with reasons,
and the organization's page, its deadline and the public card say the deadline moved."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid5

import pytest

from application.demo import _NS
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_public_browser import sign_in

pytestmark = pytest.mark.browser
HUB = uuid5(_NS, "tl-hub")  # the demo hub, whose 2025 report is a draft


def test_the_organization_asks_for_more_time_and_the_registrar_grants_it(site: str, page: Any, clock: Any) -> None:
    clock.move_to(date(2026, 5, 20))
    sign_in(page, site, "org")
    page.goto(f"{site}/organizations/{HUB}/inspections/2025")
    assert "2026-05-31" in page.text_content("[data-testid=filing-deadline]")

    page.fill("[data-testid=ext-until]", "2026-07-31")
    page.fill("[data-testid=ext-reason]", "年度审计报告尚未出具")
    page.click("[data-testid=extension_request-form] button")
    assert "最多可延期30天" in page.inner_text("[data-testid=error]")
    assert page.input_value("[data-testid=ext-reason]") == "年度审计报告尚未出具"  # nothing typed is lost
    page.fill("[data-testid=ext-until]", "2026-06-20")
    page.click("[data-testid=extension_request-form] button")
    assert "等待登记管理机关决定" in page.inner_text("[data-testid=extension-state]")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "extension-asked-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, site, "registrar")
    page.goto(f"{site}/organizations/{HUB}/inspections/2025")
    page.check("input[name=granted][value=yes]")
    page.fill("[data-testid=ext-reasons]", "审计机构出具延期说明,同意")
    page.click("[data-testid=extension_decision-form] button")
    assert "2026-06-20" in page.inner_text("[data-testid=extended]")
    assert "2026-06-20" in page.text_content("[data-testid=filing-deadline]")

    page.goto(f"{site}/public/organizations/{HUB}")
    assert "报送期限已延至2026-06-20" in page.inner_text("[data-testid=inspection-2025]")

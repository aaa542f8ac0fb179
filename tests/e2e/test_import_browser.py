"""台账导入 in a browser: the registrar opens the import from 登记/备案, checks a file with a bad row
(every problem named, the import not offered), checks the corrected file and imports it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility_browser import check_accessibility
from tests.e2e.test_phone_browser import overflow
from tests.integration.test_register_import import row, xlsx

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_registrar_checks_a_register_file_then_imports_it(site: str, page: Any) -> None:
    sign_in(page, site, "registrar")
    page.goto(f"{site}/organizations/new")
    page.click("[data-testid=import-link]")
    bad = xlsx([row(501), row(502, 登记日期="2019-02-30")])
    page.set_input_files("[data-testid=import-file]", files=[{"name": "郊区台账.xlsx", "mimeType": XLSX, "buffer": bad}])
    page.click("[data-testid=import-check]")
    page.wait_for_selector("[data-testid=import-summary]")
    assert "2019-02-30" in page.text_content("[data-testid=import-problems]")
    assert page.is_disabled("[data-testid=import-run]")  # not offered while a row has a problem
    check_accessibility(page, "/organizations/import/")
    page.set_viewport_size({"width": 390, "height": 844})
    assert overflow(page) <= 0  # the problem table scrolls inside the page on a phone
    page.set_viewport_size({"width": 1280, "height": 900})

    good = xlsx([row(501), row(502)])
    page.set_input_files("[data-testid=import-file]", files=[{"name": "郊区台账.xlsx", "mimeType": XLSX, "buffer": good}])
    page.click("[data-testid=import-check]")
    page.wait_for_selector("[data-testid=import-run]:not([disabled])")
    assert "可导入 2 个" in page.text_content("[data-testid=import-summary]")
    page.click("[data-testid=import-run]")
    page.wait_for_selector("[data-testid=import-summary]:has-text('已导入')")
    assert "已导入 2 个" in page.text_content("[data-testid=import-summary]")
    page.goto(f"{site}/register?q=铜陵市第501号社区服务社")
    assert "铜陵市第501号社区服务社" in page.text_content("main")

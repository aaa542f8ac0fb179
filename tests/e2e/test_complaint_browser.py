"""投诉举报 in a real browser: a member of the public complains from an organization's public card
on a phone (a blank complaint is refused and what was typed stays), keeps the reference; the
registrar finds it at the top of the list, accepts it (forgetting the investigation number first:
refused, reasons kept), sees the investigation on the organization's page, closes it with its
finding and answers; the complainant reads the answer by the reference."""

from __future__ import annotations

from typing import Any
from uuid import uuid5

import pytest

from application.demo import _NS
from tests.e2e.conftest import ARTIFACTS, choose_files
from tests.e2e.test_public_browser import sign_in
from tests.support import documents as make

pytestmark = pytest.mark.browser
HUB = uuid5(_NS, "tl-hub")


def test_a_complaint_from_the_public_card_to_the_answer(site: str, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site}/public/organizations/{HUB}")
    page.click("[data-testid=complain] a >> nth=0")
    page.fill("input[name=name]", "张某")
    page.fill("input[name=contact]", "13800000000")
    page.fill("textarea[name=content]", "   ")
    page.click("[data-testid=file-complaint]")
    assert "请填写投诉举报的事实" in page.inner_text("[data-testid=error]") or "请填写" in page.inner_text("[data-testid=error]")
    assert page.input_value("input[name=name]") == "张某" and page.input_value("input[name=contact]") == "13800000000"
    page.fill("textarea[name=content]", "以协会名义向会员违规收取培训费")
    page.screenshot(path=str(ARTIFACTS / "complaint-form-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("[data-testid=file-complaint]")
    reference = page.inner_text("[data-testid=reference]").strip()
    assert "已收到您的投诉举报" in page.inner_text("[data-testid=done]")
    with page.expect_navigation(url="**saved=1"):  # a photo of the receipt, from the phone
        choose_files(page, files=[{"name": "收费收据.png", "mimeType": "image/png", "buffer": make.png(6, 4)}])
    assert "收费收据.png" in page.inner_text("[data-testid=material]")
    page.screenshot(path=str(ARTIFACTS / "complaint-material-phone.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, site, "registrar")
    page.click("[data-testid=nav-supervision]")
    page.click("[data-testid=nav-complaints]")
    first = page.locator("[data-testid=complaint-row]").first
    assert reference in first.inner_text() and "应于" in first.inner_text()
    first.locator("a").click()
    assert "15个工作日" in page.inner_text("[data-testid=triage-due]")  # the unit is said
    with page.expect_download() as got:
        page.click("[data-testid=material] a")
    assert got.value.suggested_filename == "收费收据.png"
    page.check("input[name=decision][value=accepted]")
    page.fill("[data-testid=triage-reasons]", "线索具体,予以受理")
    page.click("[data-testid=triage-form] button")
    assert "立案编号" in page.inner_text("[data-testid=error]")
    assert page.input_value("[data-testid=triage-reasons]") == "线索具体,予以受理"
    page.fill("[data-testid=investigation-number]", "铜民立〔2026〕8号")
    page.click("[data-testid=triage-form] button")
    assert "立案调查" in page.inner_text("[data-testid=state]")

    page.goto(f"{site}/organizations/{HUB}")
    assert "调查中" in page.inner_text("[data-testid=investigations]")
    page.click("[data-testid=close-1]")
    page.check("input[name=finding][value=no_violation]")
    page.fill("textarea[name=reasons]", "经核查,收费经会员大会决议,未发现违规")
    page.click("[data-testid=close-investigation]")
    assert "未发现违法违规" in page.inner_text("[data-testid=investigations]")

    page.goto(f"{site}/complaints")
    page.locator("[data-testid=complaint-row]", has_text=reference).locator("a").click()
    page.fill("[data-testid=answer-text]", "经调查,未发现违规收费,感谢监督。")
    page.click("[data-testid=answer-form] button")
    page.context.clear_cookies()
    page.goto(f"{site}/public/complaints")
    page.fill("input[name=reference]", reference.lower())
    page.click("form.filters button")
    assert "感谢监督" in page.inner_text("[data-testid=answer]")

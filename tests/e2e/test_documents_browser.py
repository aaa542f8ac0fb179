"""Documents in a real browser, on both databases: the organization uploads its annual report's
documents (a PDF made here, a Chinese file name) by choosing and by dropping files, watches the
required list tick, previews and downloads one, withdraws one; submission waits for all of them."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from application.queries.register import RegisterQuery
from tests.e2e.conftest import ARTIFACTS, choose_files
from tests.e2e.test_public_browser import sign_in
from tests.support import documents as make

pytestmark = pytest.mark.browser


def test_an_organization_uploads_previews_downloads_and_withdraws_its_documents(site: str, page: Any, system: Any) -> None:
    year = system.store.today().year - 1
    hub = system.register_view.search(RegisterQuery(text="铜陵市郊区社会组织联合会")).items[0].id
    sign_in(page, site, "org")
    page.goto(f"{site}/organizations/{hub}/inspections/{year}")
    assert "✓" in page.text_content("[data-testid=required-audit_report]")  # the demo attached it
    assert "○" in page.text_content("[data-testid=required-cover_page]")

    # submission is refused while documents are missing, with the list
    page.click("[data-testid=act-submit] button")
    error = page.text_content("[data-testid=error]")
    assert "签字盖章的报告封面" in error and "真实性承诺书" in error and "党建工作报告" in error

    # choose a file: a real PDF with a Chinese name; the progress bar fills, the list ticks
    cover = make.pdf("cover page, signed and sealed", pad_to=400_000)
    page.select_option("[data-testid=doc-slot]", "cover_page")
    with page.expect_navigation(url="**saved=1"):
        choose_files(
            page,
            files=[{"name": "2025年度报告封面(盖章).pdf", "mimeType": "application/pdf", "buffer": cover}],
        )
    assert "✓" in page.text_content("[data-testid=required-cover_page]")
    assert "2025年度报告封面(盖章).pdf" in page.text_content("[data-testid=document-list]")

    # drop two files at once on the zone
    page.select_option("[data-testid=doc-slot]", "commitment")
    drop = page.evaluate_handle(
        """(bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "真实性承诺书.pdf", {type: "application/pdf"}));
        return data;
    }""",
        list(make.pdf("commitment")),
    )
    with page.expect_navigation(url="**saved=1"):
        page.dispatch_event("[data-testid=dropzone]", "drop", {"dataTransfer": drop})
    assert "✓" in page.text_content("[data-testid=required-commitment]")

    # a file of the wrong type by content is refused with the reason, nothing is attached
    page.select_option("[data-testid=doc-slot]", "party_building")
    choose_files(page, files=[{"name": "党建工作报告.pdf", "mimeType": "application/pdf", "buffer": make.png()}])
    page.wait_for_selector("[data-testid=doc-status].error-text")
    assert "类型按文件内容判断" in page.text_content("[data-testid=doc-status]")
    assert "○" in page.text_content("[data-testid=required-party_building]")

    # preview in the page, and download with the Chinese name and the same bytes
    row = page.locator("tr", has_text="2025年度报告封面(盖章).pdf")
    row.locator("[data-testid=preview-link]").click()
    frame = page.locator("[data-testid=preview] iframe")
    source = frame.get_attribute("src")
    preview = page.request.get(f"{site}{source}")
    assert preview.status == 200 and preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-disposition"].startswith("inline;") and preview.headers["x-content-type-options"] == "nosniff"
    with page.expect_download() as downloading:
        row.locator("[data-testid=download-link]").click()
    download = downloading.value
    assert download.suggested_filename == "2025年度报告封面(盖章).pdf"
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == hashlib.sha256(cover).hexdigest()
    page.screenshot(path=str(ARTIFACTS / "documents-preview.png"), full_page=True)

    # withdraw it: the tick goes, the record keeps it (struck through)
    row.locator("[data-testid=withdraw-form] button").click()
    page.wait_for_url("**saved=1")
    assert "○" in page.text_content("[data-testid=required-cover_page]")
    assert "已撤回" in page.locator("tr.withdrawn").first.text_content()


def test_a_reviewer_reads_the_projects_plan_and_budget_beside_the_case(site: str, page: Any, system: Any) -> None:
    from uuid import uuid5

    from application.demo import _NS

    sign_in(page, site, "evaluator")
    page.goto(f"{site}/evaluations/{uuid5(_NS, 'demo-project-review')}")
    page.click("h1 a")  # the project under review
    listed = page.text_content("[data-testid=document-list]")
    assert "项目实施方案" in listed and "项目预算表" in listed and "申报材料" in listed
    assert page.locator("[data-testid=dropzone]").count() == 0  # a reviewer reads, and the application is under review
    page.locator("tr", has_text="项目实施方案").locator("[data-testid=preview-link]").click()
    source = page.locator("[data-testid=preview] iframe").get_attribute("src")
    assert page.request.get(f"{site}{source}").headers["content-type"] == "application/pdf"


def test_an_evaluator_sees_each_indicators_material_beside_it_on_the_score_form(site: str, page: Any, system: Any) -> None:
    from uuid import uuid5

    from application.demo import _NS

    case = system.evaluations.evaluation(uuid5(_NS, "demo-evaluation"))
    first = system.rules.get(case.rule_set.id, case.rule_set.version).evaluation.scheme_for(case.subject_type).indicators[0]
    sign_in(page, site, "evaluator")
    page.goto(f"{site}/evaluations/{case.id}")
    beside = page.locator(f'[data-testid="beside-{first.key}"]')
    assert f"{first.zh}佐证材料.pdf" in beside.text_content()
    assert "2025年度自评报告.pdf" in page.text_content("[data-testid=document-list]")
    beside.locator("[data-testid=beside-preview]").click()
    source = page.locator("[data-testid=preview] iframe").get_attribute("src")
    shown = page.request.get(f"{site}{source}")
    assert shown.status == 200 and shown.headers["content-type"] == "application/pdf"
    assert page.locator("#score-form").count() == 1  # still the score form, the preview beside it
    page.screenshot(path=str(ARTIFACTS / "score-form-documents.png"), full_page=True)

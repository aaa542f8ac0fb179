# ruff: noqa: F811  (the live-server fixture is imported from hostile_support and requested by name)
"""双随机抽查 on the pages, both stores, the demo data: the registrar previews the draw and confirms
it (refused without its number, keeping what was typed), follows a check through its steps — the
conclusion after a confirmation — and the public card shows it; out-of-order steps and strangers
are refused."""

from __future__ import annotations

import re
from uuid import UUID

from tests.integration.helpers import REGISTRAR
from tests.integration.hostile_support import Live, live  # noqa: F401  (the fixture)
from tests.support.documents import pdf, upload_of


def test_the_registrar_draws_after_a_confirmation_and_takes_a_check_through_its_steps(live: Live) -> None:
    year = live.system.store.today().year
    start = live.page("registrar", "GET", "/spot-checks/")
    assert start.status_code == 200 and "年度摇号" in start.text and "预览名录" in start.text
    assert live.page("organization", "GET", "/spot-checks/").status_code == 403

    preview = live.page("registrar", "GET", f"/spot-checks/preview?year={year}&division_prefix=3407")
    assert preview.status_code == 200 and f"确认{year}年度双随机抽查摇号(3407)" in preview.text
    assert "名录哈希" in preview.text and "此操作不可撤回" in preview.text and "随机种子" in preview.text
    sha256 = re.search(r'name="sha256" value="([0-9a-f]{64})"', preview.text).group(1)  # type: ignore[union-attr]
    bad = live.page("registrar", "GET", f"/spot-checks/preview?year={year}&division_prefix=34x")
    assert bad.status_code == 422 and "行政区划代码" in bad.text and 'value="34x"' in bad.text  # kept

    form = {"year": str(year), "division_prefix": "3407", "complained": "", "sha256": sha256, "confirmed": "yes"}
    unnumbered = live.page(
        "registrar", "POST", "/spot-checks/draws", data={**form, "reason": "年度抽查", "_csrf_token": live.csrf_field}
    )
    assert unnumbered.status_code == 422 and "文号" in unnumbered.text and "年度抽查" in unnumbered.text
    drawn = live.page(
        "registrar",
        "POST",
        "/spot-checks/draws",
        data={**form, "document_no": "铜民抽〔2026〕1号", "_csrf_token": live.csrf_field},
    )
    assert drawn.status_code == 303 and drawn.headers["location"].startswith("/spot-checks/draws/")
    page = live.page("registrar", "GET", drawn.headers["location"])
    assert page.status_code == 200 and "抽取结果" in page.text and "铜民抽〔2026〕1号" in page.text
    check_url = re.search(r'href="(/spot-checks/[0-9a-f-]{36})"', page.text).group(1)  # type: ignore[union-attr]

    check = live.page("registrar", "GET", check_url)
    assert check.status_code == 200 and "已抽取,尚未通知" in check.text and 'data-testid="notice-form"' in check.text
    early = live.page("registrar", "POST", f"{check_url}/findings", data={"findings": "现场核查", "_csrf_token": live.csrf_field})
    assert early.status_code == 409 and "须先通知被检查组织" in early.text
    notified = live.page(
        "registrar", "POST", f"{check_url}/notice", data={"document_no": "铜民抽通〔2026〕5号", "_csrf_token": live.csrf_field}
    )
    assert notified.status_code == 303 and notified.headers["location"] == f"{check_url}?done=notice"
    check_id = UUID(check_url.rsplit("/", 1)[1])
    live.system.spot_checks.attach_document(REGISTRAR, check_id, upload_of(live.system, pdf()), "账簿.pdf")
    shown = live.page("registrar", "GET", check_url)
    href = re.search(r'href="(/spot-checks/[0-9a-f-]{36}/documents/[0-9a-f]{64})"', shown.text).group(1)  # type: ignore[union-attr]
    got = live.page("registrar", "GET", href)  # with the page's session, not an API token
    assert got.status_code == 200 and got.content == pdf() and "账簿.pdf" in got.headers["content-disposition"] + shown.text
    assert live.page("public", "GET", href).headers["location"].startswith("/login")  # signed out: sign in first
    findings = {"findings": "会计账簿与年报收入不符", "_csrf_token": live.csrf_field}
    assert live.page("registrar", "POST", f"{check_url}/findings", data=findings).status_code == 303

    conclusion = {"conclusion": "no_problems", "reasons": "经核查未发现问题", "_csrf_token": live.csrf_field}
    asked = live.page("registrar", "POST", f"{check_url}/conclusion", data=conclusion)
    assert asked.status_code == 200 and "确认抽查结论" in asked.text and "信息公示档案中公开" in asked.text
    assert live.system.spot_checks.spot_check(UUID(check_url.rsplit("/", 1)[1])).conclusion is None  # not before confirming
    done = live.page(
        "registrar",
        "POST",
        f"{check_url}/conclusion",
        data={**conclusion, "document_no": "铜民抽结〔2026〕7号", "confirmed": "yes"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"{check_url}?done=conclusion"
    after = live.page("registrar", "GET", done.headers["location"])
    assert "抽查结论已作出并公示" in after.text and "未发现问题" in after.text and "本次抽查办结" not in after.text

    org_id = live.system.spot_checks.spot_check(UUID(check_url.rsplit("/", 1)[1])).organization_id
    card = live.page("public", "GET", f"/public/organizations/{org_id}")
    assert "双随机抽查结果" in card.text and "铜民抽结〔2026〕7号" in card.text and "会计账簿" not in card.text
    english = live.page("registrar", "GET", check_url, lang="en")
    assert "No problems found" in english.text and "Spot check" in english.text
    assert live.page("evaluator", "GET", check_url).status_code in (403, 200)  # 200 only if the demo evaluator is on the team

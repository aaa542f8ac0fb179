# ruff: noqa: F811  (the live-server fixture is imported from hostile_support and requested by name)
"""信用记录 on the pages: the registrar records a penalty only with its decision and after a
confirmation, a refusal keeps what was typed; the organization sees its own record, asks for
removal and attaches the grounds; nobody else sees it. Both stores, the demo data."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from application.queries.register import RegisterQuery
from domain.credit import CreditList, Penalty, PenaltyKind
from tests.integration.helpers import REGISTRAR
from tests.integration.hostile_support import Live, live  # noqa: F401  (the fixture)
from tests.support.documents import pdf


def penalty_form(live: Live, **changes: str) -> dict[str, str]:
    yesterday = live.system.store.today() - timedelta(days=1)
    form = {
        "kind": "warning",
        "decision_no": "郊民罚〔2026〕7号",
        "decided_on": yesterday.isoformat(),
        "reason": "未按规定报送年度工作报告并拒不改正",
        "_csrf_token": live.csrf_field,
    }
    return {**form, **changes}


def credit_url(live: Live) -> str:
    return f"/organizations/{live.ids['organization_id']}/credit"


def listed_abnormal(live: Live) -> None:
    """The organization on the abnormal list, as the penalty test leaves it. The module shares one
    live server, and pytest-xdist may give a worker a test of it without the ones before: such a
    test then sets up the listing it needs itself (a warning lists the organization)."""
    org_id = UUID(live.ids["organization_id"])
    record = live.system.credit.record_of(org_id)
    if record is None or record.current(CreditList.ABNORMAL) is None:
        yesterday = live.system.store.today() - timedelta(days=1)
        warning = Penalty(PenaltyKind.WARNING, "郊民罚〔2026〕8号", yesterday, "未按规定报送年度工作报告并拒不改正")
        live.system.credit.record_penalty(REGISTRAR, org_id, warning)
    assert live.system.credit.record_of(org_id).current(CreditList.ABNORMAL) is not None


def test_a_penalty_is_recorded_only_with_its_decision_and_after_a_confirmation(live: Live) -> None:
    org_id = UUID(live.ids["organization_id"])
    missing = live.page("registrar", "POST", f"{credit_url(live)}/penalties", data=penalty_form(live, decision_no=" "))
    assert missing.status_code == 422 and "处罚决定书文号" in missing.text
    assert 'aria-invalid="true"' in missing.text and "未按规定报送年度工作报告并拒不改正" in missing.text  # kept
    first = live.page("registrar", "POST", f"{credit_url(live)}/penalties", data=penalty_form(live))
    assert first.status_code == 200 and "确认记录处罚" in first.text and "公示页" in first.text
    record = live.system.credit.record_of(org_id)
    assert record is None or not record.penalties  # nothing yet: the confirmation comes first
    done = live.page("registrar", "POST", f"{credit_url(live)}/penalties", data={**penalty_form(live), "confirmed": "yes"})
    assert done.status_code == 303 and done.headers["location"] == f"{credit_url(live)}?done=penalty"
    page = live.page("registrar", "GET", f"{credit_url(live)}?done=penalty")
    assert "行政处罚已记录" in page.text and "郊民罚〔2026〕7号" in page.text and "活动异常名录" in page.text
    assert "行政处罚决定书 · 郊民罚〔2026〕7号" in page.text  # the letter can be attached right there
    english = live.page("registrar", "GET", credit_url(live), lang="en")
    assert "Record a penalty" in english.text and "Abnormal-activity list" in english.text


def test_the_organization_asks_for_removal_and_attaches_its_grounds(live: Live) -> None:
    listed_abnormal(live)
    org_id = UUID(live.ids["organization_id"])
    page = live.page("organization", "GET", credit_url(live))
    assert page.status_code == 200 and "申请移出" in page.text and "记录行政处罚" not in page.text
    asked = live.page(
        "organization", "POST", f"{credit_url(live)}/removal", data={"list_name": "abnormal", "_csrf_token": live.csrf_field}
    )
    assert asked.status_code == 303 and asked.headers["location"].endswith("?done=removal_requested")
    listing = next(x for x in live.system.credit.record_of(org_id).listings if x.removed_on is None)
    assert listing.removal_requested_on == live.system.store.today()
    upload = live.page(
        "organization",
        "POST",
        f"{credit_url(live)}/documents/?subject=removal:abnormal&slot=removal_grounds&name=整改说明.pdf",
        content=pdf("整改说明"),
        headers={"X-CSRFToken": live.csrf_cookie, "Content-Type": "application/octet-stream"},
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["file_name"] == "整改说明.pdf"
    letter = live.page(
        "organization",
        "POST",
        f"{credit_url(live)}/documents/?subject=penalty:郊民罚〔2026〕7号&slot=decision_letter&name=x.pdf",
        content=pdf("not mine to attach"),
        headers={"X-CSRFToken": live.csrf_cookie, "Content-Type": "application/octet-stream"},
    )
    assert letter.status_code == 403  # decision letters are the registrar's
    again = live.page("organization", "GET", credit_url(live))
    assert "整改说明.pdf" in again.text and "已于" in again.text


def test_only_the_organization_staff_and_auditors_see_a_credit_record(live: Live) -> None:
    assert live.page("auditor", "GET", credit_url(live)).status_code == 200
    assert live.page("evaluator", "GET", credit_url(live)).status_code == 403
    signed_out = live.page("public", "GET", credit_url(live))
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
    entries = live.system.register_view.search(RegisterQuery(per_page=50)).items
    someone_else = next(e for e in entries if str(e.id) != live.ids["organization_id"])
    assert live.page("organization", "GET", f"/organizations/{someone_else.id}/credit").status_code == 403
    by_auditor = live.page(
        "auditor", "POST", f"{credit_url(live)}/removal", data={"list_name": "abnormal", "_csrf_token": live.csrf_field}
    )
    assert by_auditor.status_code == 403 and "CSRF" not in by_auditor.text


def test_the_organization_disputes_its_listing_and_the_registrar_decides_after_a_confirmation(live: Live) -> None:
    listed_abnormal(live)
    csrf = {"_csrf_token": live.csrf_field}
    filed = live.page(
        "organization", "POST", f"{credit_url(live)}/objections", data={**csrf, "list_name": "abnormal", "grounds": "已补报"}
    )
    assert filed.status_code == 303 and filed.headers["location"].endswith("?done=objection_filed")
    page = live.page("registrar", "GET", credit_url(live))
    reference = page.text.split('data-testid="credit-objection-')[1].split('"')[0]
    assert "已补报" in page.text and "有异议" not in page.text.split("<h1")[0]
    from domain.periods import Period, PeriodUnit, UnknownYears
    from infra.working_days import ChineseWorkingDays

    today = live.system.store.today()
    due = Period(5, PeriodUnit.WORKING_DAYS).due_from(today, ChineseWorkingDays(), UnknownYears.WEEKENDS_ONLY).due
    assert f"应于 {due} 前核查答复(5个工作日)" in page.text  # the rule set's period, in working days
    asked = live.page("registrar", "POST", f"{credit_url(live)}/objections/{reference}", data={**csrf, "outcome": "dismissed"})
    assert asked.status_code == 200 and "维持不变" in asked.text  # the confirmation says what follows
    decided = live.page(
        "registrar",
        "POST",
        f"{credit_url(live)}/objections/{reference}",
        data={**csrf, "outcome": "dismissed", "confirmed": "yes", "reasons": "补报不改变列入时的事实"},
    )
    assert decided.status_code == 303 and decided.headers["location"].endswith("?done=objection_decided")
    after = live.page("organization", "GET", credit_url(live))
    assert "异议不成立" in after.text and "补报不改变列入时的事实" in after.text


def test_the_registrar_checks_then_imports_a_register_file_on_the_page(live: Live) -> None:
    from tests.integration.test_register_import import row, xlsx

    data = xlsx([row(n) for n in (401, 402)] + [row(403, 类型="股份公司")])
    headers = {"X-CSRFToken": live.csrf_cookie, "Content-Type": "application/octet-stream"}
    url = "/organizations/import/?name=郊区台账.xlsx"
    checked = live.page("registrar", "POST", f"{url}&dry_run=true", content=data, headers=headers)
    assert checked.status_code == 200 and "可导入 2 个" in checked.text and "股份公司" in checked.text
    clean = xlsx([row(n) for n in (401, 402)])
    imported = live.page("registrar", "POST", f"{url}&dry_run=false", content=clean, headers=headers)
    assert imported.status_code == 200 and "已导入 2 个" in imported.text
    again = live.page("registrar", "POST", f"{url}&dry_run=false", content=clean, headers=headers)
    assert "已导入 0 个,已在名册中 2 个" in again.text
    refused = live.page("registrar", "POST", f"{url}&dry_run=true", content=b"%PDF-1.7\x00", headers=headers)
    assert refused.status_code == 422 and "不是 .xlsx" in refused.text
    assert live.page("organization", "POST", f"{url}&dry_run=true", content=clean, headers=headers).status_code == 403
    template = live.page("registrar", "GET", "/organizations/import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"

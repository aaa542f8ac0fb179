"""Annual inspections, credit records and the public pages' API over HTTP, on the demo data."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from application.demo import _NS
from tests.integration.conftest import login
from tests.integration.helpers import REGISTRAR
from tests.integration.test_http_api import assert_problem
from tests.support.documents import attach_required

HUB, CHARITY, ELDER = (str(uuid5(_NS, k)) for k in ("tl-hub", "tl-charity", "tl-elder"))
REPORT = {
    "activities": "社区社会组织孵化 48 场",
    "income": "426000.00",
    "expenditure": "401250.80",
    "net_assets": "118000",
    "staff": 6,
    "volunteers": 85,
    "party_organization": True,
    "attachments": [{"name": "审计报告.pdf", "sha256": "ab" * 32, "size_bytes": 183204}],
}
SECRET_DRAFT = "内部草稿:尚未核实的收入明细"


def events(system: Any) -> int:
    return int(system.store.recorder.max_notification_id() or 0)


def test_an_organization_files_and_the_registrar_reviews(client, system) -> None:
    org, registrar = login(client, "org"), login(client, "registrar")
    year = system.store.today().year - 1  # the demo opened this year's campaign; the hub has a draft
    url = f"/api/organizations/{HUB}/inspections/{year}"
    draft = client.get(url, headers=org)
    assert draft.status_code == 200 and draft.json()["stage"] == "draft"
    attach_required(system, REGISTRAR, UUID(HUB), year)  # the documents the rule set asks for (test_documents_http)
    draft = client.get(url, headers=org)
    saved = client.put(f"{url}/report", json=REPORT, headers={**org, "If-Match": draft.headers["etag"]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["report"]["attachments"][0]["sha256"] == "ab" * 32
    stale = client.post(f"{url}/submission", headers={**org, "If-Match": draft.headers["etag"]})
    assert_problem(stale, 412, "version.stale")
    submitted = client.post(f"{url}/submission", headers={**org, "If-Match": saved.headers["etag"]})
    assert submitted.json()["stage"] == "submitted" and submitted.json()["filed_late"] is False
    # an organization cannot act on another organization's report, nor review its own
    assert client.put(f"/api/organizations/{ELDER}/inspections/{year}/report", json=REPORT, headers=org).status_code == 403
    assert client.post(f"{url}/review", json={"outcome": "pass"}, headers={**org, "If-Match": '"1"'}).status_code == 403
    no_reason = client.post(
        f"{url}/review", json={"outcome": "fail"}, headers={**registrar, "If-Match": submitted.headers["etag"]}
    )
    assert_problem(no_reason, 422, "inspection.reasons_required")
    no_document = client.post(
        f"{url}/review",
        json={"outcome": "basic_pass", "reasons": ["财务制度不健全"]},
        headers={**registrar, "If-Match": submitted.headers["etag"]},
    )
    assert "文号" in assert_problem(no_document, 422, "basis.required")["message_zh"]  # a conclusion is a written decision
    reviewed = client.post(
        f"{url}/review",
        json={"outcome": "basic_pass", "reasons": ["财务制度不健全"], "basis": {"document_no": "铜民年检〔2026〕3号"}},
        headers={**registrar, "If-Match": submitted.headers["etag"]},
    )
    assert reviewed.json()["outcome"] == "basic_pass"
    listed = client.get(f"/api/organizations/{HUB}/inspections", headers=org).json()
    assert [(i["report_year"], i["outcome"]) for i in listed][:2] == [(year, "basic_pass"), (year - 1, "pass")]


def test_the_report_in_the_submission_is_what_is_submitted_both_or_neither(client, system) -> None:
    """Submitting with the report in the body drafts and submits it in one command: refused, neither
    is recorded (the draft stays as it was); accepted, the submitted report is the one sent."""
    org = login(client, "org")
    year = system.store.today().year - 1
    url = f"/api/organizations/{HUB}/inspections/{year}"
    draft = client.get(url, headers=org)
    before, last_draft = events(system), draft.json()["report"]
    edited = {**REPORT, "income": "452000.50", "volunteers": 91}
    missing = client.post(f"{url}/submission", json=edited, headers={**org, "If-Match": draft.headers["etag"]})
    assert_problem(missing, 422, "documents.missing")
    assert events(system) == before and client.get(url, headers=org).json()["report"] == last_draft
    attach_required(system, REGISTRAR, UUID(HUB), year)
    current = client.get(url, headers=org)
    submitted = client.post(f"{url}/submission", json=edited, headers={**org, "If-Match": current.headers["etag"]})
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["stage"] == "submitted" and body["version"] == int(current.headers["etag"].strip('"')) + 2
    assert body["report"]["income"] == "452000.50" and body["report"]["volunteers"] == 91
    kinds = [
        e["event_type"]
        for e in client.get(f"/api/audit/aggregates/{body['id']}/history", headers=login(client, "auditor")).json()
    ]
    assert kinds[-2:] == ["ReportDrafted", "ReportSubmitted"]


def test_bad_input_gets_a_clear_problem_and_stores_nothing(client, system) -> None:
    org, registrar = login(client, "org"), login(client, "registrar")
    this_year = system.store.today().year
    before = events(system)
    future = client.put(f"/api/organizations/{HUB}/inspections/{this_year}/report", json=REPORT, headers=org)
    assert_problem(future, 422, "report.year_not_over")
    # the demo draft is at version 3: opened, drafted, its audit report attached
    negative = client.put(
        f"/api/organizations/{HUB}/inspections/{this_year - 1}/report",
        json={**REPORT, "income": "-5"},
        headers={**org, "If-Match": '"3"'},
    )
    assert_problem(negative, 422, "value.income")
    unsubmitted = client.post(
        f"/api/organizations/{HUB}/inspections/{this_year - 1}/review",
        json={"outcome": "pass"},
        headers={**registrar, "If-Match": '"3"'},
    )
    assert_problem(unsubmitted, 409, "inspection.not_submitted")
    not_met = client.post(
        f"/api/organizations/{CHARITY}/credit/obligation-verifications", json={"list_name": "abnormal"}, headers=registrar
    )
    assert_problem(not_met, 409, "credit.obligation_not_met")
    future_sweep = client.post("/api/credit/rule-application", json={"as_of": f"{this_year + 1}-01-01"}, headers=registrar)
    assert_problem(future_sweep, 422, "sweep.future_date")
    fine_without_amount = client.post(
        f"/api/organizations/{HUB}/credit/penalties",
        headers=registrar,
        json={"kind": "fine", "decision_no": "X-1", "decided_on": "2026-01-05", "reason": "测试"},
    )
    assert_problem(fine_without_amount, 422, "penalty.amount")
    unknown_list = client.get("/api/public/lists/grey")
    assert unknown_list.status_code == 400 and unknown_list.headers["content-type"].startswith("application/problem+json")
    assert events(system) == before


def test_the_public_sees_the_lists_and_cards_but_nothing_private(client, system, clock) -> None:
    org = login(client, "org")
    year = system.store.today().year - 1
    client.put(
        f"/api/organizations/{HUB}/inspections/{year}/report",
        json={**REPORT, "activities": SECRET_DRAFT},
        headers={**org, "If-Match": '"3"'},
    )
    abnormal = client.get("/api/public/lists/abnormal").json()
    names = {i["name"]: i for i in abnormal["items"]}
    assert {"铜陵市慈善基金会", "宣城市青年志愿者协会"} <= set(names)
    assert names["铜陵市慈善基金会"]["grounds"][0]["code"] == "report_not_filed"
    serious = client.get("/api/public/lists/serious").json()
    assert [i["name"] for i in serious["items"]] == ["青山区社区社会组织服务中心"]
    assert [i["grounds"][0]["code"] for i in serious["items"]] == ["large_fine"]

    download = client.get("/api/public/lists/abnormal/csv")
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert rows[0][0] == "名称" and {r[0] for r in rows[1:]} == set(names)
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    english = client.get("/api/public/lists/abnormal/csv", params={"lang": "en"})
    assert next(csv.reader(io.StringIO(english.text.lstrip("\ufeff"))))[:2] == ["Name", "Unified social credit code"]
    page_rows = list(csv.reader(io.StringIO(client.get("/public/lists/abnormal/download").text.lstrip("\ufeff"))))
    tongling = next(r for r in page_rows if r[0] == "铜陵市慈善基金会")
    assert page_rows[0][4] == "列入事由" and "未按时报送年度工作报告" in tongling[4] and "report_not_filed" not in tongling[4]

    found = client.get("/api/public/organizations", params={"credit_status": "serious"}).json()
    assert [i["name"] for i in found["items"]] == ["青山区社区社会组织服务中心"]
    card = client.get(f"/api/public/organizations/{CHARITY}").json()
    assert card["organization"]["credit_status"] == "abnormal"
    assert [(i["report_year"], i["outcome"]) for i in card["inspections"]] == [(year - 1, "missed")]
    hub = client.get(f"/api/public/organizations/{HUB}")
    assert [(i["report_year"], i["outcome"]) for i in hub.json()["inspections"]] == [(year - 1, "pass")]

    # nothing private on any public answer: drafts, evaluator names, sign-in data
    public = "".join(
        client.get(u).text
        for u in (
            f"/api/public/organizations/{HUB}",
            f"/api/public/organizations/{CHARITY}",
            "/api/public/organizations",
            "/api/public/lists/abnormal",
            "/api/public/lists/serious",
            "/api/public/lists/abnormal/csv",
        )
    )
    for secret in (SECRET_DRAFT, "李教授", "周研究员", "吴会计师", "郑老师", "password", "token", "社区社会组织孵化"):
        assert secret not in public, secret
    # the signed-in views are not public
    assert client.get(f"/api/organizations/{HUB}/inspections/{year}").status_code == 401
    assert client.get(f"/api/organizations/{HUB}/credit").status_code == 401


def test_penalties_and_sweeps_over_http(client, system, clock) -> None:
    registrar = login(client, "registrar")
    today = system.store.today()
    penalty = {"kind": "warning", "decision_no": "铜民罚〔2026〕9号", "decided_on": today.isoformat(), "reason": "未按规定换届"}
    answer = client.post(f"/api/organizations/{ELDER}/credit/penalties", json=penalty, headers=registrar)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "abnormal"
    again = client.post(f"/api/organizations/{ELDER}/credit/penalties", json=penalty, headers=registrar)
    assert_problem(again, 409, "penalty.duplicate")
    assert client.get(f"/api/organizations/{ELDER}", headers=registrar).json()["status"] == "active"
    clock.move_to(date(today.year, 12, 31))
    registrar = login(client, "registrar")  # months later: a new session
    swept = client.post("/api/credit/rule-application", json={"as_of": f"{today.year}-12-31"}, headers=registrar)
    assert swept.status_code == 200 and swept.json() == {"abnormal_removed": 2}  # both warnings' 6 months are over
    assert client.post("/api/credit/rule-application", json={"as_of": f"{today.year}-12-31"}, headers=registrar).json() == {}
    register = client.get("/api/organizations", params={"q": "居家养老"}).json()["items"][0]
    assert register["credit_status"] == "none"


def test_a_disputed_listing_is_marked_on_the_public_card_and_an_upheld_objection_corrects_it(client, system) -> None:
    registrar = login(client, "registrar")
    card = client.get(f"/api/public/organizations/{CHARITY}").json()
    [listing] = card["current_listings"]
    filed = client.post(
        f"/api/organizations/{CHARITY}/credit/objections",
        json={"list_name": "abnormal", "grounds": "年度报告已按时邮寄,有邮寄凭证"},
        headers=registrar,
    )
    assert filed.status_code == 201, filed.text
    reference = filed.json()["reference"]
    assert client.get(f"/api/public/organizations/{CHARITY}").json()["current_listings"][0]["objection_pending"] is True
    assert "有异议,核查中" in client.get(f"/public/organizations/{CHARITY}").text
    org = login(client, "org")  # another organization's listing is not theirs to dispute
    assert (
        client.post(
            f"/api/organizations/{CHARITY}/credit/objections", json={"list_name": "abnormal", "grounds": "x"}, headers=org
        ).status_code
        == 403
    )
    decided = client.post(
        f"/api/organizations/{CHARITY}/credit/objections/{reference}/decision",
        json={"upheld": True, "reasons": "经核实邮寄凭证属实,系登记管理机关漏收"},
        headers=registrar,
    )
    assert decided.status_code == 200, decided.text
    card = client.get(f"/api/public/organizations/{CHARITY}").json()
    assert card["current_listings"] == [] and card["organization"]["credit_status"] == "none"
    [corrected] = [x for x in card["listing_history"] if x["listed_on"] == listing["listed_on"]]
    assert corrected["removed_on"] == listing["listed_on"] and corrected["removal_reason"] == "objection_upheld"

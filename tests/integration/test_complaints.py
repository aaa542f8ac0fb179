"""投诉举报 → 立案调查: a complaint from the public is triaged within the rule set's working days;
accepted, it opens an investigation on the organization, and while that is open the rule sets'
`under_investigation` bar holds (an evaluation's eligibility check finds it); the investigation
closes with a finding — a violation with its penalty (which lists the organization), or no
violation — and the bar is off from that day. The complainant follows it by reference and is
answered; names and contacts stay private."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

import pytest

from application.context import CommandContext
from application.errors import TooFrequent
from application.queries.complaints import ComplaintQuery
from application.queries.reminders import ReminderQuery
from application.reminders.completion import task_done
from domain.complaints import Channel, Finding, Triage
from domain.credit import Penalty, PenaltyKind
from domain.errors import InvalidTransition, InvalidValue
from domain.provenance import Actor, Role
from tests.integration.certificate_support import registered
from tests.integration.conftest import login
from tests.integration.helpers import REGISTRAR
from tests.integration.spot_check_support import SWEEP
from tests.support.documents import png

PUBLIC = CommandContext(Actor("public", Role.PUBLIC), "req-public")


def _bars(system, org, on: date) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The bars an eligibility check of a grade case finds on the day (the case opened then)."""
    case = system.evaluations.open_grade_evaluation(REGISTRAR, org, on + timedelta(days=30), "chair-1")
    return system.evaluations.check_eligibility(REGISTRAR, case.id).bars


def test_a_complaint_leads_to_an_investigation_then_a_penalty_and_the_bar_follows(system, clock) -> None:
    clock.move_to(date(2026, 9, 28))
    org = registered(system, 11)
    reference = system.complaints.file(PUBLIC, org, "张某", "138-0000-0000", "以协会名义违规收费", address="10.0.0.9")
    state = system.complaints.state(reference)
    # 15 working days from 28 September run across the National Day holiday (1–7 October off) and
    # count the make-up Saturday 10 October (调休) as a working day
    assert (state.state, state.triage_by) == ("received", date(2026, 10, 23))
    assert "张某" not in str(state) and "138" not in str(state)  # names and contacts stay private

    [row] = system.complaints.search(ComplaintQuery(state="received")).items
    clock.move_to(date(2026, 10, 9))
    triaged = system.complaints.triage(
        replace(REGISTRAR, basis=replace(REGISTRAR.basis, document_no=None)),
        row.id,
        None,
        Triage.ACCEPTED,
        "线索具体",
        None,
        "铜民立〔2026〕3号",
    )
    assert triaged.investigation_number == "铜民立〔2026〕3号" and triaged.answer_by == date(2026, 12, 8)
    holder = system.organizations.organization(org)
    assert holder.under_investigation_on(date(2026, 10, 9)) and not holder.under_investigation_on(date(2026, 10, 8))
    assert "under_investigation" in _bars(system, org, date(2026, 10, 9))

    clock.move_to(date(2026, 11, 2))
    penalty = Penalty(PenaltyKind.WARNING, "铜民罚〔2026〕30号", date(2026, 11, 2), "违规收费")
    system.credit.record_penalty(REGISTRAR, org, penalty)
    system.complaints.close_investigation(
        REGISTRAR, org, None, "铜民立〔2026〕3号", Finding.VIOLATION, "铜民罚〔2026〕30号", "查实违规收费"
    )
    closed = system.organizations.organization(org)
    assert not closed.under_investigation_on(date(2026, 11, 2)) and closed.under_investigation_on(date(2026, 11, 1))
    assert "under_investigation" not in _bars(system, org, date(2026, 11, 2))
    assert system.public.card(org).current_listings  # the penalty listed it (abnormal)

    system.complaints.answer(REGISTRAR, row.id, None, "经调查,反映情况属实,已依法给予警告处罚。")
    answered = system.complaints.state(reference)
    assert answered.state == "answered" and "警告" in (answered.answer or "")


def test_no_violation_and_what_cannot_be_done(system, clock) -> None:
    clock.move_to(date(2026, 9, 1))
    org = registered(system, 12)
    letter = replace(REGISTRAR, effective_on=date(2026, 8, 28))  # a letter that came in before it was entered
    reference = system.complaints.file(letter, org, "李某", "来信地址", "理事长长期不履职", Channel.LETTER)
    complaint = system.complaints.state(reference)
    assert complaint.received_on == date(2026, 8, 28)
    [row] = system.complaints.search(ComplaintQuery()).items
    assert row.channel == "letter"

    with pytest.raises(InvalidTransition):
        system.complaints.answer(REGISTRAR, row.id, None, "答复")  # triage first
    with pytest.raises(InvalidValue) as number:
        system.complaints.triage(REGISTRAR, row.id, None, Triage.ACCEPTED, "线索具体")
    assert number.value.code == "complaint.investigation"
    system.complaints.triage(REGISTRAR, row.id, None, Triage.ACCEPTED, "线索具体", None, "铜民立〔2026〕4号")
    with pytest.raises(InvalidTransition):
        system.complaints.triage(REGISTRAR, row.id, None, Triage.NOT_ACCEPTED, "重复")
    with pytest.raises(InvalidValue) as penalty:
        system.complaints.close_investigation(REGISTRAR, org, None, "铜民立〔2026〕4号", Finding.VIOLATION, None, "查实")
    assert penalty.value.code == "investigation.penalty"
    clock.move_to(date(2026, 9, 20))
    system.complaints.close_investigation(REGISTRAR, org, None, "铜民立〔2026〕4号", Finding.NO_VIOLATION, None, "未发现违规")
    assert "under_investigation" not in _bars(system, org, date(2026, 9, 20))
    with pytest.raises(InvalidTransition):
        system.complaints.close_investigation(REGISTRAR, org, None, "铜民立〔2026〕4号", Finding.NO_VIOLATION, None, "再次")


def test_the_public_files_without_signing_in_within_the_hourly_limit(system, clock, client) -> None:
    org = registered(system, 13)
    body = {"organization_id": str(org), "name": "王某", "contact": "wang@example.org", "content": "活动中存在安全隐患"}
    references = []
    for _ in range(system.complaints.per_hour):
        filed = client.post("/api/public/complaints", json=body)
        assert filed.status_code == 201, filed.text
        references.append(filed.json()["reference"])
    throttled = client.post("/api/public/complaints", json=body)
    assert throttled.status_code == 429 and "每小时" in throttled.json()["message_zh"]
    state = client.get(f"/api/public/complaints/{references[0]}").json()
    assert state["state"] == "received" and "王某" not in str(state)
    assert client.get("/api/complaints").status_code == 401
    registrar = login(client, "registrar")
    listed = client.get("/api/complaints", params={"state": "received"}, headers=registrar).json()
    assert {r["reference"] for r in listed["items"]} >= set(references)
    one = listed["items"][0]
    organization = login(client, "org")  # an organization user may file, but not triage, read or answer
    assert client.get("/api/complaints", headers=organization).status_code == 403
    triage_as_org = client.post(
        f"/api/complaints/{one['id']}/triage",
        json={"decision": "not_accepted", "reasons": "x"},
        headers={**organization, "If-Match": f'"{one["version"]}"'},
    )
    assert triage_as_org.status_code == 403
    triage = {"decision": "referred", "reasons": "属于应急管理部门职责", "referred_to": "区应急管理局"}
    done = client.post(
        f"/api/complaints/{one['id']}/triage", json=triage, headers={**registrar, "If-Match": f'"{one["version"]}"'}
    )
    assert done.status_code == 200 and done.json()["triage"] == "referred" and done.json()["complainant_name"] == "王某"
    with pytest.raises(TooFrequent):
        system.complaints.file(PUBLIC, org, "王某", "x", "y", address="testclient")


def test_the_complainant_sends_material_by_reference_and_only_the_registry_reads_it(system, client) -> None:
    org = registered(system, 14)
    body = {"organization_id": str(org), "name": "赵某", "contact": "zhao@example.org", "content": "收费无票据"}
    reference = client.post("/api/public/complaints", json=body).json()["reference"]
    photo = png(4, 3)
    sent = client.post(f"/api/public/complaints/{reference}/documents", params={"name": "../收据照片.png"}, content=photo)
    assert sent.status_code == 201, sent.text
    assert sent.json()["file_name"] == "收据照片.png" and sent.json()["media_type"] == "image/png"
    page = client.get(f"/public/complaints/{reference}")
    assert "收据照片.png" in page.text and "赵某" not in page.text  # the names stay private, the file names are theirs
    refused = client.post(f"/api/public/complaints/{reference}/documents", params={"name": "x.html"}, content=b"<html>")
    assert refused.status_code == 415 and "类型" in refused.json()["message_zh"]
    unknown = client.post("/api/public/complaints/26-NOPE/documents", params={"name": "a.png"}, content=photo)
    assert unknown.status_code == 404

    registrar = login(client, "registrar")
    [row] = [r for r in client.get("/api/complaints", headers=registrar).json()["items"] if r["reference"] == reference]
    one = client.get(f"/api/complaints/{row['id']}", headers=registrar).json()
    [doc] = one["documents"]
    url = f"/api/complaints/{row['id']}/documents/{doc['sha256']}"
    assert client.get(url, headers=registrar).content == photo
    assert client.get(url, headers=login(client, "org")).status_code == 403  # the organization complained about: no
    assert client.get(url).status_code == 401

    triaged = client.post(
        f"/api/complaints/{row['id']}/triage",
        json={"decision": "not_accepted", "reasons": "不属于登记管理机关职责"},
        headers={**registrar, "If-Match": f'"{one["version"]}"'},
    )
    assert triaged.status_code == 200, triaged.text
    answered = client.post(
        f"/api/complaints/{row['id']}/answer", json={"text": "已告知"}, headers={**registrar, "If-Match": triaged.headers["etag"]}
    )
    assert answered.status_code == 200, answered.text
    late = client.post(f"/api/public/complaints/{reference}/documents", params={"name": "b.png"}, content=photo)
    assert late.status_code == 404  # answered: nothing more is taken
    assert len(system.complaints.complaint(UUID(row["id"])).documents) == 1


def test_the_registry_is_reminded_before_triage_and_answer_are_due_and_once_when_overdue(system, clock) -> None:
    clock.move_to(date(2026, 9, 28))
    org = registered(system, 15)
    reference = system.complaints.file(PUBLIC, org, "钱某", "qian@example.org", "理事会长期未换届", address="10.0.0.8")
    [row] = [r for r in system.complaints.search(ComplaintQuery()).items if r.reference == reference]

    def issued(day: date) -> list:  # type: ignore[type-arg]
        clock.move_to(day)
        system.reminders.issue(SWEEP, day)
        found = system.reminder_view.reminders(ReminderQuery(recipients=["role:registrar"], per_page=200)).items
        return sorted((r for r in found if r.subject_id == row.id), key=lambda r: r.issued_at)

    assert issued(date(2026, 10, 17)) == []  # triage is due on 23 October: 5 days before is the 18th
    [five] = issued(date(2026, 10, 18))
    assert (five.kind, five.period, five.due_on) == ("complaint_due", "triage:2026-10-23", date(2026, 10, 23))
    assert reference in five.text_zh and "受理决定" in five.text_zh and "还有5天" in five.text_zh
    assert system.register_view.get(org).name in five.text_zh  # the organization complained of, by name
    assert len(issued(date(2026, 10, 18))) == 1  # once, however often the sweep runs
    assert len(issued(date(2026, 10, 22))) == 2
    overdue = issued(date(2026, 10, 26))[-1]
    assert overdue.kind == "complaint_overdue" and "已于2026-10-23逾期" in overdue.text_zh
    assert task_done(overdue, system.reminders.planning) is None

    system.complaints.triage(REGISTRAR, row.id, None, Triage.REFERRED, "属于业务主管单位职责", "区教育局")
    done = task_done(overdue, system.reminders.planning)
    assert done is not None and done[0] == "complaint_triaged" and "受理决定" in done[1]
    answer_by = system.complaints.complaint(row.id).answer_by
    assert answer_by == date(2026, 12, 25)  # 60 calendar days from the triage
    assert len(issued(date(2026, 12, 19))) == 3  # the answer's own: 6 days before, none yet
    answer = issued(date(2026, 12, 20))[-1]
    assert (answer.period, answer.offset) == ("answer:2026-12-25", "5") and "答复投诉人" in answer.text_zh

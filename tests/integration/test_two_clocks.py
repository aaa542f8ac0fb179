"""Two clocks: a decision takes effect on the day it was made and is recorded when it is entered.
Its timers, validity and the register count from the day it took effect; the register as
known before it was entered does not show it; a backdated decision that would undercut a later
one is refused, naming it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from application.context import CommandContext
from application.errors import NotPermitted
from application.queries.register import RegisterAsOfQuery
from domain.credit import CreditList, Penalty, PenaltyKind, automatic_removal_due, credit_record_id
from domain.errors import InvalidTransition, InvalidValue
from domain.provenance import Actor, Role
from tests.integration.certificate_support import CHAIR, announced, registered
from tests.integration.conftest import login
from tests.integration.helpers import REGISTRAR
from tests.integration.test_credit_scenario import report
from tests.support.fakes import SHANGHAI


def _line(system, org_id, on: date, known_at: datetime | None = None):  # type: ignore[no-untyped-def]
    page = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, known_at=known_at, per_page=500))
    return next((row for row in page.items if row.id == org_id), None)


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def test_a_penalty_recorded_on_the_9th_effective_on_the_3rd(system, clock) -> None:
    org = registered(system, 1)  # entered in May
    clock.move_to(date(2026, 6, 9))
    penalty = Penalty(PenaltyKind.WARNING, "铜民罚〔2026〕3号", date(2026, 6, 3), "未按章程开展活动")
    system.credit.record_penalty(REGISTRAR, org, penalty)

    record = system.store.repository.get(credit_record_id(org))
    listing = record.current(CreditList.ABNORMAL)
    assert listing.listed_on == date(2026, 6, 3)  # its timers run from the decision, not the entry
    rules = system.credit.rule_set_for(system.organizations.organization(org), date(2026, 6, 9)).credit
    assert automatic_removal_due(listing, rules) == date(2026, 12, 3)
    listed = next(e for e in system.store.events.get(record.id) if type(e).__name__ == "Listed")
    assert listed.provenance.effective_on == date(2026, 6, 3)
    assert listed.timestamp.astimezone(SHANGHAI).date() == date(2026, 6, 9)

    # "as known on the 5th" shows no listing; "as known on the 10th about the 5th" shows it
    assert _line(system, org, date(2026, 6, 5), _at(date(2026, 6, 5))).credit_status == "none"
    assert _line(system, org, date(2026, 6, 5), _at(date(2026, 6, 10))).credit_status == "abnormal"
    assert _line(system, org, date(2026, 6, 5)).credit_status == "abnormal"  # known now
    assert _line(system, org, date(2026, 6, 2)).credit_status == "none"  # before it took effect


def test_a_grade_decided_before_it_is_entered_counts_from_its_day(system, clock) -> None:
    clock.move_to(date(2026, 6, 2))
    org = registered(system, 2)
    case = announced(system, org, "0.9")
    ends = system.evaluations.evaluation(case).announcement[1]
    decided = ends + timedelta(days=1)
    clock.move_to(decided + timedelta(days=4))  # the committee decided; the clerk enters it four days later

    with pytest.raises(InvalidTransition) as running:
        system.evaluations.finalize(replace(CHAIR, effective_on=ends), case, None)
    assert running.value.code == "announcement.running"
    with pytest.raises(InvalidValue) as future:
        system.evaluations.finalize(replace(CHAIR, effective_on=decided + timedelta(days=5)), case, None)
    assert future.value.code == "effective_on.future"
    organization = CommandContext(Actor("org-user", Role.ORGANIZATION), "req-org", actor_organization=org)
    system.inspections.open_campaign(REGISTRAR, 2025, "340711")
    with pytest.raises(NotPermitted):  # an organization cannot date its own filings back
        system.inspections.draft_report(replace(organization, effective_on=decided), org, 2025, None, report())

    system.evaluations.finalize(replace(CHAIR, effective_on=decided), case, None)
    holder = system.organizations.organization(org)
    awarded = next(e for e in system.store.events.get(org) if type(e).__name__ == "GradeAwarded")
    assert awarded.provenance.effective_on == decided and holder.grade is not None
    assert _line(system, org, decided).grade == holder.grade
    assert _line(system, org, decided, _at(decided + timedelta(days=2))).grade is None  # not yet entered then


def test_a_backdated_grade_that_would_undercut_a_later_finding_is_refused_naming_it(system, clock) -> None:
    clock.move_to(date(2026, 6, 2))
    org = registered(system, 3)
    case = announced(system, org, "0.9")
    ends = system.evaluations.evaluation(case).announcement[1]
    clock.move_to(ends + timedelta(days=3))
    suspended = ends + timedelta(days=2)
    suspension = Penalty(
        PenaltyKind.SUSPENSION,
        "铜民罚〔2026〕9号",
        suspended,
        "违规",
        suspended_from=suspended,
        suspended_until=suspended + timedelta(days=90),
    )
    system.credit.record_penalty(REGISTRAR, org, suspension)
    before = len(list(system.store.events.get(case)))

    with pytest.raises(InvalidTransition) as refused:
        system.evaluations.finalize(replace(CHAIR, effective_on=ends + timedelta(days=1)), case, None)
    assert refused.value.code == "decision.before_later_decision"
    assert "停止活动" in refused.value.message_zh and "铜民罚〔2026〕9号" in refused.value.message_zh
    assert refused.value.details["later_on"] == (ends + timedelta(days=2)).isoformat()
    assert len(list(system.store.events.get(case))) == before  # nothing half-written
    assert system.organizations.organization(org).grade is None


def test_a_finalization_over_http_takes_the_decision_day_and_refuses_a_future_one(system, clock, client) -> None:
    clock.move_to(date(2026, 6, 2))
    org = registered(system, 4)
    case = announced(system, org, "0.9")
    ends = system.evaluations.evaluation(case).announcement[1]
    clock.move_to(ends + timedelta(days=5))
    chair = login(client, "registrar")  # a registrar may finalize too
    version = system.evaluations.evaluation(case).version
    url = f"/api/evaluations/{case}/finalization"
    future = {"basis": {"document_no": "铜民评〔2026〕1号", "effective_on": (ends + timedelta(days=9)).isoformat()}}
    response = client.post(url, json=future, headers={**chair, "If-Match": f'"{version}"'})
    assert response.status_code == 422, response.text
    assert "晚于今天" in response.json()["message_zh"] and response.json()["code"] == "effective_on.future"
    decided = {"basis": {"document_no": "铜民评〔2026〕1号", "effective_on": (ends + timedelta(days=2)).isoformat()}}
    response = client.post(url, json=decided, headers={**chair, "If-Match": f'"{version}"'})
    assert response.status_code == 200, response.text
    awarded = next(e for e in system.store.events.get(org) if type(e).__name__ == "GradeAwarded")
    assert awarded.provenance.effective_on == ends + timedelta(days=2)
    assert awarded.provenance.basis.document_no == "铜民评〔2026〕1号"
    assert awarded.timestamp > datetime(2026, 1, 1, tzinfo=UTC)


def test_the_later_decision_corrected_the_backdated_one_goes_in_and_both_axes_tell_the_story(system, clock) -> None:
    clock.move_to(date(2026, 6, 2))
    org = registered(system, 5)
    case = announced(system, org, "0.9")
    ends = system.evaluations.evaluation(case).announcement[1]
    clock.move_to(ends + timedelta(days=3))
    suspended = ends + timedelta(days=2)
    suspension = Penalty(
        PenaltyKind.SUSPENSION, "铜民罚〔2026〕11号", suspended, "违规", suspended_from=suspended, suspended_until=suspended
    )
    system.credit.record_penalty(REGISTRAR, org, suspension)
    believed = clock.now()
    clock.advance(hours=1)

    without_basis = CommandContext(REGISTRAR.actor, "req-correct")
    with pytest.raises(InvalidValue) as basis:
        system.organizations.correct_last_decision(without_basis, org, None)
    assert basis.value.code == "basis.required"
    correction = replace(REGISTRAR, basis=replace(REGISTRAR.basis, document_no="铜民更〔2026〕1号", reason="处罚对象有误"))
    corrected = system.organizations.correct_last_decision(correction, org, None)
    assert corrected.status.value == "active" and corrected.last_decision is None
    with pytest.raises(InvalidTransition) as nothing:
        system.organizations.correct_last_decision(correction, org, None)
    assert nothing.value.code == "correction.nothing"

    # in effect: never suspended; as known before the correction: suspended from its day
    assert _line(system, org, suspended).status == "active"
    assert _line(system, org, suspended, believed).status == "suspended"
    superseded = system.audit.superseded_intervals(org)
    assert any(line.status == "suspended" and line.valid_from == suspended for line in superseded)

    system.evaluations.finalize(replace(CHAIR, effective_on=ends + timedelta(days=1)), case, None)
    assert system.organizations.organization(org).grade is not None
    assert _line(system, org, ends + timedelta(days=1)).grade is not None


def test_a_correction_over_http_needs_its_basis_and_the_version_seen(system, clock, client) -> None:
    org = registered(system, 6)
    registrar = login(client, "registrar")
    version = system.organizations.organization(org).version
    suspend = {"basis": {"document_no": "铜民罚〔2026〕21号", "reason": "违规"}}
    response = client.post(
        f"/api/organizations/{org}/suspension", json=suspend, headers={**registrar, "If-Match": f'"{version}"'}
    )
    assert response.status_code == 200, response.text
    url = f"/api/organizations/{org}/decision-corrections"
    current = {**registrar, "If-Match": f'"{version + 1}"'}
    refused = client.post(url, json={}, headers=current)
    assert refused.status_code == 422 and "文号" in refused.json()["message_zh"]
    stale = client.post(
        url,
        json={"basis": {"document_no": "铜民更〔2026〕2号", "reason": "对象有误"}},
        headers={**registrar, "If-Match": f'"{version}"'},
    )
    assert stale.status_code == 412  # somebody changed it since the version seen
    done = client.post(url, json={"basis": {"document_no": "铜民更〔2026〕2号", "reason": "对象有误"}}, headers=current)
    assert done.status_code == 200 and done.json()["status"] == "active"
    history = client.get(f"/api/organizations/{org}/history", headers=registrar).json()
    assert history[-1]["event_type"] == "DecisionCorrected" and history[-1]["document_no"] == "铜民更〔2026〕2号"


def test_a_penalty_entered_after_its_recording_period_is_marked_late_on_the_credit_page(system, clock) -> None:
    org = registered(system, 7)
    clock.move_to(date(2026, 6, 12))  # Friday; 5 working days from Monday 1 June end on Monday 8 June
    late = Penalty(PenaltyKind.WARNING, "铜民罚〔2026〕40号", date(2026, 6, 1), "未按规定开展活动")
    in_time = Penalty(PenaltyKind.WARNING, "铜民罚〔2026〕41号", date(2026, 6, 10), "未按规定开展活动")
    system.credit.record_penalty(REGISTRAR, org, late)
    system.credit.record_penalty(REGISTRAR, org, in_time)
    recording = system.credit.penalty_recording(org)
    assert recording["铜民罚〔2026〕40号"].late and recording["铜民罚〔2026〕40号"].due.due == date(2026, 6, 8)
    assert recording["铜民罚〔2026〕40号"].due.span_zh == "5个工作日"
    assert not recording["铜民罚〔2026〕41号"].late

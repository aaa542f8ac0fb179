"""Years of annual inspections and credit records with an injected clock, on SQLite and
PostgreSQL: an organization misses 2023 and 2024, is listed, is escalated two years later,
files what it owed, and leaves the serious-dishonesty list after the clean period."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from application.context import CommandContext, system_context
from application.queries.compliance import ListingQuery
from application.queries.reminders import ReminderQuery
from domain.credit import CreditList
from domain.errors import InvalidTransition, InvalidValue
from domain.inspection import AnnualReport, Outcome
from domain.provenance import Actor, Role
from tests.integration.helpers import REGISTRAR, code, profile
from tests.support.documents import attach_required

SWEEP = system_context("daily-sweep", "sweep-test")


def report(**changes: object) -> AnnualReport:
    values: dict[str, object] = {
        "activities": "开展社区养老助餐服务 120 次",
        "income": Decimal("183000.00"),
        "expenditure": Decimal("176500.50"),
        "net_assets": Decimal("52000"),
        "staff": 4,
        "volunteers": 36,
        "party_organization": True,
    }
    values.update(changes)
    return AnnualReport(**values)  # type: ignore[arg-type]


def as_org(org_id: UUID) -> CommandContext:
    return CommandContext(Actor("org-user", Role.ORGANIZATION), "req-org", actor_organization=org_id)


def event_count(system) -> int:  # type: ignore[no-untyped-def]
    return int(system.store.recorder.max_notification_id() or 0)


def file_on_time(system, clock, org_id: UUID, year: int, day: date) -> None:  # type: ignore[no-untyped-def]
    clock.move_to(day)
    system.inspections.draft_report(as_org(org_id), org_id, year, None, report())
    attach_required(system, as_org(org_id), org_id, year)
    system.inspections.submit_report(as_org(org_id), org_id, year, None)
    system.inspections.review(REGISTRAR, org_id, year, None, Outcome.PASS, ())


def status(system, org_id: UUID) -> tuple[str, date | None]:  # type: ignore[no-untyped-def]
    entry = system.register_view.get(org_id)
    return entry.credit_status, entry.credit_since


def test_missed_years_listing_escalation_and_removal_after_the_clean_period(system, clock) -> None:
    clock.current = datetime(2023, 2, 1, tzinfo=clock.current.tzinfo)
    neglectful = system.organizations.register_organization(REGISTRAR, profile("铜陵市某协会"), code(1), date(2015, 6, 1)).id
    diligent = system.organizations.register_organization(
        REGISTRAR, profile("铜陵市郊区志愿者协会"), code(2), date(2016, 3, 1)
    ).id

    clock.move_to(date(2024, 1, 5))
    system.inspections.open_campaign(REGISTRAR, 2023, "3407")
    file_on_time(system, clock, diligent, 2023, date(2024, 3, 15))

    # 2024-06-01: the deadline (31 May) has passed → missed, listed, warned; a second run changes nothing
    clock.move_to(date(2024, 6, 1))
    assert system.inspections.record_missed(SWEEP, date(2024, 6, 1)) == {"campaigns": 1, "missed": 1, "exempt": 0}
    before = event_count(system)
    assert system.inspections.record_missed(SWEEP, date(2024, 6, 1)) == {"campaigns": 0, "missed": 0, "exempt": 0}
    assert event_count(system) == before
    assert status(system, neglectful) == ("abnormal", date(2024, 6, 1))
    assert status(system, diligent) == ("none", None)
    record = system.credit.record_of(neglectful)
    assert record.warnings == ((2023, "missed"),) and record.open_revocation_proposal is None
    listed = system.compliance.listings(ListingQuery(list_name="abnormal")).items
    assert [(row.name, [g.code for g in row.grounds]) for row in listed] == [("铜陵市某协会", ["report_not_filed"])]

    # the organization was registered in September: exempt from the 2024 inspection
    late_comer = system.organizations.register_organization(REGISTRAR, profile("铜陵市新社工站"), code(3), date(2024, 9, 1)).id
    clock.move_to(date(2025, 1, 6))
    system.inspections.open_campaign(REGISTRAR, 2024, "3407")
    file_on_time(system, clock, diligent, 2024, date(2025, 3, 20))
    clock.move_to(date(2025, 6, 2))
    assert system.inspections.record_missed(SWEEP, date(2025, 6, 2)) == {"campaigns": 1, "missed": 1, "exempt": 1}
    assert system.inspections.inspection(late_comer, 2024).outcome is Outcome.EXEMPT
    record = system.credit.record_of(neglectful)
    assert record.open_revocation_proposal == (2023, 2024)  # two consecutive years missed
    assert len(record.current(CreditList.ABNORMAL).grounds) == 2
    system.credit.decide_revocation(REGISTRAR, neglectful, accepted=False, note="给予整改机会")
    assert system.organizations.organization(neglectful).status.value == "active"

    # a timer sweep before two full years changes nothing; on the day it escalates
    clock.move_to(date(2026, 1, 6))
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    file_on_time(system, clock, neglectful, 2025, date(2026, 3, 10))
    clock.move_to(date(2026, 5, 2))  # a month before, the organization is told the listing will escalate
    system.reminders.issue(SWEEP, date(2026, 5, 2))
    (warned,) = system.reminder_view.reminders(ReminderQuery(kind="credit_escalation")).items
    assert warned.done_zh is None
    clock.move_to(date(2026, 5, 31))
    assert system.credit.apply_rules(SWEEP, date(2026, 5, 31)) == {}
    clock.move_to(date(2026, 6, 1))
    assert system.credit.apply_rules(SWEEP, date(2026, 6, 1)) == {"escalated": 1}
    (warned,) = system.reminder_view.reminders(ReminderQuery(kind="credit_escalation")).items  # off the list: done
    assert warned.done_zh == "已于2026-06-01移出活动异常名录,提醒已取消。"
    assert system.credit.apply_rules(SWEEP, date(2026, 6, 1)) == {}
    assert status(system, neglectful) == ("serious", date(2026, 6, 1))
    abnormal = next(row for row in system.compliance.listings_of(neglectful) if row.list_name == "abnormal")
    planning = system.reminders.planning  # what an escalation reminder retried now would find: done
    assert planning.listing_removed_on(neglectful, abnormal.listed_on) == date(2026, 6, 1)
    assert planning.listing_removed_on(diligent, abnormal.listed_on) is None

    # removal without the obligation met is refused, and nothing is stored
    before = event_count(system)
    with pytest.raises(InvalidTransition) as refused:
        system.credit.verify_obligation(REGISTRAR, neglectful, CreditList.SERIOUS)
    assert refused.value.code == "credit.obligation_not_met"
    assert event_count(system) == before

    # the late reports meet the obligation; the outcome of those years stays "missed"
    clock.move_to(date(2026, 7, 1))
    for year in (2023, 2024):
        assert system.reminders.planning.report_filed_on(neglectful, year) is None
        system.inspections.draft_report(as_org(neglectful), neglectful, year, None, report())
        attach_required(system, as_org(neglectful), neglectful, year)
        system.inspections.submit_report(as_org(neglectful), neglectful, year, None)
        assert system.inspections.inspection(neglectful, year).outcome is Outcome.MISSED
        assert system.reminders.planning.report_filed_on(neglectful, year) == date(2026, 7, 1)  # an overdue reminder: done
    system.credit.request_removal(as_org(neglectful), neglectful, CreditList.SERIOUS)
    system.credit.verify_obligation(REGISTRAR, neglectful, CreditList.SERIOUS)
    assert status(system, neglectful) == ("serious", date(2026, 6, 1))  # the clean period runs to 2028-06-01

    clock.move_to(date(2028, 5, 31))
    assert system.credit.apply_rules(SWEEP, date(2028, 5, 31)) == {}
    clock.move_to(date(2028, 6, 1))
    assert system.credit.apply_rules(SWEEP, date(2028, 6, 1)) == {"serious_removed": 1}
    assert status(system, neglectful) == ("none", None)
    history = [row.removal_reason for row in system.compliance.listings_of(neglectful)]
    assert history == ["clean_period_over", "escalated"]
    types = [e.event_type for e in system.store.history(record.id)]
    assert types.count("Listed") == 3 and types.count("Removed") == 2 and "RevocationDecided" in types


def test_a_new_ground_restarts_the_clean_period(system, clock) -> None:
    from domain.credit import Penalty, PenaltyKind

    clock.current = datetime(2026, 1, 5, tzinfo=clock.current.tzinfo)
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1)).id
    fine = Penalty(PenaltyKind.FINE, "铜民罚〔2026〕1号", date(2026, 1, 5), "违规收费", Decimal("60000"))
    system.credit.record_penalty(REGISTRAR, org, fine)
    assert status(system, org) == ("serious", date(2026, 1, 5))
    clock.move_to(date(2027, 3, 1))
    serious = next(row for row in system.compliance.listings_of(org) if row.list_name == "serious")
    assert serious.clock_from == date(2026, 1, 5)
    system.credit.add_ground(REGISTRAR, org, "court_defaulter", date(2027, 3, 1), "法院失信被执行人")
    serious = next(row for row in system.compliance.listings_of(org) if row.list_name == "serious")
    assert serious.clock_from == date(2027, 3, 1) and len(serious.grounds) == 2  # the register shows the restart
    clock.move_to(date(2028, 1, 5))
    assert system.credit.apply_rules(SWEEP, date(2028, 1, 5)) == {}  # not 2 years since the new ground
    clock.move_to(date(2029, 3, 1))
    assert system.credit.apply_rules(SWEEP, date(2029, 3, 1)) == {"serious_removed": 1}


def test_small_penalties_list_abnormal_then_repeated_ones_serious_and_auto_removal(system, clock) -> None:
    from domain.credit import Penalty, PenaltyKind

    clock.current = datetime(2026, 1, 5, tzinfo=clock.current.tzinfo)
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1)).id
    system.credit.record_penalty(
        REGISTRAR, org, Penalty(PenaltyKind.WARNING, "铜民罚〔2026〕2号", date(2026, 1, 5), "未按章程活动")
    )
    assert status(system, org) == ("abnormal", date(2026, 1, 5))
    clock.move_to(date(2026, 7, 5))
    assert system.credit.apply_rules(SWEEP, date(2026, 7, 5)) == {"abnormal_removed": 1}  # 6 months, nothing to rectify
    clock.move_to(date(2027, 2, 1))
    small = Penalty(PenaltyKind.FINE, "铜民罚〔2027〕3号", date(2027, 2, 1), "超范围活动", Decimal("5000"))
    system.credit.record_penalty(REGISTRAR, org, small)
    assert status(system, org) == ("serious", date(2027, 2, 1))  # two small penalties within 3 years
    with pytest.raises(InvalidTransition):
        system.credit.record_penalty(REGISTRAR, org, small)  # the same decision twice


def test_bad_input_is_refused_and_nothing_is_stored(system, clock) -> None:
    clock.current = datetime(2026, 1, 5, tzinfo=clock.current.tzinfo)
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1)).id
    system.inspections.open_campaign(REGISTRAR, 2025, "340711")
    before = event_count(system)
    with pytest.raises(InvalidValue) as future:
        system.inspections.draft_report(as_org(org), org, 2026, None, report())
    assert future.value.code == "report.year_not_over"
    with pytest.raises(InvalidValue) as negative:
        system.inspections.draft_report(as_org(org), org, 2025, None, report(income=Decimal("-1")))
    assert negative.value.code == "value.income" and negative.value.details["field"] == "income"
    with pytest.raises(InvalidValue):
        system.inspections.open_campaign(REGISTRAR, 2026, "3407")
    assert event_count(system) == before
    system.inspections.draft_report(as_org(org), org, 2025, None, report())
    before = event_count(system)
    with pytest.raises(InvalidTransition) as unsubmitted:
        system.inspections.review(REGISTRAR, org, 2025, None, Outcome.PASS, ())
    assert unsubmitted.value.code == "inspection.not_submitted"
    with pytest.raises(InvalidValue):
        system.credit.add_ground(REGISTRAR, org, "abnormal_two_years", date(2026, 1, 5), "")
    assert event_count(system) == before


def test_inspections_penalties_and_lists_bar_a_grade_evaluation(system, clock) -> None:
    from domain.credit import Penalty, PenaltyKind

    clock.current = datetime(2025, 1, 6, tzinfo=clock.current.tzinfo)
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1)).id
    system.inspections.open_campaign(REGISTRAR, 2024, "3407")
    clock.move_to(date(2025, 6, 1))
    system.inspections.record_missed(SWEEP, date(2025, 6, 1))
    clock.move_to(date(2025, 9, 1))
    system.credit.record_penalty(REGISTRAR, org, Penalty(PenaltyKind.WARNING, "铜民罚〔2025〕4号", date(2025, 9, 1), "违规"))
    clock.move_to(date(2026, 2, 1))  # Anhui's rule set (before the 2026 revision's effect there) names these bars
    evaluation = system.evaluations.open_grade_evaluation(REGISTRAR, org, date(2026, 6, 30), "chair-1")
    checked = system.evaluations.check_eligibility(REGISTRAR, evaluation.id)
    assert set(checked.bars) == {"inspection_missed_or_failed_last_year", "penalty_last_year", "abnormal_list"}


def test_rectification_letters_suspension_and_an_accepted_revocation(system, clock) -> None:
    from domain.credit import Penalty, PenaltyKind

    clock.current = datetime(2025, 1, 6, tzinfo=clock.current.tzinfo)
    failing = system.organizations.register_organization(REGISTRAR, profile("铜陵市甲协会"), code(1), date(2015, 6, 1)).id
    silent = system.organizations.register_organization(REGISTRAR, profile("铜陵市乙协会"), code(2), date(2015, 6, 1)).id
    suspended = system.organizations.register_organization(REGISTRAR, profile("铜陵市丙协会"), code(3), date(2015, 6, 1)).id
    system.inspections.open_campaign(REGISTRAR, 2024, "3407")

    # a failed inspection with a rectification order not done by its deadline → listed; done → removed
    clock.move_to(date(2025, 3, 1))
    system.inspections.draft_report(as_org(failing), failing, 2024, None, report())
    attach_required(system, as_org(failing), failing, 2024)
    system.inspections.submit_report(as_org(failing), failing, 2024, None)
    system.inspections.review(REGISTRAR, failing, 2024, None, Outcome.FAIL, ("财务报表不实",))
    system.inspections.order_rectification(REGISTRAR, failing, 2024, None, ("重新编制财务报表",), date(2025, 5, 1))
    assert system.credit.record_of(failing).warnings == ((2024, "fail"),)
    clock.move_to(date(2025, 5, 2))
    assert system.credit.apply_rules(SWEEP, date(2025, 5, 2)) == {"rectification_overdue_listed": 1}
    assert system.credit.apply_rules(SWEEP, date(2025, 5, 2)) == {}
    assert status(system, failing) == ("abnormal", date(2025, 5, 2))
    with pytest.raises(InvalidTransition):
        system.credit.verify_obligation(REGISTRAR, failing, CreditList.ABNORMAL)
    system.inspections.confirm_rectification(REGISTRAR, failing, 2024, None)
    system.credit.verify_obligation(REGISTRAR, failing, CreditList.ABNORMAL)
    assert status(system, failing) == ("none", None)

    # two returned registered letters → unreachable
    system.credit.record_returned_letter(REGISTRAR, silent, date(2025, 4, 1), "挂号信退回")
    assert status(system, silent) == ("none", None)
    system.credit.record_returned_letter(REGISTRAR, silent, date(2025, 5, 2), "挂号信再次退回")
    assert [g.code for g in system.credit.record_of(silent).current(CreditList.ABNORMAL).grounds] == ["unreachable"]

    # a suspension penalty suspends and lists on the serious list, in one transaction
    stop = Penalty(
        PenaltyKind.SUSPENSION,
        "铜民罚〔2025〕8号",
        date(2025, 5, 2),
        "违规活动",
        suspended_from=date(2025, 5, 2),
        suspended_until=date(2025, 8, 2),
    )
    system.credit.record_penalty(REGISTRAR, suspended, stop)
    assert system.organizations.organization(suspended).status.value == "suspended"
    assert status(system, suspended) == ("serious", date(2025, 5, 2))

    # missed twice in a row → proposal; accepted → revoked and on the serious list
    clock.move_to(date(2025, 6, 1))
    system.inspections.record_missed(SWEEP, date(2025, 6, 1))
    clock.move_to(date(2026, 1, 6))
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    clock.move_to(date(2026, 6, 1))
    system.inspections.record_missed(SWEEP, date(2026, 6, 1))
    assert system.credit.record_of(silent).open_revocation_proposal == (2024, 2025)
    system.credit.decide_revocation(REGISTRAR, silent, accepted=True, note="连续两年未参加年检")
    assert system.organizations.organization(silent).status.value == "revoked"
    assert status(system, silent) == ("serious", date(2026, 6, 1))
    with pytest.raises(InvalidTransition):
        system.credit.decide_revocation(REGISTRAR, silent, accepted=True, note="")


LISTING_TABLES = {
    "sl_credit_records": "id",
    "sl_listings": "record_id, seq",
    "sl_penalties": "record_id, decision_no",
    "sl_inspections": "id",
}


def _listing_rows(system) -> dict[str, list[dict[str, object]]]:  # type: ignore[no-untyped-def]
    with system.compliance.db.transaction() as tx:
        return {table: tx.execute(f"SELECT * FROM {table} ORDER BY {order}").all() for table, order in LISTING_TABLES.items()}


@pytest.mark.parametrize("batch", [5_000, 3])
def test_listings_applied_many_events_at_a_time_are_those_the_commands_wrote(system, clock, monkeypatch, batch) -> None:
    """A sweep's save lists hundreds of records at once, so the records' current listings are read
    ahead and kept as the events change them: a record listed, escalated, listed again and given
    new grounds in one apply ends as the commands, one at a time, left it. The same for the
    inspections (opened, filed and reviewed, or extended, or missed), each written once per apply."""
    from domain.credit import Penalty, PenaltyKind
    from infra.projections import base

    clock.current = datetime(2023, 2, 1, tzinfo=clock.current.tzinfo)
    orgs = [
        system.organizations.register_organization(REGISTRAR, profile(f"铜陵市协会{n}"), code(n), date(2015, 6, 1)).id
        for n in range(1, 9)
    ]
    clock.move_to(date(2024, 1, 5))
    system.inspections.open_campaign(REGISTRAR, 2023, "3407")
    file_on_time(system, clock, orgs[6], 2023, date(2024, 5, 10))
    clock.move_to(date(2024, 5, 20))
    system.inspections.request_extension(as_org(orgs[7]), orgs[7], 2023, None, date(2024, 6, 20), "审计未完成")
    system.inspections.decide_extension(REGISTRAR, orgs[7], 2023, None, True, None, "审计机构出具延期说明")
    clock.move_to(date(2024, 6, 1))
    assert system.inspections.record_missed(SWEEP, date(2024, 6, 1))["missed"] == 6  # six records listed in one save
    fine = Penalty(PenaltyKind.FINE, "铜民罚〔2024〕1号", date(2024, 6, 1), "违规收费", Decimal("60000"))
    system.credit.record_penalty(REGISTRAR, orgs[0], fine)  # serious beside the abnormal listing
    system.credit.add_ground(REGISTRAR, orgs[0], "court_defaulter", date(2024, 6, 1), "法院失信被执行人")
    system.credit.record_penalty(
        REGISTRAR, orgs[1], Penalty(PenaltyKind.WARNING, "铜民罚〔2024〕2号", date(2024, 6, 1), "未按章程活动")
    )
    system.credit.file_objection(as_org(orgs[2]), orgs[2], CreditList.ABNORMAL, "年报已通过邮寄报送")
    clock.move_to(date(2026, 6, 1))
    assert system.credit.apply_rules(SWEEP, date(2026, 6, 1))["escalated"] >= 4  # removed from one list, onto the other
    system.credit.add_ground(REGISTRAR, orgs[3], "court_defaulter", date(2026, 6, 1), "法院失信被执行人")
    system.credit.record_penalty(  # abnormal again, after the escalation removed it from that list
        REGISTRAR, orgs[4], Penalty(PenaltyKind.WARNING, "铜民罚〔2026〕3号", date(2026, 6, 1), "未按章程活动")
    )
    live = _listing_rows(system)
    assert sum(1 for r in live["sl_listings"] if r["removed_on"] is None and r["list_name"] == "serious") >= 5
    assert any(r["seq"] == 3 and r["list_name"] == "abnormal" for r in live["sl_listings"]) and any(
        r["objection_pending"] for r in live["sl_listings"]
    )
    assert any(len(json.loads(str(r["grounds"]))) == 2 for r in live["sl_listings"])
    stages = {r["stage"] for r in live["sl_inspections"]}
    assert {"missed", "reviewed", "awaiting"} <= stages and any(r["extended_from"] for r in live["sl_inspections"])

    monkeypatch.setattr(base, "REBUILD_BATCH", batch)
    base.Projection.rebuild(system.compliance)  # the whole log through `apply`, `batch` events at a time

    assert _listing_rows(system) == live

"""How each year's annual report stands against its deadline on the public card, on SQLite and
PostgreSQL: filed on time, filed N days late, or overdue N days counted to the day the card is
read, amber up to the rule set's 14 days and red beyond; and a report filed after the sweep
recorded the year as missed is still reviewed, the year staying missed."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from application.credit import CreditRecords
from domain.credit import CreditList
from domain.inspection import Outcome, Stage
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_credit_scenario import SWEEP, as_org, event_count, report
from tests.support.documents import attach_required

DEADLINE = date(2026, 5, 31)  # the 2025 report, Tongling (Anhui rule set: 31 May)


def filing(system, org_id: UUID, year: int = 2025) -> dict[str, object]:  # type: ignore[no-untyped-def]
    card = system.public.card(org_id)
    [row] = [i for i in card.inspections if i.report_year == year]
    return {k: getattr(row, k) for k in ("outcome", "filing", "deadline", "submitted_on", "days_late", "days_overdue", "marking")}


def submit(system, clock, org_id: UUID, day: date, draft: bool = True) -> None:  # type: ignore[no-untyped-def]
    clock.move_to(day)
    if draft:
        system.inspections.draft_report(as_org(org_id), org_id, 2025, None, report())
    attach_required(system, as_org(org_id), org_id, 2025)
    system.inspections.submit_report(as_org(org_id), org_id, 2025, None)


def test_each_years_filing_is_on_time_late_or_overdue_marked_amber_up_to_14_days_and_red_beyond(system, clock) -> None:
    clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
    names = ("准时协会", "晚两周协会", "晚半月协会", "沉默协会")
    on_time, two_weeks, fifteen, silent = (
        system.organizations.register_organization(REGISTRAR, profile(f"铜陵市{n}"), code(n + 1), date(2015, 6, 1)).id
        for n, _ in enumerate(names)
    )
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    clock.move_to(date(2026, 5, 20))
    system.inspections.draft_report(as_org(two_weeks), two_weeks, 2025, None, report())  # a draft left at the deadline

    # before the deadline only what was submitted is public
    assert [i.report_year for i in system.public.card(silent).inspections] == []
    submit(system, clock, on_time, DEADLINE)  # on the deadline day itself: on time
    assert filing(system, on_time) == {
        "outcome": None,
        "filing": "on_time",
        "deadline": DEADLINE,
        "submitted_on": DEADLINE,
        "days_late": 0,
        "days_overdue": None,
        "marking": None,
    }

    clock.move_to(date(2026, 6, 1))
    assert system.inspections.record_missed(SWEEP, date(2026, 6, 1)) == {"campaigns": 1, "missed": 3, "exempt": 0}
    assert filing(system, silent) == {
        "outcome": "missed",
        "filing": "overdue",
        "deadline": DEADLINE,
        "submitted_on": None,
        "days_late": None,
        "days_overdue": 1,
        "marking": "amber",
    }

    submit(system, clock, two_weeks, date(2026, 6, 14), draft=False)  # the draft left at the deadline, sent as it is
    assert filing(system, two_weeks)["filing"] == "late" and filing(system, two_weeks)["days_late"] == 14
    assert filing(system, two_weeks)["marking"] == "amber"
    assert (filing(system, silent)["days_overdue"], filing(system, silent)["marking"]) == (14, "amber")

    clock.move_to(date(2026, 6, 15))  # counted to the day the card is read
    assert (filing(system, silent)["days_overdue"], filing(system, silent)["marking"]) == (15, "red")
    submit(system, clock, fifteen, date(2026, 6, 15))
    assert filing(system, fifteen) == {
        "outcome": "missed",
        "filing": "late",
        "deadline": DEADLINE,
        "submitted_on": date(2026, 6, 15),
        "days_late": 15,
        "days_overdue": None,
        "marking": "red",
    }
    assert filing(system, two_weeks)["days_late"] == 14  # a filing's lateness no longer grows

    clock.move_to(date(2026, 9, 1))
    assert (filing(system, silent)["days_overdue"], filing(system, silent)["marking"]) == (93, "red")
    for org_id in (on_time, silent):  # another day's reading, the same year
        assert filing(system, org_id)["deadline"] == DEADLINE


def test_a_report_filed_after_the_year_was_recorded_missed_is_still_reviewed_and_the_year_stays_missed(system, clock) -> None:
    clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
    org_id = system.organizations.register_organization(REGISTRAR, profile("铜陵市补报协会"), code(7), date(2015, 6, 1)).id
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    clock.move_to(date(2026, 6, 1))
    system.inspections.record_missed(SWEEP, date(2026, 6, 1))
    credit: CreditRecords = system.credit
    listed = credit.record_of(org_id)
    assert listed.warnings == ((2025, "missed"),) and len(listed.current(CreditList.ABNORMAL).grounds) == 1

    # the late report: drafted, submitted, given an opinion, corrected, resubmitted and reviewed like any other
    submit(system, clock, org_id, date(2026, 6, 10))
    inspection = system.inspections.inspection(org_id, 2025)
    assert (inspection.stage, inspection.outcome, inspection.filed_late) == (Stage.SUBMITTED, Outcome.MISSED, True)
    system.inspections.give_preliminary_opinion(REGISTRAR, org_id, 2025, None, "同意补报")
    system.inspections.request_correction(REGISTRAR, org_id, 2025, None, ("补充财务审计报告",))
    assert filing(system, org_id)["filing"] == "overdue"  # sent back: not filed until it is resubmitted
    submit(system, clock, org_id, date(2026, 6, 20))
    before = event_count(system)
    reviewed = system.inspections.review(REGISTRAR, org_id, 2025, None, Outcome.FAIL, ("年度收支不符",))
    assert (reviewed.stage, reviewed.outcome, reviewed.review_outcome) == (Stage.REVIEWED, Outcome.MISSED, Outcome.FAIL)
    # the review and its notice to the organization only: the year's consequences were recorded at the deadline
    assert event_count(system) == before + 2
    record = credit.record_of(org_id)
    assert record.warnings == ((2025, "missed"),) and len(record.current(CreditList.ABNORMAL).grounds) == 1

    [row] = system.compliance.inspections_of(org_id)
    assert (row.stage, row.outcome, row.review_outcome, row.submitted_on) == ("reviewed", "missed", "fail", date(2026, 6, 20))
    card = system.public.card(org_id).inspections[0]
    assert (card.outcome, card.late_review_outcome, card.filing, card.days_late, card.marking) == (
        "missed",
        "fail",
        "late",
        20,
        "red",
    )
    # a second sweep does not record the year missed again
    before = event_count(system)
    system.inspections.record_missed(SWEEP, date(2026, 6, 20))
    assert event_count(system) == before
    # and the filed report meets the obligation behind the abnormal listing
    credit.request_removal(as_org(org_id), org_id, CreditList.ABNORMAL)
    credit.verify_obligation(REGISTRAR, org_id, CreditList.ABNORMAL)


def test_deadlines_are_beijing_dates_whatever_the_servers_utc_date(system, clock) -> None:
    clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
    last_minute, past_midnight = (
        system.organizations.register_organization(REGISTRAR, profile(f"铜陵市{n}"), code(20 + i), date(2015, 6, 1)).id
        for i, n in enumerate(("最后一刻协会", "午夜之后协会"))
    )
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    for org_id, hour in ((last_minute, (date(2026, 5, 31), 23)), (past_midnight, (date(2026, 6, 1), 0))):
        clock.move_to(*hour)
        clock.advance(minutes=30)  # 15:30 and 16:30 UTC on 31 May
        system.inspections.draft_report(as_org(org_id), org_id, 2025, None, report())
        attach_required(system, as_org(org_id), org_id, 2025)
        system.inspections.submit_report(as_org(org_id), org_id, 2025, None)
    assert (filing(system, last_minute)["filing"], filing(system, last_minute)["marking"]) == ("on_time", None)
    assert filing(system, past_midnight) == {
        "outcome": None,
        "filing": "late",
        "deadline": DEADLINE,
        "submitted_on": date(2026, 6, 1),
        "days_late": 1,
        "days_overdue": None,
        "marking": "amber",
    }


def test_a_newly_registered_organization_is_not_asked_for_last_years_report(system, clock) -> None:
    """The rule set exempts an organization registered too shortly before the report year's end."""
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    older = system.organizations.register_organization(REGISTRAR, profile("铜陵市郊区老年协会"), code(41), date(2015, 6, 1))
    newer = system.organizations.register_organization(REGISTRAR, profile("铜陵市郊区新成立协会"), code(42), date(2025, 11, 20))
    assert system.inspections.open_report_year(older.id) == 2025
    assert system.inspections.open_report_year(newer.id) is None

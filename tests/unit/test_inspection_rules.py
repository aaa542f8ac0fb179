"""The annual inspection (年检): the campaign's deadlines and exemptions, the report's way from
draft to review, the missed year, rectification, and how a filing stands against its deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from domain.documents import SLOTS, DocumentRef, DocumentsMissing
from domain.errors import InvalidTransition, InvalidValue
from domain.inspection import (
    AnnualReport,
    Attachment,
    Filing,
    Inspection,
    InspectionCampaign,
    Outcome,
    Stage,
    campaign_id,
    inspection_id,
    timeliness,
)
from domain.provenance import Role
from domain.rules import InspectionRules, grade_at_least
from tests.unit.given import NATIONAL, by

RULES = InspectionRules(
    supervising_unit_deadline="03-31",
    registration_authority_deadline="05-31",
    exempt_if_registered_months_before_year_end=6,
    simplified_from_grade="4A",
    late_amber_up_to_days=14,
    extension_max_days=30,
    missed_consequences=("abnormal_list", "warning", "grade_finding"),
    failed_consequences=("warning", "grade_finding"),
    required_documents={"private_non_enterprise": ("audit_report", "cover_page", "commitment")},
)
ORG = UUID(int=7)
DEADLINE = date(2026, 5, 31)
REPORT = AnnualReport(
    activities="开展居家养老服务 1,200 人次",
    income=Decimal("180000.00"),
    expenditure=Decimal("165000.50"),
    net_assets=Decimal(-2000),
    staff=4,
    volunteers=30,
    party_organization=True,
)
REGISTRAR, ORGANIZATION = by(Role.REGISTRAR), by(Role.ORGANIZATION)


def campaign(report_year: int = 2025, today: date = date(2026, 1, 5)) -> InspectionCampaign:
    return InspectionCampaign.open(report_year, "3407", RULES.deadlines(report_year), today, by(on=today))


def inspection() -> Inspection:
    return Inspection.open(ORG, campaign(), False, REGISTRAR)


def drafted() -> Inspection:
    i = inspection()
    i.draft_report(REPORT, ORGANIZATION)
    return i


def submitted(on: date = date(2026, 5, 20)) -> Inspection:
    i = drafted()
    i.submit_report(on, by(Role.ORGANIZATION, on))
    return i


def document(n: int) -> DocumentRef:
    return DocumentRef(f"{n:064x}", 1024, "application/pdf", f"file-{n}.pdf")


def refused(kind: type[Exception], command: object, *args: object) -> str:
    """The code of the domain error a command is refused with."""
    with pytest.raises(kind) as caught:
        command(*args)  # type: ignore[operator]
    return caught.value.code  # type: ignore[attr-defined]


# -- the campaign ----------------------------------------------------------------------------------
def test_the_report_on_a_year_is_due_to_the_supervising_unit_by_31_march_and_the_authority_by_31_may_next_year() -> None:
    assert RULES.deadlines(2025) == (date(2026, 3, 31), date(2026, 5, 31))
    c = campaign()
    assert (c.supervising_unit_deadline, c.registration_authority_deadline) == (date(2026, 3, 31), DEADLINE)
    assert c.rule_set == NATIONAL and c.id == campaign_id(2025, "3407")


def test_a_campaign_cannot_be_opened_for_a_year_that_is_not_over() -> None:
    assert refused(InvalidValue, campaign, 2026, date(2026, 12, 31)) == "campaign.year_not_over"
    assert campaign(2025, date(2026, 1, 1)).report_year == 2025


@pytest.mark.parametrize(("year", "prefix", "code"), [(1989, "", "campaign.year"), (2025, "340", "campaign.division")])
def test_a_campaign_needs_a_plausible_year_and_a_locality_of_two_four_or_six_digits(year: int, prefix: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        InspectionCampaign.open(year, prefix, RULES.deadlines(year), date(2026, 1, 5), REGISTRAR)
    assert caught.value.code == code


def test_a_campaign_opened_without_naming_its_rule_set_is_refused() -> None:
    unnamed = replace(by(on=date(2026, 1, 5)), rule_set=None)
    assert (
        refused(InvalidValue, InspectionCampaign.open, 2025, "3407", RULES.deadlines(2025), date(2026, 1, 5), unnamed)
        == "provenance.no_rule_set"
    )


def test_a_campaign_covers_the_divisions_under_its_prefix_and_an_empty_prefix_covers_all() -> None:
    assert campaign().covers("340711") and not campaign().covers("150204")
    everywhere = InspectionCampaign.open(2025, "", RULES.deadlines(2025), date(2026, 1, 5), REGISTRAR)
    assert everywhere.covers("150204")


def test_a_campaign_records_its_deadline_passing_only_once() -> None:
    c = campaign()
    c.collect_events()
    c.record_deadline_passed(3, 1, REGISTRAR)
    c.record_deadline_passed(4, 1, REGISTRAR)
    assert [type(e).__name__ for e in c.collect_events()] == ["DeadlinePassed"] and c.deadline_recorded


def test_an_organization_registered_less_than_six_months_before_the_year_end_is_exempt_that_year() -> None:
    assert not RULES.exempt(date(2025, 6, 30), 2025)
    assert RULES.exempt(date(2025, 7, 1), 2025)
    assert RULES.exempt(date(2026, 2, 1), 2025)


def test_an_organization_graded_4a_or_above_gets_the_simplified_inspection() -> None:
    assert grade_at_least("4A", RULES.simplified_from_grade) and grade_at_least("5A", RULES.simplified_from_grade)
    assert not grade_at_least("3A", RULES.simplified_from_grade) and not grade_at_least(None, RULES.simplified_from_grade)


def test_a_missed_year_lists_warns_and_counts_against_the_grade_and_a_failed_one_warns_and_counts() -> None:
    assert RULES.consequences("missed") == ("abnormal_list", "warning", "grade_finding")
    assert RULES.consequences("fail") == ("warning", "grade_finding")
    assert RULES.consequences("basic_pass") == () and RULES.consequences("pass") == ()


# -- the report ---------------------------------------------------------------------------------------
def test_an_inspection_is_one_per_organization_and_year_and_takes_the_campaigns_authority_deadline() -> None:
    i = inspection()
    assert i.id == inspection_id(ORG, 2025) and i.deadline == DEADLINE and i.stage is Stage.AWAITING


def test_a_report_submitted_by_the_deadline_is_on_time_and_filed() -> None:
    i = submitted(DEADLINE)
    assert i.stage is Stage.SUBMITTED and i.submitted_on == DEADLINE and not i.filed_late and i.report_filed


def test_a_report_submitted_after_the_deadline_is_filed_late() -> None:
    assert submitted(date(2026, 6, 1)).filed_late


def test_a_report_cannot_be_submitted_without_a_draft() -> None:
    i = inspection()
    assert refused(InvalidTransition, i.submit_report, date(2026, 5, 20), ORGANIZATION) == "inspection.nothing_to_submit"


def test_the_report_on_screen_is_what_is_submitted_drafted_first_when_it_changed() -> None:
    i = drafted()
    i.collect_events()
    on_screen = replace(REPORT, income=Decimal("190000.00"), volunteers=45)
    i.submit_report(date(2026, 5, 20), ORGANIZATION, (), on_screen)
    assert [type(e).__name__ for e in i.collect_events()] == ["ReportDrafted", "ReportSubmitted"]
    assert i.report == on_screen and i.stage is Stage.SUBMITTED


def test_a_report_on_screen_unchanged_since_the_draft_is_submitted_without_a_second_draft() -> None:
    i = drafted()
    i.collect_events()
    i.submit_report(date(2026, 5, 20), ORGANIZATION, (), REPORT)
    assert [type(e).__name__ for e in i.collect_events()] == ["ReportSubmitted"]


def test_a_first_report_may_be_submitted_straight_from_the_form_and_a_bad_one_is_refused() -> None:
    i = inspection()
    assert refused(InvalidValue, i.submit_report, date(2026, 5, 20), ORGANIZATION, (), replace(REPORT, staff=-1)) == (
        "value.staff"
    )
    i.submit_report(date(2026, 5, 20), ORGANIZATION, (), REPORT)
    assert i.stage is Stage.SUBMITTED and i.report == REPORT


def test_a_report_cannot_be_submitted_twice() -> None:
    i = submitted()
    assert refused(InvalidTransition, i.submit_report, date(2026, 5, 21), ORGANIZATION) == "inspection.nothing_to_submit"


def test_a_report_cannot_be_submitted_with_a_required_document_missing() -> None:
    i = drafted()
    i.attach_document(SLOTS["audit_report"], document(1), True, ORGANIZATION)
    required = RULES.documents_required("private_non_enterprise")
    with pytest.raises(DocumentsMissing) as caught:
        i.submit_report(date(2026, 5, 20), ORGANIZATION, required)
    assert caught.value.code == "documents.missing" and caught.value.details["missing"] == ["cover_page", "commitment"]
    i.attach_document(SLOTS["cover_page"], document(2), False, ORGANIZATION)
    i.attach_document(SLOTS["commitment"], document(3), False, ORGANIZATION)
    i.submit_report(date(2026, 5, 20), ORGANIZATION, required)
    assert i.stage is Stage.SUBMITTED


def test_a_withdrawn_document_no_longer_fills_its_slot() -> None:
    i = drafted()
    i.attach_document(SLOTS["audit_report"], document(1), True, ORGANIZATION)
    i.withdraw_document("audit_report", document(1).sha256, "wrong year", ORGANIZATION)
    with pytest.raises(DocumentsMissing):
        i.submit_report(date(2026, 5, 20), ORGANIZATION, ("audit_report",))


def test_documents_cannot_be_attached_once_the_report_is_submitted() -> None:
    i = submitted()
    code = refused(InvalidTransition, i.attach_document, SLOTS["report_other"], document(4), False, ORGANIZATION)
    assert code == "inspection.attach_document"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"activities": "  "}, "report.activities_empty"),
        ({"activities": "字" * 20_001}, "report.too_long"),
        ({"income": Decimal(-1)}, "value.income"),
        ({"expenditure": Decimal("1.001")}, "value.expenditure"),
        ({"staff": -1}, "value.staff"),
        ({"volunteers": True}, "value.volunteers"),
        ({"attachments": (Attachment("审计报告.pdf", "not-a-hash", 10, "application/pdf"),)}, "report.attachment"),
    ],
)
def test_a_report_with_a_value_out_of_its_rule_cannot_be_drafted(change: dict[str, object], code: str) -> None:
    i = inspection()
    assert refused(InvalidValue, i.draft_report, replace(REPORT, **change), ORGANIZATION) == code  # type: ignore[arg-type]
    assert i.stage is Stage.AWAITING


def test_a_submitted_report_cannot_be_redrafted_but_can_be_withdrawn_to_a_draft() -> None:
    i = submitted()
    assert refused(InvalidTransition, i.draft_report, REPORT, ORGANIZATION) == "inspection.draft_report"
    i.withdraw_report(ORGANIZATION)
    assert i.stage is Stage.DRAFT and i.submitted_on is None and not i.report_filed
    assert refused(InvalidTransition, i.withdraw_report, ORGANIZATION) == "inspection.withdraw_report"


# -- review -----------------------------------------------------------------------------------------------
def test_an_inspection_conclusion_cannot_be_recorded_before_the_report_is_submitted() -> None:
    for i in (inspection(), drafted()):
        assert refused(InvalidTransition, i.review, Outcome.PASS, (), REGISTRAR) == "inspection.not_submitted"
        assert i.outcome is None


def test_a_preliminary_opinion_is_given_on_a_submitted_report_and_must_say_something() -> None:
    assert (
        refused(InvalidTransition, drafted().give_preliminary_opinion, "同意", REGISTRAR) == "inspection.give_preliminary_opinion"
    )
    i = submitted()
    assert refused(InvalidValue, i.give_preliminary_opinion, "  ", REGISTRAR) == "inspection.opinion_empty"
    i.give_preliminary_opinion(" 同意 ", REGISTRAR)
    assert i.stage is Stage.OPINION_GIVEN and i.opinion == "同意"


def test_a_reviewed_report_gets_the_reviews_outcome_and_a_pass_needs_no_reason() -> None:
    i = submitted()
    i.give_preliminary_opinion("同意", REGISTRAR)
    i.review(Outcome.PASS, (), REGISTRAR)
    assert i.stage is Stage.REVIEWED and i.outcome is i.review_outcome is Outcome.PASS


@pytest.mark.parametrize("outcome", [Outcome.BASIC_PASS, Outcome.FAIL])
def test_a_basic_pass_or_a_fail_cannot_be_recorded_without_a_reason(outcome: Outcome) -> None:
    i = submitted()
    assert refused(InvalidValue, i.review, outcome, (" ", ""), REGISTRAR) == "inspection.reasons_required"
    i.review(outcome, (" 财务制度不健全 ",), REGISTRAR)
    assert i.outcome is outcome and i.reasons == ("财务制度不健全",)


@pytest.mark.parametrize("outcome", [Outcome.MISSED, Outcome.EXEMPT])
def test_a_review_concludes_only_pass_basic_pass_or_fail(outcome: Outcome) -> None:
    assert refused(InvalidValue, submitted().review, outcome, ("x",), REGISTRAR) == "inspection.outcome"


def test_a_reviewed_inspection_cannot_be_reviewed_again() -> None:
    i = submitted()
    i.review(Outcome.PASS, (), REGISTRAR)
    assert refused(InvalidTransition, i.review, Outcome.FAIL, ("x",), REGISTRAR) == "inspection.review"


def test_a_correction_request_sends_the_report_back_unfiled_and_open_to_documents() -> None:
    i = submitted()
    assert refused(InvalidValue, i.request_correction, (), REGISTRAR) == "inspection.reasons_required"
    i.request_correction(("缺少审计报告",), REGISTRAR)
    assert i.stage is Stage.CORRECTION_REQUESTED and i.submitted_on is None and not i.report_filed
    assert i.documents_editable
    assert refused(InvalidTransition, i.review, Outcome.PASS, (), REGISTRAR) == "inspection.not_submitted"
    i.draft_report(REPORT, ORGANIZATION)
    i.submit_report(date(2026, 5, 25), ORGANIZATION)
    assert i.stage is Stage.SUBMITTED


# -- at the deadline -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [inspection, drafted])
def test_a_year_without_a_submitted_report_at_the_deadline_is_recorded_missed(make: object) -> None:
    i = make()  # type: ignore[operator]
    i.record_missed(by(Role.SYSTEM, date(2026, 6, 1)))
    assert i.stage is Stage.MISSED and i.outcome is Outcome.MISSED and i.filed_after_missing


def test_a_submitted_report_cannot_be_recorded_missed() -> None:
    i = submitted()
    assert refused(InvalidTransition, i.record_missed, REGISTRAR) == "inspection.record_missed"
    assert i.outcome is None


def test_a_missed_year_cannot_be_recorded_missed_twice() -> None:
    i = inspection()
    i.record_missed(REGISTRAR)
    assert refused(InvalidTransition, i.record_missed, REGISTRAR) == "inspection.record_missed"


def test_a_late_report_on_a_missed_year_is_reviewed_but_the_year_stays_missed() -> None:
    i = inspection()
    i.record_missed(REGISTRAR)
    i.draft_report(REPORT, ORGANIZATION)
    assert i.outcome is Outcome.MISSED
    i.submit_report(date(2026, 7, 1), ORGANIZATION)
    assert i.filed_late and i.report_filed
    i.review(Outcome.PASS, (), REGISTRAR)
    assert i.outcome is Outcome.MISSED and i.review_outcome is Outcome.PASS


def test_a_draft_left_at_the_deadline_may_still_be_submitted_late_as_it_is() -> None:
    i = drafted()
    i.record_missed(REGISTRAR)
    i.submit_report(date(2026, 6, 3), ORGANIZATION)
    assert i.stage is Stage.SUBMITTED and i.filed_late and i.outcome is Outcome.MISSED


def test_only_an_untouched_inspection_can_be_exempted() -> None:
    i = inspection()
    i.exempt("registered 2025-09-01", REGISTRAR)
    assert i.stage is Stage.EXEMPT and i.outcome is Outcome.EXEMPT and not i.missable
    assert refused(InvalidTransition, drafted().exempt, "late", REGISTRAR) == "inspection.exempt"


# -- rectification ------------------------------------------------------------------------------------------------
def reviewed(outcome: Outcome) -> Inspection:
    i = submitted()
    i.review(outcome, ("理由",), REGISTRAR)
    return i


def test_a_passed_inspection_cannot_be_ordered_to_rectify() -> None:
    code = refused(
        InvalidTransition, reviewed(Outcome.PASS).order_rectification, ("x",), date(2026, 9, 1), date(2026, 6, 1), REGISTRAR
    )
    assert code == "inspection.rectification"


@pytest.mark.parametrize("outcome", [Outcome.BASIC_PASS, Outcome.FAIL])
def test_a_rectification_order_needs_items_and_a_deadline_after_today_and_is_given_once(outcome: Outcome) -> None:
    i = reviewed(outcome)
    today = date(2026, 6, 1)
    assert refused(InvalidValue, i.order_rectification, ("x",), today, today, REGISTRAR) == "rectification.deadline_past"
    assert (
        refused(InvalidValue, i.order_rectification, (" ",), date(2026, 9, 1), today, REGISTRAR) == "inspection.reasons_required"
    )
    i.order_rectification(("建立财务制度",), date(2026, 9, 1), today, REGISTRAR)
    assert i.rectification_deadline == date(2026, 9, 1) and i.rectification_items == ("建立财务制度",)
    code = refused(InvalidTransition, i.order_rectification, ("y",), date(2026, 10, 1), today, REGISTRAR)
    assert code == "inspection.rectification"


def test_a_missed_year_can_be_ordered_to_rectify() -> None:
    i = inspection()
    i.record_missed(REGISTRAR)
    i.order_rectification(("补报年度报告",), date(2026, 8, 1), date(2026, 6, 1), REGISTRAR)
    assert i.rectification_deadline == date(2026, 8, 1)


def test_a_rectification_is_confirmed_once_and_only_when_ordered() -> None:
    i = reviewed(Outcome.FAIL)
    assert refused(InvalidTransition, i.confirm_rectification, date(2026, 7, 1), REGISTRAR) == "inspection.no_open_rectification"
    i.order_rectification(("x",), date(2026, 9, 1), date(2026, 6, 1), REGISTRAR)
    i.confirm_rectification(date(2026, 7, 1), REGISTRAR)
    assert i.rectified_on == date(2026, 7, 1)
    assert refused(InvalidTransition, i.confirm_rectification, date(2026, 7, 2), REGISTRAR) == "inspection.no_open_rectification"


# -- timeliness (how a filing stands against its deadline) ---------------------------------------------------------------
def test_a_filing_by_the_deadline_is_on_time_and_unmarked() -> None:
    t = timeliness(DEADLINE, DEADLINE, date(2026, 7, 1), RULES)
    assert (t.filing, t.days_late, t.marking) == (Filing.ON_TIME, 0, None)


def test_a_filing_late_by_up_to_fourteen_days_is_marked_amber_and_beyond_red() -> None:
    assert timeliness(DEADLINE, date(2026, 6, 14), date(2026, 7, 1), RULES).marking == "amber"  # 14 days late
    late = timeliness(DEADLINE, date(2026, 6, 15), date(2026, 7, 1), RULES)
    assert (late.filing, late.days_late, late.marking) == (Filing.LATE, 15, "red")


def test_nothing_filed_is_not_due_until_the_deadline_has_passed_then_overdue_counted_to_the_day_asked() -> None:
    assert timeliness(DEADLINE, None, DEADLINE, RULES).filing is Filing.NOT_DUE
    assert timeliness(DEADLINE, None, date(2026, 5, 20), RULES).days_left == 11
    assert timeliness(DEADLINE, None, DEADLINE, RULES).days_left == 0
    overdue = timeliness(DEADLINE, None, date(2026, 6, 1), RULES)
    assert (overdue.filing, overdue.days_overdue, overdue.marking) == (Filing.OVERDUE, 1, "amber")
    assert timeliness(DEADLINE, None, date(2026, 6, 20), RULES).marking == "red"

"""Funding (公益创投, 政府购买服务): a round's terms and budget, a project's way from application
through eligibility, review, award and agreement to tranches, milestone reports, its star rating
and its end, and who a round bars."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from domain.documents import SLOTS, DocumentRef
from domain.errors import InvalidTransition, InvalidValue
from domain.funding import (
    ApplicantFacts,
    BudgetLine,
    FundingRound,
    Milestone,
    Project,
    ProjectApplication,
    ProjectStage,
    RoundTerms,
    ScheduledTranche,
    project_bars,
)
from domain.provenance import Role
from domain.rules import FundingRules, Tranche, TrancheCondition, split_into_tranches
from tests.unit.given import NATIONAL, by

RULES = FundingRules(
    bars=("not_active", "abnormal_list", "serious_dishonesty_list", "breach_bar"),
    breach_bar_years=3,
    review_pass_minimum=Decimal(60),
    mid_term_pass_minimum=Decimal(60),
    tranches=(
        Tranche(Decimal("0.5"), TrancheCondition.AGREEMENT_SIGNED),
        Tranche(Decimal("0.3"), TrancheCondition.MID_TERM_PASSED),
        Tranche(Decimal("0.2"), TrancheCondition.CLOSING_PASSED),
    ),
)
TERMS = RoundTerms(
    title="2026年郊区社区公益创投",
    division_prefix="3407",
    budget=Decimal(100000),
    per_project_cap=Decimal(30000),
    applications_open=date(2026, 3, 1),
    applications_close=date(2026, 3, 31),
    project_start=date(2026, 5, 1),
    mid_term_due=date(2026, 8, 31),
    closing_due=date(2026, 12, 15),
)
APPLICATION = ProjectApplication(
    title="长者食堂助餐服务",
    target_group="社区高龄独居老人",
    plan="每周五天助餐,志愿者送餐上门",
    expected_outputs="服务 60 位老人",
    budget_lines=(BudgetLine("食材", Decimal("18000.00")), BudgetLine("志愿者保险", Decimal("2000.5"))),
)
ORG, ROUND, PROJECT = UUID(int=21), UUID(int=22), UUID(int=23)
REGISTRAR, ORGANIZATION = by(Role.REGISTRAR), by(Role.ORGANIZATION)


def funding_round(terms: RoundTerms = TERMS) -> FundingRound:
    return FundingRound.open(ROUND, terms, REGISTRAR)


def applied(application: ProjectApplication = APPLICATION, on: date = date(2026, 3, 10)) -> Project:
    return Project.apply(PROJECT, funding_round(), ORG, application, on, ORGANIZATION)


def tranches(amount: Decimal) -> tuple[ScheduledTranche, ...]:
    return tuple(
        ScheduledTranche(t.share, t.condition, part)
        for t, part in zip(RULES.tranches, split_into_tranches(amount, RULES.tranches), strict=True)
    )


def reviewed(score: str = "82", fundable: bool = True) -> Project:
    p = applied()
    p.record_eligibility((), REGISTRAR)
    p.open_evaluation("project_review", UUID(int=31), REGISTRAR)
    p.record_review(Decimal(score), fundable, REGISTRAR)
    return p


def awarded(amount: str = "20000") -> Project:
    p = reviewed()
    p.award(
        Decimal(amount),
        tranches(Decimal(amount)),
        {Milestone.MID_TERM: TERMS.mid_term_due, Milestone.CLOSING: TERMS.closing_due},
        REGISTRAR,
    )
    return p


def running() -> Project:
    p = awarded()
    p.sign_agreement(" 协议〔2026〕7号 ", date(2026, 4, 20), REGISTRAR)
    return p


def refused(kind: type[Exception], command: object, *args: object) -> str:
    with pytest.raises(kind) as caught:
        command(*args)  # type: ignore[operator]
    return caught.value.code  # type: ignore[attr-defined]


# -- the round ------------------------------------------------------------------------------------------
def test_a_round_keeps_its_terms_to_the_fen_and_the_rule_set_it_was_opened_under() -> None:
    r = funding_round(replace(TERMS, title=" 公益创投 ", budget=Decimal("100000.5")))
    assert r.terms.title == "公益创投" and str(r.terms.budget) == "100000.50" and r.rule_set == NATIONAL
    assert r.remaining == Decimal("100000.50")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"title": " "}, "round.title.empty"),
        ({"division_prefix": "34071"}, "round.division"),
        ({"budget": Decimal(0)}, "round.budget.not_positive"),
        ({"budget": Decimal("1000000000000.01")}, "round.budget.too_large"),
        ({"per_project_cap": Decimal("1.001")}, "round.cap.precision"),
        ({"per_project_cap": Decimal(100001)}, "round.cap_above_budget"),
        ({"applications_close": date(2026, 3, 1)}, "round.dates"),
        ({"mid_term_due": date(2027, 1, 1)}, "round.dates"),
        ({"min_grade": "6A"}, "round.min_grade"),
    ],
)
def test_a_round_with_terms_out_of_their_rules_cannot_be_opened(change: dict[str, object], code: str) -> None:
    assert refused(InvalidValue, funding_round, replace(TERMS, **change)) == code  # type: ignore[arg-type]


def test_a_round_opened_without_naming_its_rule_set_is_refused() -> None:
    unnamed = replace(REGISTRAR, rule_set=None)
    assert refused(InvalidValue, FundingRound.open, ROUND, TERMS, unnamed) == "provenance.no_rule_set"


def test_a_round_accepts_applications_from_its_opening_to_its_closing_day_inclusive() -> None:
    r = funding_round()
    assert [r.accepts_applications(d) for d in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1))] == [
        False,
        True,
        True,
        False,
    ]


def test_awards_cannot_together_exceed_the_rounds_budget() -> None:
    r = funding_round()
    for n in range(3):
        r.commit_award(UUID(int=100 + n), Decimal(30000), REGISTRAR)
    with pytest.raises(InvalidTransition) as caught:
        r.commit_award(UUID(int=200), Decimal("10000.01"), REGISTRAR)
    assert caught.value.code == "round.budget_exceeded" and caught.value.details["remaining"] == "10000.00"
    r.commit_award(UUID(int=200), Decimal(10000), REGISTRAR)
    assert r.remaining == 0


def test_a_project_is_awarded_once_on_a_round() -> None:
    r = funding_round()
    r.commit_award(PROJECT, Decimal(1000), REGISTRAR)
    assert refused(InvalidTransition, r.commit_award, PROJECT, Decimal(1000), REGISTRAR) == "round.already_awarded"


def test_a_terminated_projects_unpaid_remainder_goes_back_to_the_round() -> None:
    r = funding_round()
    r.commit_award(PROJECT, Decimal(20000), REGISTRAR)
    r.release_award(PROJECT, Decimal(10000), REGISTRAR)
    r.release_award(UUID(int=99), Decimal(5000), REGISTRAR)  # not awarded on this round: nothing to release
    assert r.committed == Decimal(10000) and r.remaining == Decimal(90000)


# -- applying ------------------------------------------------------------------------------------------
def test_a_projects_request_is_the_sum_of_its_budget_lines_to_the_fen() -> None:
    p = applied()
    assert p.requested == Decimal("20000.50") and p.stage is ProjectStage.APPLIED and p.round_id == ROUND


@pytest.mark.parametrize("on", [date(2026, 2, 28), date(2026, 4, 1)])
def test_a_project_cannot_be_applied_for_outside_the_rounds_application_period(on: date) -> None:
    assert refused(InvalidTransition, applied, APPLICATION, on) == "round.not_accepting"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"budget_lines": ()}, "project.budget_empty"),
        ({"budget_lines": (BudgetLine("x", Decimal(1)),) * 51}, "project.budget_lines"),
        ({"budget_lines": (BudgetLine(" ", Decimal(1)),)}, "project.budget_item.empty"),
        ({"budget_lines": (BudgetLine("x", Decimal(-5)),)}, "project.budget_amount.not_positive"),
        ({"budget_lines": (BudgetLine("x", Decimal("0.001")),)}, "project.budget_amount.precision"),
        ({"plan": ""}, "project.plan.empty"),
        ({"title": "项" * 201}, "project.title.too_long"),
    ],
)
def test_an_application_out_of_its_rules_is_refused(change: dict[str, object], code: str) -> None:
    assert refused(InvalidValue, applied, replace(APPLICATION, **change)) == code  # type: ignore[arg-type]


def test_a_project_cannot_request_more_than_the_rounds_cap_per_project() -> None:
    over = replace(APPLICATION, budget_lines=(BudgetLine("a", Decimal(20000)), BudgetLine("b", Decimal("10000.01"))))
    with pytest.raises(InvalidValue) as caught:
        applied(over)
    assert caught.value.code == "project.above_cap" and caught.value.details == {"requested": "30000.01", "cap": "30000.00"}


# -- eligibility -------------------------------------------------------------------------------------------
FACTS = ApplicantFacts(
    track="registered",
    org_type="social_association",
    division_code="340711",
    status="active",
    grade="3A",
    credit_status="none",
    funding_barred_until=None,
)


def test_an_applicant_within_the_rounds_terms_and_with_a_clean_history_is_not_barred() -> None:
    assert project_bars(RULES, replace(TERMS, min_grade="3A"), FACTS, date(2026, 3, 10)) == []


def test_the_rounds_own_conditions_come_before_the_rule_sets_bars() -> None:
    terms = replace(TERMS, min_grade="4A", org_types=("foundation",), tracks=("filed",))
    facts = replace(FACTS, division_code="150204", status="suspended", credit_status="serious")
    assert project_bars(RULES, terms, facts, date(2026, 3, 10)) == [
        "outside_locality",
        "type_not_admitted",
        "track_not_admitted",
        "grade_below_minimum",
        "not_active",
        "serious_dishonesty_list",
    ]


def test_an_applicant_on_the_abnormal_list_is_barred_only_where_the_rule_set_applies_that_bar() -> None:
    facts = replace(FACTS, credit_status="abnormal")
    assert project_bars(RULES, TERMS, facts, date(2026, 3, 10)) == ["abnormal_list"]
    assert project_bars(replace(RULES, bars=("not_active",)), TERMS, facts, date(2026, 3, 10)) == []


def test_a_breach_bars_the_organization_up_to_and_including_the_last_day_of_the_bar() -> None:
    facts = replace(FACTS, funding_barred_until=date(2029, 3, 10))
    assert project_bars(RULES, TERMS, facts, date(2029, 3, 10)) == ["breach_bar"]
    assert project_bars(RULES, TERMS, facts, date(2029, 3, 11)) == []


def test_an_applicant_with_a_bar_is_ineligible_and_one_without_eligible() -> None:
    p = applied()
    p.record_eligibility(("abnormal_list",), REGISTRAR)
    assert p.stage is ProjectStage.INELIGIBLE and p.bars == ("abnormal_list",)
    assert refused(InvalidTransition, p.record_eligibility, (), REGISTRAR) == "project.wrong_stage"
    q = applied()
    q.record_eligibility((), REGISTRAR)
    assert q.stage is ProjectStage.ELIGIBLE


# -- review and award ---------------------------------------------------------------------------------------------
def test_a_project_is_reviewed_only_once_eligible_and_its_review_opens_once() -> None:
    p = applied()
    assert refused(InvalidTransition, p.open_evaluation, "project_review", UUID(int=31), REGISTRAR) == "project.wrong_stage"
    p.record_eligibility((), REGISTRAR)
    p.open_evaluation("project_review", UUID(int=31), REGISTRAR)
    assert p.stage is ProjectStage.UNDER_REVIEW and p.review_evaluation_id == UUID(int=31)
    assert refused(InvalidTransition, p.open_evaluation, "project_review", UUID(int=32), REGISTRAR) == "project.wrong_stage"


def test_a_review_below_the_pass_mark_leaves_the_project_not_fundable() -> None:
    p = reviewed("55", fundable=False)
    assert p.stage is ProjectStage.NOT_FUNDABLE and p.review_score == Decimal(55)


def test_an_award_splits_into_tranches_that_add_up_to_the_fen() -> None:
    assert split_into_tranches(Decimal("10000.01"), RULES.tranches) == (
        Decimal("5000.00"),
        Decimal("3000.00"),
        Decimal("2000.01"),
    )
    p = awarded("20000")
    assert p.stage is ProjectStage.AWARDED and p.awarded == Decimal(20000)
    assert [t.amount for t in p.tranches] == [Decimal("10000.00"), Decimal("6000.00"), Decimal("4000.00")]
    assert p.due == {Milestone.MID_TERM: date(2026, 8, 31), Milestone.CLOSING: date(2026, 12, 15)}


def test_an_award_cannot_exceed_the_amount_requested_nor_be_zero() -> None:
    due = {Milestone.MID_TERM: TERMS.mid_term_due, Milestone.CLOSING: TERMS.closing_due}
    p = reviewed()
    with pytest.raises(InvalidValue) as caught:
        p.award(Decimal("20000.51"), (), due, REGISTRAR)
    assert caught.value.code == "award.above_request" and caught.value.details["requested"] == "20000.50"
    assert refused(InvalidValue, p.award, Decimal(0), (), due, REGISTRAR) == "award.amount.not_positive"
    assert p.stage is ProjectStage.REVIEWED


def test_a_project_not_reviewed_as_fundable_cannot_be_awarded() -> None:
    due = {Milestone.MID_TERM: TERMS.mid_term_due, Milestone.CLOSING: TERMS.closing_due}
    p = reviewed("55", fundable=False)
    assert refused(InvalidTransition, p.award, Decimal(1000), (), due, REGISTRAR) == "project.wrong_stage"


def test_declining_a_reviewed_project_needs_a_reason() -> None:
    p = reviewed()
    assert refused(InvalidValue, p.decline, " ", REGISTRAR) == "award.reason.empty"
    p.decline("预算不足", REGISTRAR)
    assert p.stage is ProjectStage.NOT_AWARDED


def test_an_agreement_is_signed_only_on_an_awarded_project_and_needs_its_number() -> None:
    assert refused(InvalidTransition, reviewed().sign_agreement, "协议1", date(2026, 4, 20), REGISTRAR) == "project.wrong_stage"
    assert refused(InvalidValue, awarded().sign_agreement, " ", date(2026, 4, 20), REGISTRAR) == "agreement.no.empty"
    assert running().stage is ProjectStage.IN_PROGRESS


# -- tranches ---------------------------------------------------------------------------------------------------
def test_the_first_tranche_is_paid_on_signing_and_the_second_waits_for_a_passed_mid_term() -> None:
    p = awarded()
    assert refused(InvalidTransition, p.pay_next_tranche, date(2026, 4, 1), REGISTRAR) == "project.wrong_stage"
    p.sign_agreement("协议1", date(2026, 4, 20), REGISTRAR)
    p.pay_next_tranche(date(2026, 4, 20), REGISTRAR)
    assert p.paid_amount == Decimal(10000) and p.unpaid_amount == Decimal(10000)
    with pytest.raises(InvalidTransition) as caught:
        p.pay_next_tranche(date(2026, 5, 1), REGISTRAR)
    assert caught.value.code == "tranche.condition_not_met" and caught.value.details["condition"] == "mid_term_passed"
    p.record_mid_term(False, Decimal(50), REGISTRAR)
    assert refused(InvalidTransition, p.pay_next_tranche, date(2026, 9, 1), REGISTRAR) == "tranche.condition_not_met"
    p.record_mid_term(True, Decimal(75), REGISTRAR)
    p.pay_next_tranche(date(2026, 9, 2), REGISTRAR)
    assert p.paid == [date(2026, 4, 20), date(2026, 9, 2)]


def test_the_last_tranche_waits_for_the_closing_rating_and_none_is_paid_twice() -> None:
    p = running()
    p.pay_next_tranche(date(2026, 4, 20), REGISTRAR)
    p.record_mid_term(True, Decimal(75), REGISTRAR)
    p.pay_next_tranche(date(2026, 9, 2), REGISTRAR)
    assert refused(InvalidTransition, p.pay_next_tranche, date(2026, 12, 1), REGISTRAR) == "tranche.condition_not_met"
    p.rate(4, Decimal(85), REGISTRAR)
    p.pay_next_tranche(date(2026, 12, 20), REGISTRAR)
    assert p.paid_amount == p.awarded and p.unpaid_amount == 0
    assert refused(InvalidTransition, p.pay_next_tranche, date(2026, 12, 21), REGISTRAR) == "tranche.none_left"


# -- milestones and evaluations -------------------------------------------------------------------------------------------
def test_a_closing_report_cannot_come_before_the_mid_term_report_and_each_is_submitted_once() -> None:
    p = running()
    assert (
        refused(InvalidTransition, p.submit_report, Milestone.CLOSING, "结项", date(2026, 8, 1), ORGANIZATION)
        == "milestone.order"
    )
    assert (
        refused(InvalidValue, p.submit_report, Milestone.MID_TERM, " ", date(2026, 8, 1), ORGANIZATION)
        == "milestone.summary.empty"
    )
    p.submit_report(Milestone.MID_TERM, "已服务 30 位老人", date(2026, 8, 1), ORGANIZATION)
    assert p.reports == {Milestone.MID_TERM: date(2026, 8, 1)}
    assert (
        refused(InvalidTransition, p.submit_report, Milestone.MID_TERM, "再报", date(2026, 8, 2), ORGANIZATION)
        == "milestone.reported"
    )


def test_a_milestone_report_after_its_due_date_is_recorded_late() -> None:
    p = running()
    p.collect_events()
    p.submit_report(Milestone.MID_TERM, "按时", date(2026, 8, 31), ORGANIZATION)
    p.submit_report(Milestone.CLOSING, "逾期", date(2026, 12, 16), ORGANIZATION)
    assert [e.late for e in p.collect_events()] == [False, True]  # type: ignore[attr-defined]


def test_milestone_reports_wait_for_the_signed_agreement() -> None:
    code = refused(InvalidTransition, awarded().submit_report, Milestone.MID_TERM, "x", date(2026, 8, 1), ORGANIZATION)
    assert code == "project.wrong_stage"


def test_the_closing_evaluation_cannot_open_before_the_mid_term_has_passed() -> None:
    p = running()
    p.open_evaluation("mid_term", UUID(int=41), REGISTRAR)
    assert refused(InvalidTransition, p.open_evaluation, "mid_term", UUID(int=42), REGISTRAR) == "project.evaluation_open"
    assert refused(InvalidTransition, p.open_evaluation, "closing", UUID(int=43), REGISTRAR) == "project.mid_term_not_passed"
    p.record_mid_term(True, Decimal(70), REGISTRAR)
    p.open_evaluation("closing", UUID(int=43), REGISTRAR)
    assert p.evaluations == {"project_review": UUID(int=31), "mid_term": UUID(int=41), "closing": UUID(int=43)}


def test_a_rating_below_one_star_still_rates_the_project() -> None:
    p = running()
    p.rate(None, Decimal(40), REGISTRAR)
    assert p.stage is ProjectStage.RATED and p.stars is None and p.closing_score == Decimal(40)


# -- documents -----------------------------------------------------------------------------------------------------
def test_the_plan_goes_with_the_application_until_its_review_opens() -> None:
    pdf = DocumentRef("b" * 64, 4096, "application/pdf", "方案.pdf")
    p = applied()
    p.attach_document(SLOTS["plan"], "application", pdf, ORGANIZATION)
    p.record_eligibility((), REGISTRAR)
    p.open_evaluation("project_review", UUID(int=31), REGISTRAR)
    assert (
        refused(InvalidTransition, p.attach_document, SLOTS["budget"], "application", pdf, ORGANIZATION) == "project.wrong_stage"
    )
    assert [a.slot for a in p.documents] == ["plan"]


def test_a_milestones_outputs_are_attached_while_the_project_runs_and_until_its_report_is_submitted() -> None:
    pdf = DocumentRef("c" * 64, 4096, "application/pdf", "成果.pdf")
    p = running()
    assert refused(InvalidValue, p.attach_document, SLOTS["outputs"], "milestone:final", pdf, ORGANIZATION) == "document.subject"
    p.attach_document(SLOTS["outputs"], "milestone:mid_term", pdf, ORGANIZATION)
    p.submit_report(Milestone.MID_TERM, "中期", date(2026, 8, 1), ORGANIZATION)
    assert (
        refused(InvalidTransition, p.attach_document, SLOTS["outputs"], "milestone:mid_term", pdf, ORGANIZATION)
        == "milestone.reported"
    )


# -- ending ---------------------------------------------------------------------------------------------------------------
def test_a_rated_project_cannot_be_completed_while_a_tranche_it_has_earned_is_unpaid() -> None:
    p = running()
    p.pay_next_tranche(date(2026, 4, 20), REGISTRAR)
    p.record_mid_term(True, Decimal(75), REGISTRAR)
    p.pay_next_tranche(date(2026, 9, 2), REGISTRAR)
    assert refused(InvalidTransition, p.complete, date(2026, 12, 1), REGISTRAR) == "project.wrong_stage"
    p.rate(4, Decimal(85), REGISTRAR)
    assert refused(InvalidTransition, p.complete, date(2026, 12, 20), REGISTRAR) == "project.tranches_unpaid"
    p.pay_next_tranche(date(2026, 12, 20), REGISTRAR)
    p.complete(date(2026, 12, 21), REGISTRAR)
    assert p.stage is ProjectStage.COMPLETED


def test_a_terminated_project_releases_what_was_not_paid_and_a_finished_one_cannot_be_terminated() -> None:
    p = running()
    p.pay_next_tranche(date(2026, 4, 20), REGISTRAR)
    assert refused(InvalidValue, p.terminate, "  ", True, date(2026, 6, 1), REGISTRAR) == "termination.reason.empty"
    p.collect_events()
    p.terminate("挪用资金", True, date(2026, 6, 1), REGISTRAR)
    [terminated] = p.collect_events()
    assert p.stage is ProjectStage.TERMINATED and terminated.released == Decimal(10000) and terminated.breach  # type: ignore[attr-defined]
    assert refused(InvalidTransition, p.terminate, "again", False, date(2026, 6, 2), REGISTRAR) == "project.finished"

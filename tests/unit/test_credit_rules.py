"""The credit record (信用信息): which list a penalty puts an organization on, the grounds a listing
gathers, and the periods that end or escalate it (the abnormal list's six months and two years,
the serious list's clean period), with the refusals on the way."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from domain.credit import (
    CreditList,
    CreditRecord,
    Ground,
    Penalty,
    PenaltyKind,
    automatic_removal_due,
    clean_period_ends,
    credit_record_id,
    escalation_due,
)
from domain.documents import SLOTS, DocumentRef
from domain.errors import InvalidTransition, InvalidValue
from domain.periods import Period, PeriodUnit
from domain.provenance import Role
from domain.rules import CreditRules
from tests.unit.given import by

RULES = CreditRules(
    abnormal_auto_removal_months=6,
    abnormal_escalation_years=2,
    serious_clean_years=2,
    fine_threshold_cny=Decimal(50000),
    small_penalties_window_years=3,
    small_penalties_count=2,
    abnormal_grounds_without_rectification=("small_penalty",),
    returned_letters_for_unreachable=2,
    objection_verification=Period(5, PeriodUnit.WORKING_DAYS),
    recording=Period(5, PeriodUnit.WORKING_DAYS),
)
ORG = UUID(int=11)
TODAY = date(2026, 5, 20)
REGISTRAR, SWEEP = by(Role.REGISTRAR), by(Role.SYSTEM)


def record() -> CreditRecord:
    return CreditRecord.open(ORG, REGISTRAR)


def warning(no: str = "民罚〔2026〕1号", on: date = date(2026, 3, 1)) -> Penalty:
    return Penalty(PenaltyKind.WARNING, no, on, "未按规定办理变更登记")


def fine(amount: str, no: str = "民罚〔2026〕2号", on: date = date(2026, 3, 1)) -> Penalty:
    return Penalty(PenaltyKind.FINE, no, on, "违规收费", Decimal(amount))


def penalized(*penalties: Penalty) -> CreditRecord:
    r = record()
    for p in penalties:
        r.record_penalty(p, RULES, TODAY, REGISTRAR)
    return r


def listed(code: str, on: date) -> CreditRecord:
    r = record()
    r.add_ground(Ground(code, on, "", ref=f"{code}:{on}"), REGISTRAR)
    return r


def refused(kind: type[Exception], command: object, *args: object) -> str:
    with pytest.raises(kind) as caught:
        command(*args)  # type: ignore[operator]
    return caught.value.code  # type: ignore[attr-defined]


def test_a_credit_record_is_one_per_organization_and_starts_on_no_list() -> None:
    r = record()
    assert r.id == credit_record_id(ORG) and r.status == "none" and r.listings == ()


# -- penalties -------------------------------------------------------------------------------------------
def test_a_warning_puts_the_organization_on_the_abnormal_list_as_a_small_penalty() -> None:
    r = penalized(warning())
    listing = r.current(CreditList.ABNORMAL)
    assert r.status == "abnormal" and listing is not None and listing.listed_on == date(2026, 3, 1)
    assert [(g.code, g.ref) for g in listing.grounds] == [("small_penalty", "民罚〔2026〕1号")]


def test_a_fine_below_fifty_thousand_yuan_is_a_small_penalty_and_from_fifty_thousand_a_serious_one() -> None:
    assert penalized(fine("49999.99")).status == "abnormal"
    r = penalized(fine("50000"))
    listing = r.current(CreditList.SERIOUS)
    assert r.status == "serious" and listing is not None and listing.grounds[0].code == "large_fine"
    assert r.current(CreditList.ABNORMAL) is None


@pytest.mark.parametrize(
    ("penalty", "ground"),
    [
        (Penalty(PenaltyKind.REVOCATION, "民罚〔2026〕3号", date(2026, 3, 1), "违法"), "revocation"),
        (
            Penalty(
                PenaltyKind.SUSPENSION, "民罚〔2026〕4号", date(2026, 3, 1), "违法", None, date(2026, 3, 1), date(2026, 6, 1)
            ),
            "suspension",
        ),
    ],
)
def test_a_suspension_or_a_revocation_puts_the_organization_on_the_serious_list(penalty: Penalty, ground: str) -> None:
    listing = penalized(penalty).current(CreditList.SERIOUS)
    assert listing is not None and listing.grounds[0].code == ground


def test_a_second_small_penalty_within_three_years_puts_the_organization_on_the_serious_list() -> None:
    r = penalized(warning("民罚〔2023〕9号", date(2023, 5, 21)), fine("1000", "民罚〔2026〕2号", date(2026, 5, 20)))
    serious = r.current(CreditList.SERIOUS)
    assert serious is not None and [g.code for g in serious.grounds] == ["repeated_small_penalties"]


def test_a_small_penalty_three_or_more_years_before_does_not_count_towards_repeated_ones() -> None:
    r = penalized(warning("民罚〔2023〕1号", date(2023, 3, 1)), warning("民罚〔2026〕1号", date(2026, 3, 1)))
    assert r.current(CreditList.SERIOUS) is None and r.status == "abnormal"


def test_the_same_penalty_decision_cannot_be_recorded_twice() -> None:
    r = penalized(warning())
    assert refused(InvalidTransition, r.record_penalty, warning(), RULES, TODAY, REGISTRAR) == "penalty.duplicate"
    assert len(r.penalties) == 1


@pytest.mark.parametrize(
    ("penalty", "code"),
    [
        (warning(no="  "), "penalty.decision_no"),
        (replace(warning(), reason=" "), "penalty.reason"),
        (warning(on=date(2026, 5, 21)), "penalty.future"),
        (Penalty(PenaltyKind.FINE, "民罚〔2026〕5号", date(2026, 3, 1), "x"), "penalty.amount"),
        (fine("0"), "value.amount_cny"),
        (fine("100.001"), "value.amount_cny"),
        (replace(warning(), amount_cny=Decimal(100)), "penalty.amount_not_fine"),
        (Penalty(PenaltyKind.SUSPENSION, "民罚〔2026〕6号", date(2026, 3, 1), "x"), "penalty.suspension_dates"),
        (
            Penalty(PenaltyKind.SUSPENSION, "民罚〔2026〕7号", date(2026, 3, 1), "x", None, date(2026, 6, 1), date(2026, 5, 1)),
            "penalty.suspension_dates",
        ),
    ],
)
def test_a_penalty_decision_out_of_its_rules_is_refused_and_lists_nothing(penalty: Penalty, code: str) -> None:
    r = record()
    assert refused(InvalidValue, r.record_penalty, penalty, RULES, TODAY, REGISTRAR) == code
    assert r.penalties == () and r.status == "none"


def test_a_penalty_decision_number_and_reason_are_kept_trimmed() -> None:
    r = penalized(replace(warning(), decision_no=" 民罚〔2026〕1号 ", reason=" 未年检 "))
    assert (r.penalties[0].decision_no, r.penalties[0].reason) == ("民罚〔2026〕1号", "未年检")


# -- notices ------------------------------------------------------------------------------------------------
def test_an_inspection_warning_is_issued_once_per_report_year_and_outcome() -> None:
    r = record()
    for _ in range(2):
        r.issue_inspection_warning(2025, "missed", TODAY, SWEEP)
    r.issue_inspection_warning(2025, "fail", TODAY, SWEEP)
    assert r.warnings == ((2025, "missed"), (2025, "fail")) and r.status == "none"


def test_the_second_returned_registered_letter_lists_the_organization_as_unreachable() -> None:
    r = record()
    r.record_returned_letter(date(2026, 4, 1), "查无此人", RULES, REGISTRAR)
    assert r.status == "none"
    r.record_returned_letter(date(2026, 5, 1), "查无此人", RULES, REGISTRAR)
    listing = r.current(CreditList.ABNORMAL)
    assert listing is not None and listing.listed_on == date(2026, 5, 1) and listing.grounds[0].code == "unreachable"


# -- grounds and listings ----------------------------------------------------------------------------------------
def test_a_ground_with_the_same_reference_is_not_recorded_twice() -> None:
    r = record()
    assert r.add_ground(Ground("report_not_filed", date(2026, 6, 1), ref="2025"), SWEEP)
    assert not r.add_ground(Ground("report_not_filed", date(2026, 6, 2), ref="2025"), SWEEP)
    assert len(r.listings) == 1 and len(r.listings[0].grounds) == 1


def test_an_unknown_ground_is_refused() -> None:
    assert refused(InvalidValue, record().add_ground, Ground("looks_suspicious", TODAY), REGISTRAR) == "credit.ground"


def test_a_new_ground_joins_the_current_listing_of_its_list_and_moves_its_clock() -> None:
    r = listed("report_not_filed", date(2026, 6, 1))
    r.add_ground(Ground("no_party_organization", date(2026, 8, 1), ref="x"), REGISTRAR)
    [listing] = r.listings
    assert listing.listed_on == date(2026, 6, 1) and listing.clock_from == date(2026, 8, 1) and len(listing.grounds) == 2


def test_any_new_ground_during_a_serious_listing_restarts_its_clean_period() -> None:
    r = listed("court_defaulter", date(2025, 1, 10))
    r.add_ground(Ground("report_not_filed", date(2026, 6, 1), ref="2025"), SWEEP)
    serious = r.current(CreditList.SERIOUS)
    assert serious is not None and serious.clock_from == date(2026, 6, 1)
    assert clean_period_ends(serious, RULES) == date(2028, 6, 1)
    assert r.status == "serious"  # the serious list shows first


# -- removal on request ----------------------------------------------------------------------------------------------
def test_removal_cannot_be_requested_or_verified_from_a_list_the_organization_is_not_on() -> None:
    r = listed("report_not_filed", date(2026, 6, 1))
    assert refused(InvalidTransition, r.request_removal, CreditList.SERIOUS, TODAY, REGISTRAR) == "credit.not_listed"
    code = refused(InvalidTransition, r.verify_obligation, CreditList.SERIOUS, TODAY, RULES, REGISTRAR)
    assert code == "credit.not_listed"


def test_an_abnormal_listing_ends_the_day_the_obligation_is_verified() -> None:
    r = listed("report_not_filed", date(2026, 6, 1))
    r.request_removal(CreditList.ABNORMAL, date(2026, 7, 1), by(Role.ORGANIZATION))
    r.verify_obligation(CreditList.ABNORMAL, date(2026, 7, 3), RULES, REGISTRAR)
    [listing] = r.listings
    assert (listing.removal_requested_on, listing.obligation_met_on) == (date(2026, 7, 1), date(2026, 7, 3))
    assert (listing.removed_on, listing.removal_reason) == (date(2026, 7, 3), "obligation_met") and r.status == "none"


def test_a_serious_listing_does_not_end_on_a_verified_obligation_before_its_clean_period_is_over() -> None:
    r = listed("court_defaulter", date(2025, 1, 10))
    r.verify_obligation(CreditList.SERIOUS, date(2026, 1, 10), RULES, REGISTRAR)
    assert r.status == "serious"
    code = refused(InvalidTransition, r.verify_obligation, CreditList.SERIOUS, date(2026, 2, 1), RULES, REGISTRAR)
    assert code == "credit.already_verified"


def test_a_serious_listing_ends_on_a_verified_obligation_once_its_clean_period_is_over() -> None:
    r = listed("court_defaulter", date(2024, 1, 10))
    r.verify_obligation(CreditList.SERIOUS, date(2026, 1, 10), RULES, REGISTRAR)
    assert r.listings[0].removal_reason == "clean_period_over" and r.status == "none"


# -- the timers ----------------------------------------------------------------------------------------------------------
def test_an_abnormal_listing_on_small_penalties_only_ends_by_itself_six_months_after_its_latest_ground() -> None:
    r = penalized(warning(on=date(2025, 8, 31)))
    listing = r.current(CreditList.ABNORMAL)
    assert listing is not None and automatic_removal_due(listing, RULES) == date(2026, 2, 28)
    assert r.apply_rules(RULES, date(2026, 2, 27), SWEEP) == []
    assert r.apply_rules(RULES, date(2026, 3, 15), SWEEP) == ["abnormal_removed"]
    assert (r.listings[0].removed_on, r.listings[0].removal_reason) == (date(2026, 2, 28), "automatic_after_period")
    assert r.apply_rules(RULES, date(2026, 3, 16), SWEEP) == []  # idempotent


def test_an_abnormal_listing_that_needs_rectification_does_not_end_by_itself() -> None:
    r = listed("report_not_filed", date(2026, 6, 1))
    listing = r.current(CreditList.ABNORMAL)
    assert listing is not None and automatic_removal_due(listing, RULES) is None
    assert r.apply_rules(RULES, date(2027, 6, 1), SWEEP) == [] and r.status == "abnormal"


def test_two_full_years_on_the_abnormal_list_escalate_to_the_serious_list_on_the_anniversary() -> None:
    r = listed("report_not_filed", date(2024, 6, 1))
    abnormal = r.current(CreditList.ABNORMAL)
    assert abnormal is not None and escalation_due(abnormal, RULES) == date(2026, 6, 1)
    assert r.apply_rules(RULES, date(2026, 5, 31), SWEEP) == []
    assert r.apply_rules(RULES, date(2026, 6, 10), SWEEP) == ["escalated"]
    assert (r.listings[0].removed_on, r.listings[0].removal_reason) == (date(2026, 6, 1), "escalated")
    serious = r.current(CreditList.SERIOUS)
    assert serious is not None and serious.listed_on == date(2026, 6, 1)
    assert [(g.code, g.ref) for g in serious.grounds] == [("abnormal_two_years", "abnormal:2024-06-01")]


def test_an_escalated_listing_ends_only_after_its_clean_period_and_the_original_obligation_is_met() -> None:
    r = listed("report_not_filed", date(2024, 6, 1))
    r.apply_rules(RULES, date(2026, 6, 1), SWEEP)
    assert r.apply_rules(RULES, date(2028, 6, 1), SWEEP) == [] and r.status == "serious"  # clean, but not met
    r.verify_obligation(CreditList.SERIOUS, date(2028, 7, 1), RULES, REGISTRAR)
    assert r.current(CreditList.SERIOUS) is None and r.listings[-1].removed_on == date(2028, 7, 1)


def test_an_escalated_listing_whose_obligation_was_met_early_ends_when_the_clean_period_is_over() -> None:
    r = listed("report_not_filed", date(2024, 6, 1))
    r.apply_rules(RULES, date(2026, 6, 1), SWEEP)
    r.verify_obligation(CreditList.SERIOUS, date(2026, 9, 1), RULES, REGISTRAR)
    assert r.apply_rules(RULES, date(2028, 5, 31), SWEEP) == []
    assert r.apply_rules(RULES, date(2028, 8, 1), SWEEP) == ["serious_removed"]
    assert (r.listings[-1].removed_on, r.listings[-1].removal_reason) == (date(2028, 6, 1), "clean_period_over")


def test_a_serious_listing_not_escalated_ends_by_itself_after_two_clean_years() -> None:
    r = penalized(fine("80000", on=date(2024, 2, 29)))
    assert r.apply_rules(RULES, date(2026, 2, 27), SWEEP) == []
    assert r.apply_rules(RULES, date(2026, 3, 1), SWEEP) == ["serious_removed"]
    assert r.listings[0].removed_on == date(2026, 2, 28)  # 29 February two years on is the 28th


# -- documents and revocation proposals ---------------------------------------------------------------------------------------
def test_a_document_is_attached_only_to_a_recorded_penalty_or_a_current_listings_removal_request() -> None:
    r = penalized(warning())
    pdf = DocumentRef("a" * 64, 2048, "application/pdf", "决定书.pdf")
    r.attach_document(SLOTS["decision_letter"], "penalty:民罚〔2026〕1号", pdf, True, REGISTRAR)
    r.attach_document(SLOTS["removal_grounds"], "removal:abnormal", pdf, False, by(Role.ORGANIZATION))
    assert [a.subject for a in r.documents] == ["penalty:民罚〔2026〕1号", "removal:abnormal"]
    for subject in ("penalty:民罚〔2026〕9号", "removal:serious", "removal:nonsense", "anything"):
        assert (
            refused(InvalidValue, r.attach_document, SLOTS["removal_grounds"], subject, pdf, False, REGISTRAR)
            == "document.subject"
        )


def test_a_revocation_is_proposed_once_for_the_same_years_and_decided_only_while_open() -> None:
    r = record()
    assert refused(InvalidTransition, r.decide_revocation, True, "", REGISTRAR) == "credit.no_revocation_proposal"
    assert r.propose_revocation((2024, 2025), SWEEP) and not r.propose_revocation((2024, 2025), SWEEP)
    assert r.open_revocation_proposal == (2024, 2025)
    assert r.decide_revocation(False, " 已整改 ", REGISTRAR) == (2024, 2025)
    assert r.open_revocation_proposal is None and r.revocation_proposals == (((2024, 2025), "declined"),)
    assert refused(InvalidTransition, r.decide_revocation, True, "", REGISTRAR) == "credit.no_revocation_proposal"

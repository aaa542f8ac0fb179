"""An organization's grade (等级) and standing: how long a grade is valid under each validity rule,
when it runs out, what a finding does to it, the funding bar after a breach, and the refusals of
its status lifecycle (tests/unit/test_organization.py covers registration and the profile)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.errors import InvalidTransition, InvalidValue
from domain.organization import Organization, OrganizationType, Profile, Status
from domain.provenance import Basis
from domain.rules import GradeRules, grade_validity, one_level_lower
from domain.uscc import complete_code
from tests.unit.given import by

RULES_2021 = GradeRules(
    validity="five_years_from_decision",
    validity_years=5,
    min_years_registered=2,
    certificate_from="3A",
    reapply_after_downgrade_years=2,
    bars=(),
    findings={"inspection_missed": "lower", "penalty": "lower", "evaluation_fraud": "revoke"},
)
RULES_2026 = GradeRules(
    validity="jan1_after_announcement_to_dec31_year5",
    validity_years=5,
    min_years_registered=2,
    certificate_from="3A",
    reapply_after_downgrade_years=2,
    bars=(),
    findings=RULES_2021.findings,
)
REGISTRAR = by()
EVALUATION = UUID(int=61)


def organization(filed: bool = False) -> Organization:
    profile = Profile(
        name="桥南街道居家养老服务中心",
        org_type=OrganizationType.PRIVATE_NON_ENTERPRISE,
        legal_representative="李梅",
        address="铜陵市郊区桥南街道",
        division_code="340711",
        district="铜陵市郊区",
    )
    if filed:
        return Organization.file(UUID(int=62), profile, "备340711-002", "桥南街道", date(2019, 4, 8), REGISTRAR)
    return Organization.register(UUID(int=62), profile, complete_code("52340711MJ0000002"), date(2015, 6, 1), REGISTRAR)


def graded(level: str = "4A", valid: tuple[date, date] = (date(2024, 3, 15), date(2029, 3, 14))) -> Organization:
    org = organization()
    org.award_grade(level, valid[0], valid[1], EVALUATION, True, REGISTRAR)
    return org


def refused(kind: type[Exception], command: object, *args: object) -> str:
    with pytest.raises(kind) as caught:
        command(*args)  # type: ignore[operator]
    return caught.value.code  # type: ignore[attr-defined]


# -- validity ---------------------------------------------------------------------------------------------
def test_before_2026_a_grade_is_valid_five_years_from_the_decision_to_the_day_before_its_anniversary() -> None:
    assert grade_validity(RULES_2021, date(2024, 3, 15), date(2024, 3, 25)) == (date(2024, 3, 15), date(2029, 3, 14))


def test_a_grade_decided_on_29_february_takes_28_february_as_its_anniversary() -> None:
    assert grade_validity(RULES_2021, date(2024, 2, 29), date(2024, 3, 10)) == (date(2024, 2, 29), date(2029, 2, 27))


def test_since_2026_a_grade_is_valid_from_1_january_after_the_announcement_to_31_december_of_the_fifth_year() -> None:
    assert grade_validity(RULES_2026, date(2026, 6, 1), date(2026, 6, 10)) == (date(2027, 1, 1), date(2031, 12, 31))
    # an announcement running into the new year moves the start a year on
    assert grade_validity(RULES_2026, date(2026, 12, 20), date(2027, 1, 3)) == (date(2028, 1, 1), date(2032, 12, 31))


def test_a_grade_whose_validity_ends_before_it_starts_cannot_be_awarded() -> None:
    org = organization()
    code = refused(InvalidValue, org.award_grade, "3A", date(2027, 1, 1), date(2026, 12, 31), EVALUATION, True, REGISTRAR)
    assert code == "grade.validity" and org.grade is None


def test_a_grade_is_held_only_within_its_validity() -> None:
    org = graded()
    assert [org.grade_on(d) for d in (date(2024, 3, 14), date(2024, 3, 15), date(2029, 3, 14), date(2029, 3, 15))] == [
        None,
        "4A",
        "4A",
        None,
    ]


def test_a_grade_runs_out_only_the_day_after_its_last_valid_day() -> None:
    org = graded()
    assert refused(InvalidTransition, org.expire_grade, date(2029, 3, 14), REGISTRAR) == "grade.not_expired"
    org.expire_grade(date(2029, 3, 15), REGISTRAR)
    assert org.grade is None
    assert refused(InvalidTransition, org.expire_grade, date(2029, 3, 16), REGISTRAR) == "grade.not_expired"


def test_an_organization_without_a_grade_has_none_to_run_out() -> None:
    assert refused(InvalidTransition, organization().expire_grade, date(2029, 3, 16), REGISTRAR) == "grade.not_expired"


# -- findings ------------------------------------------------------------------------------------------------
def test_a_finding_the_rule_set_says_lowers_takes_the_grade_one_level_down() -> None:
    org = graded("4A")
    org.apply_finding("inspection_missed", RULES_2021, date(2026, 6, 1), REGISTRAR)
    assert (org.grade, org.grade_lost_on) == ("3A", date(2026, 6, 1))
    assert org.grade_valid_until == date(2029, 3, 14)  # a lowered grade keeps its validity


def test_a_finding_the_rule_set_says_revokes_takes_the_grade_away() -> None:
    org = graded("5A")
    org.apply_finding("evaluation_fraud", RULES_2021, date(2026, 6, 1), REGISTRAR)
    assert org.grade is None and org.grade_lost_on == date(2026, 6, 1)


def test_lowering_a_1a_grade_leaves_no_grade() -> None:
    assert one_level_lower("5A") == "4A" and one_level_lower("1A") is None
    org = graded("1A")
    org.apply_finding("penalty", RULES_2021, date(2026, 6, 1), REGISTRAR)
    assert org.grade is None


def test_a_finding_the_rule_set_does_not_know_is_refused() -> None:
    org = graded()
    with pytest.raises(InvalidValue) as caught:
        org.apply_finding("late_tax_return", RULES_2021, date(2026, 6, 1), REGISTRAR)
    assert caught.value.code == "grade.unknown_finding" and "penalty" in caught.value.details["known"]
    assert org.grade == "4A"


def test_a_finding_on_an_organization_without_a_grade_standing_is_refused() -> None:
    assert (
        refused(InvalidTransition, organization().apply_finding, "penalty", RULES_2021, date(2026, 6, 1), REGISTRAR)
        == "grade.none"
    )
    run_out = graded()
    assert refused(InvalidTransition, run_out.apply_finding, "penalty", RULES_2021, date(2029, 3, 15), REGISTRAR) == "grade.none"


# -- funding bar -------------------------------------------------------------------------------------------------
def test_a_later_breach_can_only_extend_the_funding_bar() -> None:
    org = organization()
    org.bar_from_funding(date(2029, 6, 1), UUID(int=70), REGISTRAR)
    org.collect_events()
    org.bar_from_funding(date(2028, 1, 1), UUID(int=71), REGISTRAR)
    assert org.funding_barred_until == date(2029, 6, 1) and org.collect_events() == []
    org.bar_from_funding(date(2030, 1, 1), UUID(int=72), REGISTRAR)
    assert org.funding_barred_until == date(2030, 1, 1)


# -- status ----------------------------------------------------------------------------------------------------------
def test_only_an_active_organization_can_be_suspended_and_only_a_suspended_one_resumed() -> None:
    org = organization()
    assert refused(InvalidTransition, org.resume, REGISTRAR) == "organization.not_suspended"
    org.suspend(REGISTRAR)
    assert org.status is Status.SUSPENDED
    assert refused(InvalidTransition, org.suspend, REGISTRAR) == "organization.not_active"


@pytest.mark.parametrize("act", [Organization.suspend, Organization.deregister, Organization.revoke])
@pytest.mark.parametrize(
    ("basis", "missing"),
    [(Basis(), ["document_no", "reason"]), (Basis("民社〔2026〕9号"), ["reason"]), (Basis(" ", "违法事实"), ["document_no"])],
)
def test_suspension_deregistration_and_revocation_stand_on_a_document_number_and_grounds(
    act: object, basis: Basis, missing: list[str]
) -> None:
    org = organization()
    with pytest.raises(InvalidValue) as caught:
        act(org, by(basis=basis))  # type: ignore[operator]
    assert caught.value.code == "basis.required" and caught.value.details["missing"] == missing
    assert "文号" in caught.value.message_zh and org.status is Status.ACTIVE and not org.pending_events[1:]


def test_resuming_needs_no_written_grounds() -> None:
    org = organization()
    org.suspend(REGISTRAR)
    org.resume(by(basis=Basis()))
    assert org.status is Status.ACTIVE


def test_a_filed_organization_has_no_registration_to_revoke() -> None:
    assert refused(InvalidTransition, organization(filed=True).revoke, REGISTRAR) == "organization.revoke_filed"


@pytest.mark.parametrize("close", [Organization.deregister, Organization.revoke])
def test_a_closed_organization_cannot_be_graded_or_closed_again(close: object) -> None:
    org = organization()
    close(org, REGISTRAR)  # type: ignore[operator]
    assert org.is_closed
    code = refused(InvalidTransition, org.award_grade, "3A", date(2027, 1, 1), date(2031, 12, 31), EVALUATION, True, REGISTRAR)
    assert code == "organization.closed"
    assert refused(InvalidTransition, org.deregister, REGISTRAR) == "organization.closed"

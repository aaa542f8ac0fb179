"""Subsidies (资金扶持): what an organization is entitled to in a year under the rule set's
subsidy rules (Tongling suburb's start-up, assessment and hub subsidies; grade awards), the
penalty period that blocks them, and a grant that can be made only once per period."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from domain.errors import InvalidValue
from domain.rules import FundingRules, SubsidyKind, SubsidyRule, Tranche, TrancheCondition
from domain.subsidy import Subsidy, SubsidyFacts, entitlements, subsidy_id
from tests.unit.given import NATIONAL, by

STARTUP = SubsidyRule("startup", SubsidyKind.STARTUP, "开办补贴", "Start-up", amount_cny=Decimal(3000))
ASSESSMENT = SubsidyRule("annual_assessment", SubsidyKind.ANNUAL_ASSESSMENT, "考核奖补", "Assessment", amount_cny=Decimal(6000))
HUB = SubsidyRule("hub", SubsidyKind.HUB, "枢纽补贴", "Hub", amount_cny=Decimal(5000), min_public_benefit_members=4)
GRADE = SubsidyRule(
    "grade_award",
    SubsidyKind.GRADE_AWARD,
    "等级奖励",
    "Grade award",
    amounts_by_grade={"5A": Decimal(50000), "4A": Decimal(30000), "3A": Decimal(10000)},
)
RULES = FundingRules(
    bars=(),
    breach_bar_years=3,
    review_pass_minimum=Decimal(60),
    mid_term_pass_minimum=Decimal(60),
    tranches=(Tranche(Decimal(1), TrancheCondition.AGREEMENT_SIGNED),),
    subsidies=(STARTUP, ASSESSMENT, HUB, GRADE),
    no_subsidy_after_penalty_years=3,
)
NOTHING = SubsidyFacts(
    active=True,
    registered_on=date(2019, 4, 8),
    community_level=True,
    public_benefit=True,
    is_hub=False,
    public_benefit_members=0,
    inspection_outcomes={},
    grades_awarded=(),
    penalty_dates=(),
)
ON = date(2026, 1, 15)  # the year 2025 decided in January 2026
ORG = UUID(int=51)


def granted(facts: SubsidyFacts, year: int = 2025, on: date = ON, rules: FundingRules = RULES) -> list[tuple[str, str, Decimal]]:
    return [(e.rule.key, e.period, e.amount) for e in entitlements(rules, facts, year, on)]


def test_an_organization_meeting_no_subsidy_rule_is_entitled_to_nothing() -> None:
    assert granted(NOTHING) == []


def test_a_community_public_benefit_organization_gets_the_start_up_subsidy_once_in_the_year_it_registered() -> None:
    new = replace(NOTHING, registered_on=date(2025, 9, 1))
    assert granted(new) == [("startup", "once", Decimal(3000))]
    assert granted(new, year=2026, on=date(2027, 1, 15)) == []


def test_the_start_up_subsidy_needs_registration_at_community_level_for_public_benefit() -> None:
    new = replace(NOTHING, registered_on=date(2025, 9, 1))
    assert granted(replace(new, community_level=False)) == []
    assert granted(replace(new, public_benefit=False)) == []
    assert granted(replace(new, registered_on=None)) == []  # filed (备案), not registered


def test_a_year_with_a_passed_inspection_earns_that_years_assessment_award_and_a_basic_pass_does_not() -> None:
    assert granted(replace(NOTHING, inspection_outcomes={2025: "pass"})) == [("annual_assessment", "2025", Decimal(6000))]
    assert granted(replace(NOTHING, inspection_outcomes={2025: "basic_pass", 2024: "pass"})) == []


def test_a_hub_with_at_least_four_public_benefit_members_gets_the_hub_subsidy_each_year() -> None:
    hub = replace(NOTHING, is_hub=True, public_benefit_members=4)
    assert granted(hub) == [("hub", "2025", Decimal(5000))]
    assert granted(replace(hub, public_benefit_members=3)) == []
    assert granted(replace(hub, is_hub=False)) == []


def test_each_grade_awarded_in_the_year_earns_its_levels_award_and_a_grade_below_3a_earns_none() -> None:
    graded = replace(NOTHING, grades_awarded=(("4A", date(2023, 12, 1)), ("5A", date(2025, 6, 30)), ("2A", date(2025, 3, 1))))
    assert granted(graded) == [("grade_award", "grade:2025-06-30", Decimal(50000))]


def test_every_subsidy_met_in_a_year_is_granted_side_by_side() -> None:
    facts = replace(NOTHING, is_hub=True, public_benefit_members=6, inspection_outcomes={2025: "pass"})
    assert [key for key, _, _ in granted(facts)] == ["annual_assessment", "hub"]


def test_an_organization_that_is_not_active_is_entitled_to_nothing() -> None:
    assert granted(replace(NOTHING, active=False, inspection_outcomes={2025: "pass"})) == []


def test_a_penalty_within_three_years_before_the_day_of_decision_blocks_every_subsidy() -> None:
    passed = replace(NOTHING, inspection_outcomes={2025: "pass"})
    assert granted(replace(passed, penalty_dates=(date(2023, 1, 16),))) == []
    assert granted(replace(passed, penalty_dates=(date(2023, 1, 15),))) == [("annual_assessment", "2025", Decimal(6000))]
    assert granted(replace(passed, penalty_dates=(date(2026, 1, 16),))) != []  # after the day of decision


def test_a_rule_set_without_a_penalty_period_lets_a_penalty_pass() -> None:
    facts = replace(NOTHING, inspection_outcomes={2025: "pass"}, penalty_dates=(date(2025, 12, 1),))
    assert granted(facts, rules=replace(RULES, no_subsidy_after_penalty_years=0)) != []


def test_a_subsidy_is_granted_once_per_organization_rule_and_period() -> None:
    [entitlement] = entitlements(RULES, replace(NOTHING, inspection_outcomes={2025: "pass"}), 2025, ON)
    grant = Subsidy.grant(ORG, entitlement, 2025, "铜陵市郊区", by(on=ON))
    again = Subsidy.grant(ORG, entitlement, 2025, "铜陵市郊区", by(on=date(2026, 2, 1)))
    assert grant.id == again.id == subsidy_id(ORG, "annual_assessment", "2025")
    assert (
        subsidy_id(ORG, "annual_assessment", "2026") != grant.id
        and subsidy_id(UUID(int=52), "annual_assessment", "2025") != grant.id
    )
    assert (grant.amount_cny, grant.kind, grant.rule_set) == (Decimal(6000), SubsidyKind.ANNUAL_ASSESSMENT, NATIONAL)


def test_a_grant_that_does_not_name_the_rule_set_that_decided_it_is_refused() -> None:
    [entitlement] = entitlements(RULES, replace(NOTHING, inspection_outcomes={2025: "pass"}), 2025, ON)
    with pytest.raises(InvalidValue) as caught:
        Subsidy.grant(ORG, entitlement, 2025, "铜陵市郊区", replace(by(on=ON), rule_set=None))
    assert caught.value.code == "provenance.no_rule_set"


def test_a_rule_amount_comes_from_its_grade_for_a_grade_award_and_is_fixed_otherwise() -> None:
    assert (GRADE.amount_for("3A"), GRADE.amount_for("1A"), GRADE.amount_for(None)) == (Decimal(10000), 0, 0)
    assert HUB.amount_for("5A") == Decimal(5000)

"""Eligibility for a grade evaluation (参评条件): the bars a subject's history raises on the day
of the check, under the rule set's grade rules. Pure: no store, no clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from domain.evaluation import SubjectFacts, eligibility_bars
from domain.rules import GradeRules

# national-v1's numbers: two years registered, two years' wait after losing a grade, every history bar
RULES = GradeRules(
    validity="five_years_from_decision",
    validity_years=5,
    min_years_registered=2,
    certificate_from="3A",
    reapply_after_downgrade_years=2,
    bars=(
        "inspection_missed_or_failed_last_year",
        "basic_pass_two_years",
        "penalty_last_year",
        "abnormal_list",
        "serious_dishonesty_list",
    ),
    findings={},
)
ON = date(2026, 5, 20)
CLEAN = SubjectFacts(registered_on=date(2015, 6, 1), track="registered", status="active", grade=None, grade_valid_until=None)


def bars(facts: SubjectFacts, on: date = ON, rules: GradeRules = RULES) -> list[str]:
    return eligibility_bars(rules, facts, on)


def test_a_registered_active_organization_with_a_clean_history_is_not_barred() -> None:
    assert bars(CLEAN) == []


def test_an_organization_registered_less_than_the_rule_sets_years_ago_is_barred() -> None:
    assert bars(replace(CLEAN, registered_on=date(2024, 5, 21))) == ["registered_less_than_2_years"]


def test_an_organization_registered_exactly_the_rule_sets_years_ago_is_not_barred() -> None:
    assert bars(replace(CLEAN, registered_on=date(2024, 5, 20))) == []


def test_an_organization_registered_on_29_february_has_its_years_on_1_march() -> None:
    leap = replace(CLEAN, registered_on=date(2024, 2, 29))
    assert bars(leap, date(2026, 2, 28)) == ["registered_less_than_2_years"]
    assert bars(leap, date(2026, 3, 1)) == []


def test_the_registration_bar_names_the_rule_sets_number_of_years() -> None:
    assert bars(replace(CLEAN, registered_on=date(2023, 5, 20)), rules=replace(RULES, min_years_registered=3)) == []
    assert bars(replace(CLEAN, registered_on=date(2023, 5, 21)), rules=replace(RULES, min_years_registered=3)) == [
        "registered_less_than_3_years"
    ]


def test_an_organization_without_a_registration_date_is_barred() -> None:
    assert bars(replace(CLEAN, registered_on=None)) == ["registered_less_than_2_years"]


def test_a_filed_or_inactive_organization_is_barred() -> None:
    assert bars(replace(CLEAN, track="filed", status="suspended")) == ["not_registered", "not_active"]


def test_a_grade_still_valid_on_the_day_bars_a_new_evaluation_and_one_expired_the_day_before_does_not() -> None:
    assert bars(replace(CLEAN, grade="4A", grade_valid_until=ON)) == ["grade_still_valid"]
    assert bars(replace(CLEAN, grade="4A", grade_valid_until=date(2026, 5, 19))) == []


def test_a_grade_lost_less_than_the_rule_sets_years_ago_bars_reapplying_and_exactly_that_long_ago_does_not() -> None:
    assert bars(replace(CLEAN, grade_lost_on=date(2024, 5, 21))) == ["grade_lost_within_2_years"]
    assert bars(replace(CLEAN, grade_lost_on=date(2024, 5, 20))) == []


def test_last_years_missed_or_failed_inspection_bars_and_an_exempt_year_is_passed_over() -> None:
    missed = replace(CLEAN, inspection_outcomes=((2025, "exempt"), (2024, "missed")))
    assert bars(missed) == ["inspection_missed_or_failed_last_year"]
    assert bars(replace(CLEAN, inspection_outcomes=((2025, "pass"), (2024, "fail")))) == []


def test_two_basic_passes_in_a_row_bar() -> None:
    assert bars(replace(CLEAN, inspection_outcomes=((2025, "basic_pass"), (2024, "basic_pass")))) == ["basic_pass_two_years"]
    assert bars(replace(CLEAN, inspection_outcomes=((2025, "pass"), (2024, "basic_pass")))) == []


def test_a_penalty_in_the_previous_calendar_year_bars() -> None:
    assert bars(replace(CLEAN, penalty_dates=(date(2025, 12, 31),))) == ["penalty_last_year"]
    assert bars(replace(CLEAN, penalty_dates=(date(2024, 12, 31), date(2026, 1, 2)))) == []


def test_either_credit_list_bars() -> None:
    assert bars(replace(CLEAN, credit_status="abnormal")) == ["abnormal_list"]
    assert bars(replace(CLEAN, credit_status="serious")) == ["serious_dishonesty_list"]


def test_a_history_bar_the_rule_set_does_not_name_does_not_bar() -> None:
    only_lists = replace(RULES, bars=("abnormal_list", "serious_dishonesty_list"))
    assert bars(replace(CLEAN, penalty_dates=(date(2025, 3, 1),)), rules=only_lists) == []

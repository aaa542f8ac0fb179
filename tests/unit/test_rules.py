from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.rules import Boundary, GradeBands, earliest_in_force, require_rules_in_force
from infra.rulesets import FileRuleSetCatalog

CATALOG = FileRuleSetCatalog()


def test_the_shipped_rule_sets_are_national_before_and_after_2026_and_two_localities() -> None:
    assert {(r.id, r.version) for r in CATALOG.all()} >= {("national", 1), ("national", 2), ("anhui", 1), ("luoyang", 1)}
    assert CATALOG.get("national", 2).effective_from == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("division", "on", "expected"),
    [
        ("150204", date(2026, 2, 28), ("national", 1)),
        ("150204", date(2026, 3, 1), ("national", 2)),
        ("340711", date(2026, 3, 1), ("anhui", 1)),
        ("410302", date(2024, 1, 1), ("luoyang", 1)),
    ],
)
def test_the_most_specific_rule_set_in_force_is_chosen(division: str, on: date, expected: tuple[str, int]) -> None:
    rule_set = CATALOG.for_division(division, on)
    assert (rule_set.id, rule_set.version) == expected


def test_the_remembered_answers_are_the_chosen_ones_before_and_after_forgetting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog remembers (division, day) answers, a bounded number: each is still the rule set
    `choose_rule_set` picks, the same object every time, and a refused day is refused again."""
    import infra.rulesets as rulesets
    from domain.rules import choose_rule_set

    monkeypatch.setattr(rulesets, "CHOSEN_KEPT", 3)
    catalog = FileRuleSetCatalog()
    asked = [(d, on) for d in ("150204", "340711", "410302") for on in (date(2025, 1, 1), date(2026, 3, 1))] * 2
    for division, on in asked:
        assert catalog.for_division(division, on) is choose_rule_set(catalog.all(), division, on)
    assert len(catalog._chosen) <= 3
    for _ in range(2):
        with pytest.raises(InvalidValue):
            catalog.for_division("150204", date(2000, 1, 1))


def test_no_rule_set_before_the_first_one_took_effect() -> None:
    with pytest.raises(InvalidValue):
        CATALOG.for_division("150204", date(2000, 1, 1))


@pytest.mark.parametrize("on", [date(1, 1, 1), date(2020, 12, 31)])
def test_a_day_before_the_earliest_rule_set_is_refused_with_one_error_for_any_division(on: date) -> None:
    assert earliest_in_force(CATALOG.all()) == date(2021, 1, 1)
    refusals = []
    for attempt in (
        lambda: require_rules_in_force(CATALOG.all(), on),
        lambda: CATALOG.for_division("150204", on),
        lambda: CATALOG.for_division("340711", on),
    ):
        with pytest.raises(InvalidValue) as refused:
            attempt()
        refusals.append((refused.value.code, refused.value.message_zh, refused.value.message_en))
    assert len(set(refusals)) == 1 and refusals[0][0] == "rules.none_in_force"
    assert "2021-01-01" in refusals[0][2] and str(on) in refusals[0][2]
    require_rules_in_force(CATALOG.all(), date(2021, 1, 1))  # the first day is in force


@pytest.mark.parametrize(
    ("score", "grade"),
    [("1000", "5A"), ("950", "5A"), ("949.5", "4A"), ("901", "4A"), ("900.5", "3A"), ("701", "1A"), ("700", None)],
)
def test_anhui_bands_put_the_950_overlap_on_the_higher_side(score: str, grade: str | None) -> None:
    assert CATALOG.get("anhui", 1).grade_bands.grade_for(Decimal(score)) == grade


def test_with_the_lower_boundary_rule_the_overlap_goes_to_4a() -> None:
    bands = CATALOG.get("anhui", 1).grade_bands
    lower = GradeBands(scale=bands.scale, bands=bands.bands, boundary=Boundary.LOWER)
    assert lower.grade_for(Decimal(950)) == "4A"
    assert lower.grade_for(Decimal("950.01")) == "5A"


def test_luoyang_grades_every_score() -> None:
    bands = CATALOG.get("luoyang", 1).grade_bands
    assert [bands.grade_for(Decimal(s)) for s in (0, 599, 600, 799, 800, 900)] == ["1A", "1A", "2A", "3A", "4A", "5A"]


def test_a_score_beyond_the_scale_is_refused() -> None:
    with pytest.raises(InvalidValue):
        CATALOG.get("national", 1).grade_bands.grade_for(Decimal("1000.5"))


@given(st.decimals(min_value=0, max_value=1000, places=2), st.decimals(min_value=0, max_value=1000, places=2))
def test_grades_never_fall_as_the_score_rises(a: Decimal, b: Decimal) -> None:
    order = [None, "1A", "2A", "3A", "4A", "5A"]
    for rule_set in CATALOG.all():
        bands = rule_set.grade_bands
        low, high = sorted((a, b))
        assert order.index(bands.grade_for(low)) <= order.index(bands.grade_for(high))


# -- funding -----------------------------------------------------------------------------------------
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2))
def test_tranches_add_up_to_the_award_to_the_fen(amount: Decimal) -> None:
    from domain.rules import split_into_tranches

    parts = split_into_tranches(amount, CATALOG.get("anhui", 1).funding.tranches)
    assert sum(parts) == amount and all(p.as_tuple().exponent >= -2 for p in parts)  # type: ignore[operator]


def test_a_rule_set_whose_tranches_do_not_add_up_is_refused() -> None:
    from domain.rules import FundingRules, Tranche, TrancheCondition

    with pytest.raises(ValueError, match="add up to 1"):
        FundingRules((), 3, Decimal(60), Decimal(60), (Tranche(Decimal("0.5"), TrancheCondition.AGREEMENT_SIGNED),))
    with pytest.raises(ValueError, match="on signing"):
        FundingRules((), 3, Decimal(60), Decimal(60), (Tranche(Decimal(1), TrancheCondition.MID_TERM_PASSED),))


def test_project_bars_name_each_reason() -> None:
    from domain.funding import ApplicantFacts, RoundTerms, project_bars

    terms = RoundTerms(
        "创投",
        "3407",
        Decimal(300000),
        Decimal(50000),
        date(2026, 5, 1),
        date(2026, 6, 1),
        date(2026, 7, 1),
        date(2026, 12, 31),
        date(2027, 6, 30),
        min_grade="3A",
        org_types=("foundation",),
    )
    rules = CATALOG.get("anhui", 1).funding
    clean = ApplicantFacts(
        track="registered",
        org_type="foundation",
        division_code="340711",
        status="active",
        grade="4A",
        credit_status="none",
        funding_barred_until=None,
    )
    assert project_bars(rules, terms, clean, date(2026, 5, 20)) == []
    barred = ApplicantFacts(
        track="registered",
        org_type="social_association",
        division_code="410300",
        status="suspended",
        grade="2A",
        credit_status="serious",
        funding_barred_until=date(2027, 1, 1),
    )
    assert project_bars(rules, terms, barred, date(2026, 5, 20)) == [
        "outside_locality",
        "type_not_admitted",
        "grade_below_minimum",
        "not_active",
        "serious_dishonesty_list",
        "breach_bar",
    ]


@pytest.mark.parametrize(
    ("submitted_on", "on", "expected"),
    [
        (date(2026, 5, 31), date(2026, 9, 1), ("on_time", 0, None, None)),
        (None, date(2026, 5, 31), ("not_due", None, None, None)),
        (date(2026, 6, 14), date(2026, 9, 1), ("late", 14, None, "amber")),
        (date(2026, 6, 15), date(2026, 9, 1), ("late", 15, None, "red")),
        (None, date(2026, 6, 1), ("overdue", None, 1, "amber")),
        (None, date(2026, 6, 15), ("overdue", None, 15, "red")),
    ],
)
def test_a_filing_is_on_time_late_or_overdue_amber_up_to_the_rule_sets_days_and_red_beyond(
    submitted_on: date | None,
    on: date,
    expected: tuple[object, ...],
) -> None:
    from domain.inspection import timeliness

    for rule_set in CATALOG.all():
        assert rule_set.inspection.late_amber_up_to_days == 14
        t = timeliness(date(2026, 5, 31), submitted_on, on, rule_set.inspection)
        assert (t.filing.value, t.days_late, t.days_overdue, t.marking) == expected

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.rules import Aggregation
from domain.scoring import IndicatorScore, Sheet, aggregate, checked_scores, compute, missing_indicators
from infra.rulesets import FileRuleSetCatalog

RULES = FileRuleSetCatalog().get("anhui", 1)
SCHEME = RULES.evaluation.scheme_for("social_association")


def full_sheet(evaluator: str, share: Decimal, bonus: Decimal = Decimal(0)) -> Sheet:
    """Every indicator at the same share of its maximum."""
    scores = tuple(IndicatorScore(i.key, (i.maximum * share).quantize(Decimal("0.1"))) for i in SCHEME.indicators)
    return Sheet(evaluator, scores, bonus)


def test_the_scheme_adds_up_to_1000() -> None:
    assert SCHEME.total == Decimal(1000) and sum(c.maximum for c in SCHEME.categories) == 1000


@pytest.mark.parametrize(
    ("scores", "bonus", "code"),
    [
        ((IndicatorScore("nope", Decimal(1)),), Decimal(0), "score.unknown_indicator"),
        ((IndicatorScore("basic.legal_status", Decimal(31)),), Decimal(0), "score.out_of_range"),
        ((IndicatorScore("basic.legal_status", Decimal(-1)),), Decimal(0), "score.out_of_range"),
        ((IndicatorScore("basic.legal_status", Decimal("10.25")),), Decimal(0), "score.precision"),
        ((IndicatorScore("basic.legal_status", Decimal(1)),) * 2, Decimal(0), "score.duplicate_indicator"),
        ((), Decimal(31), "score.bonus"),
    ],
)
def test_bad_scores_are_refused_with_the_reason(scores: tuple[IndicatorScore, ...], bonus: Decimal, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        checked_scores(SCHEME, scores, bonus, RULES.evaluation.score_decimals)
    assert caught.value.code == code


def test_missing_indicators_are_listed() -> None:
    sheet = Sheet("e1", (IndicatorScore("basic.legal_status", Decimal(30)),))
    assert "basic.registration" in missing_indicators(SCHEME, sheet)
    assert missing_indicators(SCHEME, full_sheet("e1", Decimal(1))) == []


def test_the_bonus_cannot_lift_a_total_over_full_marks() -> None:
    assert full_sheet("e1", Decimal(1), Decimal(30)).total(SCHEME) == Decimal(1000)


def test_a_five_member_panel_drops_the_highest_and_lowest_total() -> None:
    shares = ["0.99", "0.96", "0.95", "0.94", "0.60"]
    sheets = [full_sheet(f"e{n}", Decimal(s)) for n, s in enumerate(shares)]
    result = compute(SCHEME, sheets, RULES.evaluation, RULES.grade_bands)
    assert result.trimmed and len(result.totals.kept) == 3
    assert result.total == Decimal("950.0") and result.label == "5A"  # Anhui: 950 falls on the higher side


def test_a_small_panel_takes_the_plain_mean() -> None:
    sheets = [full_sheet(f"e{n}", Decimal(s)) for n, s in enumerate(["0.90", "0.86", "0.80"])]
    result = compute(SCHEME, sheets, RULES.evaluation, RULES.grade_bands)
    assert not result.trimmed and result.total == Decimal("853.3") and result.label == "3A"


amounts = st.lists(st.decimals(min_value=0, max_value=1000, places=1), min_size=1, max_size=9)


@given(amounts, st.randoms())
def test_aggregation_is_independent_of_order(values: list[Decimal], rnd: random.Random) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert aggregate(values, RULES.evaluation).result == aggregate(shuffled, RULES.evaluation).result


@given(amounts)
def test_the_trimmed_mean_lies_between_min_and_max(values: list[Decimal]) -> None:
    result = aggregate(values, RULES.evaluation).result
    assert min(values) <= result <= max(values)
    assert RULES.evaluation.aggregation is Aggregation.TRIMMED_MEAN


@given(st.lists(st.decimals(min_value=0, max_value=1, places=2), min_size=3, max_size=7), st.randoms())
def test_the_computation_does_not_depend_on_the_order_of_sheets(shares: list[Decimal], rnd: random.Random) -> None:
    sheets = [full_sheet(f"e{n}", s) for n, s in enumerate(shares)]
    again = list(sheets)
    rnd.shuffle(again)
    assert compute(SCHEME, sheets, RULES.evaluation, RULES.grade_bands) == compute(
        SCHEME, again, RULES.evaluation, RULES.grade_bands
    )

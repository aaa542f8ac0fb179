"""One indicator's score at a time: what is wrong with it, told for that field alone, by the same rules that
refuse a whole sheet; and the score form's save, which keeps every valid field and, for a refused one, its
last saved value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.drafts import TypedSheet, valid_part
from domain.errors import InvalidValue
from domain.scoring import IndicatorScore, Sheet, bonus_problem, checked_scores, score_problem
from tests.unit.test_evaluation_rules import RULES, SCHEME

DECIMALS = RULES.score_decimals


def problem(key: str, points: str, comment: str = "") -> str | None:
    found = score_problem(SCHEME, IndicatorScore(key, Decimal(points), comment), DECIMALS)
    return found.code if found else None


def whole_sheet_refusal(key: str, points: str, comment: str = "") -> str | None:
    try:
        checked_scores(SCHEME, (IndicatorScore(key, Decimal(points), comment),), Decimal(0), DECIMALS)
    except InvalidValue as e:
        return e.code
    return None


# -- per indicator ---------------------------------------------------------------------------------------------------
def test_a_score_from_zero_to_the_indicators_maximum_has_no_problem() -> None:
    assert problem("a", "0") is None and problem("a", "60") is None and problem("b", "39.5") is None


def test_a_score_above_the_indicators_maximum_is_out_of_range_and_says_the_maximum() -> None:
    found = score_problem(SCHEME, IndicatorScore("b", Decimal(45)), DECIMALS)
    assert found is not None and found.code == "score.out_of_range"
    assert found.details == {"key": "b", "maximum": "40"}
    assert "40" in found.message_zh and "40" in found.message_en


def test_a_negative_score_is_out_of_range() -> None:
    assert problem("a", "-1") == "score.out_of_range"


def test_a_score_with_more_decimals_than_the_rule_set_allows_is_too_precise() -> None:
    assert problem("a", "50.25") == "score.precision"


def test_a_score_for_an_indicator_outside_the_scheme_names_no_indicator() -> None:
    assert problem("z", "1") == "score.unknown_indicator"


def test_a_comment_over_a_thousand_characters_is_too_long() -> None:
    assert problem("a", "1", "字" * 1001) == "score.comment_too_long" and problem("a", "1", "字" * 1000) is None


def test_a_bonus_lies_between_zero_and_the_schemes_cap_with_the_allowed_decimals() -> None:
    assert bonus_problem(SCHEME, Decimal(5), DECIMALS) is None
    for bad in ("5.5", "-1", "1.25"):
        found = bonus_problem(SCHEME, Decimal(bad), DECIMALS)
        assert found is not None and found.code == "score.bonus" and found.details == {"key": "bonus"}


@pytest.mark.parametrize(
    ("key", "points", "comment"),
    [("a", "60", ""), ("a", "60.5", ""), ("b", "-1", ""), ("a", "1.25", ""), ("z", "1", ""), ("a", "1", "字" * 1001)],
)
def test_the_whole_sheet_is_refused_for_exactly_the_problem_its_field_is_told(key: str, points: str, comment: str) -> None:
    assert whole_sheet_refusal(key, points, comment) == problem(key, points, comment)


# -- the score form's save -------------------------------------------------------------------------------------------
SAVED = Sheet("expert-91", (IndicatorScore("a", Decimal(50), "kept"), IndicatorScore("b", Decimal(30))), Decimal(2))


def typed(points: dict[str, str], bonus: str = "", **comments: str) -> TypedSheet:
    return TypedSheet(points, comments, bonus)


def test_the_form_saves_every_valid_field_and_tells_each_refused_one_by_its_field() -> None:
    part = valid_part(typed({"a": "55", "b": "45"}, "1", a=" ok "), SCHEME, DECIMALS, None)
    assert part.scores == (IndicatorScore("a", Decimal(55), "ok"),) and part.bonus == 1
    assert set(part.problems) == {"b"} and part.problems["b"].code == "score.out_of_range"


def test_a_refused_field_keeps_its_last_saved_value() -> None:
    part = valid_part(typed({"a": "61", "b": "35"}, "9"), SCHEME, DECIMALS, SAVED)
    assert part.scores == (IndicatorScore("a", Decimal(50), "kept"), IndicatorScore("b", Decimal(35)))
    assert part.bonus == 2 and set(part.problems) == {"a", "bonus"}


def test_an_empty_field_is_simply_not_yet_scored() -> None:
    part = valid_part(typed({"a": "", "b": " "}, ""), SCHEME, DECIMALS, None)
    assert part.scores == () and part.bonus == 0 and part.problems == {}


def test_what_is_not_a_number_is_refused_for_its_field_alone() -> None:
    part = valid_part(typed({"a": "abc", "b": "20"}), SCHEME, DECIMALS, SAVED)
    assert part.problems["a"].code == "form.number"
    assert part.scores == (IndicatorScore("a", Decimal(50), "kept"), IndicatorScore("b", Decimal(20)))


def test_what_the_form_saves_always_passes_the_whole_sheet_check() -> None:
    part = valid_part(typed({"a": "61", "b": "1.25"}, "7"), SCHEME, DECIMALS, SAVED)
    assert checked_scores(SCHEME, part.scores, part.bonus, DECIMALS) == part.scores


# -- 评分细则 ---------------------------------------------------------------------------------------------------------
def test_every_indicator_of_every_shipped_scheme_states_its_scoring_criteria_in_both_languages() -> None:
    from infra.rulesets import FileRuleSetCatalog

    schemes = {s.id: s for r in FileRuleSetCatalog().all() for s in r.evaluation.schemes.values()}
    assert schemes
    bare = [(s.id, i.key) for s in schemes.values() for i in s.indicators if not (i.criteria_zh and i.criteria_en)]
    assert bare == []

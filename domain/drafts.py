"""A score sheet as a person typed it, and the part of it a draft keeps: every valid field,
and for a refused one its last saved value, with what is wrong told for that field alone.
A draft may be incomplete; nothing typed correctly is lost because another field is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from domain import values
from domain.errors import DomainError, InvalidValue
from domain.rules import ScoringScheme
from domain.scoring import ZERO, IndicatorScore, Sheet, bonus_problem, score_problem

BONUS = "bonus"  # the key of the bonus field among the problems


@dataclass(frozen=True)
class TypedSheet:
    """Text per indicator key (empty: not scored yet), comments per key, the bonus text."""

    points: Mapping[str, str]
    comments: Mapping[str, str] = field(default_factory=dict)
    bonus: str = ""


@dataclass(frozen=True)
class ValidPart:
    scores: tuple[IndicatorScore, ...]
    bonus: Decimal
    problems: dict[str, DomainError]  # by indicator key, or BONUS


def typed_number(raw: str | None) -> Decimal | None:
    """A number as typed (None when empty); text that is not one is refused with the text."""
    if raw is None or raw.strip() == "":
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise InvalidValue("form.number", f"不是有效的数字:{raw}", f"Not a number: {raw}") from None
    return values.points(value, "points", "分数")


def valid_part(typed: TypedSheet, scheme: ScoringScheme, decimals: int, previous: Sheet | None) -> ValidPart:
    kept = {s.key: s for s in previous.scores} if previous else {}
    scores: dict[str, IndicatorScore] = {}
    problems: dict[str, DomainError] = {}
    for key, raw in typed.points.items():
        if not raw.strip():
            continue
        problem: DomainError | None
        try:
            score = IndicatorScore(key, typed_number(raw) or ZERO, typed.comments.get(key, "").strip())
            problem = score_problem(scheme, score, decimals)
        except DomainError as e:
            problem = e
        if problem is None:
            scores[key] = score
        else:
            problems[key] = problem
            if key in kept:
                scores[key] = kept[key]
    bonus_refused: DomainError | None
    try:
        bonus = typed_number(typed.bonus) or ZERO
        bonus_refused = bonus_problem(scheme, bonus, decimals)
    except DomainError as e:
        bonus_refused = e
    if bonus_refused is not None:
        problems[BONUS] = bonus_refused
        bonus = previous.bonus if previous else ZERO
    return ValidPart(tuple(scores.values()), bonus, problems)

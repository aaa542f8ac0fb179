"""Score sheets and how a panel's sheets become one result. Pure: given a scheme and the
rule set's evaluation rules, the same sheets always give the same computation."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from domain.errors import InvalidValue
from domain.rules import Aggregation, EvaluationRules, GradeBands, ScoringScheme

ZERO = Decimal(0)


@dataclass(frozen=True)
class IndicatorScore:
    key: str
    points: Decimal
    comment: str = ""


@dataclass(frozen=True)
class Sheet:
    evaluator_id: str
    scores: tuple[IndicatorScore, ...]
    bonus: Decimal = ZERO

    def points(self, key: str) -> Decimal | None:
        return next((s.points for s in self.scores if s.key == key), None)

    def total(self, scheme: ScoringScheme) -> Decimal:
        """Indicators plus bonus, capped at the scheme's full marks (e.g. Jiangsu caps at 1,000)."""
        return min(sum((s.points for s in self.scores), ZERO) + self.bonus, scheme.total)


def _precision(value: Decimal, decimals: int) -> bool:
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -decimals


def score_problem(scheme: ScoringScheme, score: IndicatorScore, decimals: int) -> InvalidValue | None:
    """What is wrong with one indicator's score, if anything: an unknown indicator, points outside 0…max or
    with too many decimals, a comment too long. The form shows it beside the field; a draft keeps the rest."""
    indicator = scheme.indicator(score.key)
    if indicator is None:
        return InvalidValue(
            "score.unknown_indicator", f"没有该指标:{score.key}", f"No such indicator: {score.key}", key=score.key
        )
    if not score.points.is_finite() or not ZERO <= score.points <= indicator.maximum:
        return InvalidValue(
            "score.out_of_range",
            f"{indicator.zh}的得分应在0至{indicator.maximum}之间",
            f"{indicator.en} takes 0 to {indicator.maximum} points",
            key=score.key,
            maximum=str(indicator.maximum),
        )
    if not _precision(score.points, decimals):
        return InvalidValue(
            "score.precision", f"得分最多保留{decimals}位小数", f"Scores have at most {decimals} decimal places", key=score.key
        )
    if len(score.comment) > 1000:
        return InvalidValue(
            "score.comment_too_long", "评语不能超过1000字", "A comment has at most 1,000 characters", key=score.key
        )
    return None


def bonus_problem(scheme: ScoringScheme, bonus: Decimal, decimals: int) -> InvalidValue | None:
    if not bonus.is_finite() or not ZERO <= bonus <= scheme.bonus_cap or not _precision(bonus, decimals):
        return InvalidValue(
            "score.bonus", f"加分应在0至{scheme.bonus_cap}之间", f"Bonus points lie between 0 and {scheme.bonus_cap}", key="bonus"
        )
    return None


def checked_scores(
    scheme: ScoringScheme, scores: tuple[IndicatorScore, ...], bonus: Decimal, decimals: int
) -> tuple[IndicatorScore, ...]:
    """Every score names an indicator of the scheme once, lies in 0…max with the allowed decimals."""
    seen: set[str] = set()
    for score in scores:
        if score.key in seen:
            raise InvalidValue(
                "score.duplicate_indicator", f"指标重复评分:{score.key}", f"Indicator scored twice: {score.key}", key=score.key
            )
        seen.add(score.key)
        if (problem := score_problem(scheme, score, decimals)) is not None:
            raise problem
    if (problem := bonus_problem(scheme, bonus, decimals)) is not None:
        raise problem
    return tuple(sorted(scores, key=lambda s: s.key))


def missing_indicators(scheme: ScoringScheme, sheet: Sheet) -> list[str]:
    scored = {s.key for s in sheet.scores}
    return [i.key for i in scheme.indicators if i.key not in scored]


@dataclass(frozen=True)
class Aggregate:
    values: tuple[Decimal, ...]  # every sheet's value, in sheet order
    kept: tuple[Decimal, ...]  # what the rule averaged (sorted)
    result: Decimal


@dataclass(frozen=True)
class IndicatorResult:
    key: str
    aggregate: Aggregate


@dataclass(frozen=True)
class Computation:
    """A result with every input recorded, so it can be explained and recomputed."""

    scheme_id: str
    method: Aggregation
    trimmed: bool
    decimals: int
    evaluator_ids: tuple[str, ...]
    totals: Aggregate
    indicators: tuple[IndicatorResult, ...]
    label: str | None  # grade ("5A" … "1A") or stars ("5" … "1"); None = not graded
    bands: GradeBands
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> Decimal:
        return self.totals.result


def aggregate(values: list[Decimal], rules: EvaluationRules) -> Aggregate:
    """Mean, or trimmed mean (drop one highest and one lowest) once the panel is large enough."""
    if not values:
        raise InvalidValue("scoring.no_sheets", "没有可计算的评分表", "There are no sheets to compute")
    ordered = sorted(values)
    trim = rules.aggregation is Aggregation.TRIMMED_MEAN and len(values) >= rules.trim_from_panel_size
    kept = ordered[1:-1] if trim else ordered
    quantum = Decimal(1).scaleb(-rules.score_decimals)
    mean = (sum(kept, ZERO) / len(kept)).quantize(quantum, rounding=ROUND_HALF_UP)
    return Aggregate(values=tuple(values), kept=tuple(kept), result=mean)


def compute(scheme: ScoringScheme, sheets: list[Sheet], rules: EvaluationRules, bands: GradeBands) -> Computation:
    """The panel's result: the aggregation of the sheets' totals decides the band; each
    indicator's aggregation is recorded beside it for the explanation."""
    sheets = sorted(sheets, key=lambda s: s.evaluator_id)  # independent of submission order
    totals = aggregate([s.total(scheme) for s in sheets], rules)
    indicators = tuple(
        IndicatorResult(i.key, aggregate([s.points(i.key) or ZERO for s in sheets], rules)) for i in scheme.indicators
    )
    return Computation(
        scheme_id=scheme.id,
        method=rules.aggregation,
        trimmed=len(totals.kept) < len(totals.values),
        decimals=rules.score_decimals,
        evaluator_ids=tuple(s.evaluator_id for s in sheets),
        totals=totals,
        indicators=indicators,
        label=bands.grade_for(totals.result),
        bands=bands,
    )

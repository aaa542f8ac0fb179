"""Why a rating is what it is: sheets, recusals, aggregation step by step, bands, rule-set
version, announcement and appeal, and a recomputation from the stored events that must
equal the stored result (a mismatch is reported, never hidden)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from application.evaluations import Evaluations, Sight
from domain.evaluation import result_bands
from domain.rules import ScoringScheme
from domain.scoring import Computation

SEATS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class ScoreLine(msgspec.Struct, frozen=True):
    key: str
    indicator_zh: str
    indicator_en: str
    maximum: Decimal
    points: Decimal
    comment: str


class SheetLine(msgspec.Struct, frozen=True):
    seat: str  # 专家A, B, … — stable per case
    evaluator: str | None  # the name, only for those allowed to see it
    counted: bool
    total: Decimal
    bonus: Decimal
    scores: list[ScoreLine]
    # a sheet submitted and then not counted: why (declared / requested / forced recusal, replaced) and the note
    excluded: str | None = None
    excluded_note: str | None = None


class PanelLine(msgspec.Struct, frozen=True):
    seat: str
    evaluator: str | None
    recused: str | None  # declared / requested / forced


class BandLine(msgspec.Struct, frozen=True):
    label: str
    minimum: Decimal
    maximum: Decimal | None


class Step(msgspec.Struct, frozen=True):
    what: str
    values: list[Decimal]
    kept: list[Decimal]
    result: Decimal
    label_zh: str = ""  # the indicator's name; empty on the totals' step
    label_en: str = ""


class Recomputation(msgspec.Struct, frozen=True):
    matches: bool
    total: Decimal
    label: str | None


class Explanation(msgspec.Struct, frozen=True):
    evaluation_id: UUID
    kind: str
    subject_id: UUID
    stage: str
    rule_set: str
    rule_set_name_zh: str
    rule_set_name_en: str
    scheme_id: str
    scheme_name_zh: str
    scheme_name_en: str
    aggregation: str
    trim_from_panel_size: int
    panel: list[PanelLine]
    sheets: list[SheetLine]
    steps: list[Step]
    total: Decimal | None
    result: str | None
    bands: list[BandLine]
    boundary: str
    announcement: tuple[date, date] | None
    appeal_filed_on: date | None
    recomputation: Recomputation | None
    sealed: bool = False  # some sheets or the result are not shown to this reader yet (sealed scores)


def explain(evaluations: Evaluations, evaluation_id: UUID, reveal_names: bool, sight: Sight) -> Explanation:
    """The explanation as this reader may see it (`Evaluations.sight`): sealed sheets and a result
    not yet disclosed to them are left out, and `sealed` says so."""
    evaluation = evaluations.evaluation(evaluation_id)
    rule_set = evaluations.rules.get(evaluation.rule_set.id, evaluation.rule_set.version)
    scheme = rule_set.evaluation.scheme_for(evaluation.subject_type)
    order = {i.key: n for n, i in enumerate(scheme.indicators)}
    seats = {m.expert_id: SEATS[n % 26] for n, m in enumerate(evaluation.panel)}
    name = {m.expert_id: m.name for m in evaluation.panel}
    shown = (lambda e: name[e]) if reveal_names else (lambda e: None)
    counted = evaluation.submitted if evaluation.computation else set()
    on_record = evaluation.submitted | evaluation.excluded
    sheets = [
        SheetLine(
            seat=seats[e],
            evaluator=shown(e),
            counted=e in counted,
            total=sheet.total(scheme),
            bonus=sheet.bonus,
            scores=[
                ScoreLine(s.key, i.zh, i.en, i.maximum, s.points, s.comment)
                for s in sorted(sheet.scores, key=lambda s: order.get(s.key, len(order)))
                if (i := scheme.indicator(s.key)) is not None
            ],
            excluded=_excluded(evaluation, e),
            excluded_note=evaluation.recusal_notes.get(e) if e in evaluation.excluded else None,
        )
        for e, sheet in sorted(evaluation.drafts.items(), key=lambda kv: seats[kv[0]])
        if e in on_record and sight.sees(e)
    ]
    hidden = sight.sheets is not None or not sight.result
    computation = evaluation.computation if sight.result else None
    recomputation = None
    if computation is not None:
        stored, again = evaluations.recompute(evaluation_id)
        recomputation = Recomputation(matches=stored == again, total=again.total, label=again.label)
    bands = computation.bands if computation else result_bands(rule_set, evaluation.kind)
    return Explanation(
        evaluation_id=evaluation.id,
        kind=evaluation.kind.value,
        subject_id=evaluation.subject_id,
        stage=evaluation.stage.value,
        rule_set=f"{rule_set.id}@{rule_set.version}",
        rule_set_name_zh=rule_set.name_zh,
        rule_set_name_en=rule_set.name_en,
        scheme_id=scheme.id,
        scheme_name_zh=scheme.name_zh,
        scheme_name_en=scheme.name_en,
        aggregation=rule_set.evaluation.aggregation.value,
        trim_from_panel_size=rule_set.evaluation.trim_from_panel_size,
        panel=[
            PanelLine(
                seats[m.expert_id],
                shown(m.expert_id),
                evaluation.recused[m.expert_id].value if m.expert_id in evaluation.recused else None,
            )
            for m in evaluation.panel
        ],
        sheets=sheets,
        steps=_steps(computation, scheme),
        total=computation.total if computation else None,
        result=computation.label if computation else None,
        bands=[BandLine(b.label, b.minimum, b.maximum) for b in bands.bands],
        boundary=bands.boundary.value,
        announcement=evaluation.announcement,
        appeal_filed_on=evaluation.appeal_filed_on,
        recomputation=recomputation,
        sealed=hidden,
    )


def _excluded(evaluation: Any, expert_id: UUID) -> str | None:
    """Why a submitted sheet is not counted: the member's recusal ground, or their replacement."""
    if expert_id not in evaluation.excluded:
        return None
    if expert_id in evaluation.recused:
        return str(evaluation.recused[expert_id].value)
    return "replaced"


def _steps(computation: Computation | None, scheme: ScoringScheme) -> list[Step]:
    if computation is None:
        return []
    steps = []
    for r in computation.indicators:
        indicator = scheme.indicator(r.key)
        zh, en = (indicator.zh, indicator.en) if indicator else (r.key, r.key)
        steps.append(Step(f"indicator {r.key}", list(r.aggregate.values), list(r.aggregate.kept), r.aggregate.result, zh, en))
    t = computation.totals
    steps.append(Step("total (decides the band)", list(t.values), list(t.kept), t.result))
    return steps


@dataclass(frozen=True)
class Recheck:
    evaluation_id: UUID
    stage: str
    stored: str
    recomputed: str
    matches: bool


def recheck_all(evaluations: Evaluations, case_ids: list[UUID]) -> list[Recheck]:
    """Every case with a result, recomputed from its events with its own rule-set version."""
    found = []
    for case_id in case_ids:
        evaluation = evaluations.evaluation(case_id)
        if evaluation.computation is None:
            continue
        stored, again = evaluations.recompute(case_id)
        found.append(
            Recheck(
                case_id, evaluation.stage.value, f"{stored.total} {stored.label}", f"{again.total} {again.label}", stored == again
            )
        )
    return found

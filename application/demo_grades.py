"""The demo's graded organization: the Xuancheng social work centre's grade case, scored by the
demo panel and announced three weeks ago, finalized at seeding — so the demo shows a 4A grade
with its certificate (等级证书), its PDF and its public verification page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from application.accounts import User
from application.context import CommandContext
from application.evaluations import Evaluations
from application.event_store import EventStore
from application.ports import Clock
from domain.provenance import Actor, Role
from domain.scoring import IndicatorScore

DAYS_AGO = 21  # the case was announced this long ago: its announcement has run out
SHARE = Decimal("0.93")  # each evaluator's marks as a share of every maximum: 930 of 1000, 4A


class GradeTargets(Protocol):
    store: EventStore
    evaluations: Evaluations


class _Earlier:
    """The seeding clock set back, for what the demo tells as having happened in the past."""

    def __init__(self, clock: Clock, days: int) -> None:
        self.clock, self.days = clock, days

    def now(self) -> datetime:
        return self.clock.now() - timedelta(days=self.days)


@contextmanager
def _days_ago(system: GradeTargets, days: int) -> Iterator[None]:
    store, evaluations = system.store, system.evaluations
    real = store.clock, evaluations.clock
    store.clock = evaluations.clock = _Earlier(store.clock, days)
    try:
        yield
    finally:
        store.clock, evaluations.clock = real


def graded_with_certificate(
    system: GradeTargets,
    ctx: CommandContext,
    organization_id: UUID,
    chair_user: User,
    panel: list[UUID],
    case_id: UUID,
) -> None:
    desk = system.evaluations
    chair = CommandContext(Actor(chair_user.id, Role.CHAIR), "demo-seed")
    with _days_ago(system, DAYS_AGO):
        case = desk.open_grade_evaluation(ctx, organization_id, system.store.today() + timedelta(days=3), chair_user.id, case_id)
        desk.check_eligibility(ctx, case.id)
        desk.assign_panel(ctx, case.id, None, panel)
        scheme = desk.rule_set_of(case).evaluation.scheme_for(case.subject_type)
        marks = tuple(IndicatorScore(i.key, (i.maximum * SHARE).quantize(Decimal("0.1")), "良好") for i in scheme.indicators)
        for member in desk.evaluation(case.id).panel:
            expert = CommandContext(Actor(desk.expert(member.expert_id).user_id, Role.EVALUATOR), "demo-seed")
            desk.save_draft(expert, case.id, None, marks)
            desk.submit_sheet(expert, case.id, None)
        desk.close_scoring(chair, case.id, None)
        desk.compute_result(chair, case.id, None)
        desk.open_announcement(chair, case.id, None)
    desk.finalize(chair, case.id, None)

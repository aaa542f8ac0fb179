"""Grades awarded the way they are in life: a grade evaluation scored by three experts,
computed, announced, and finalized after the announcement ran out."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.context import CommandContext
from domain.provenance import Actor, Role
from domain.scoring import IndicatorScore
from tests.integration.helpers import REGISTRAR, code, profile

CHAIR = CommandContext(Actor("chair-1", Role.CHAIR), "req-chair")


def as_expert(n: int) -> CommandContext:
    return CommandContext(Actor(f"expert-user-{n}", Role.EVALUATOR), f"req-e{n}")


def registered(system: Any, n: int, name: str | None = None) -> UUID:
    org = system.organizations.register_organization(
        REGISTRAR, profile(name or f"铜陵市郊区第{n}社会服务中心"), code(200 + n), date(2015, 6, 1)
    )
    return org.id


def experts(system: Any) -> list[UUID]:
    found = [e.id for e in system.cases.experts() if e.user_id.startswith("expert-user-")]
    if not found:
        found = [
            system.evaluations.enroll_expert(REGISTRAR, f"expert-user-{n}", f"专家{n}", "社会工作", "安徽大学").id
            for n in (1, 2, 3)
        ]
    return found[:3]


def announced(system: Any, org_id: UUID, share: str, chair: str = "chair-1") -> UUID:
    """A grade case of the organization scored at the share of every maximum, under announcement."""
    desk = system.evaluations
    case = desk.open_grade_evaluation(REGISTRAR, org_id, system.store.today() + timedelta(days=14), chair)
    desk.check_eligibility(REGISTRAR, case.id)
    desk.assign_panel(REGISTRAR, case.id, None, experts(system))
    scheme = desk.rule_set_of(case).evaluation.scheme_for(case.subject_type)
    points = tuple(
        IndicatorScore(i.key, (i.maximum * Decimal(share)).quantize(Decimal("0.1")), "良好") for i in scheme.indicators
    )
    for n in (1, 2, 3):
        desk.save_draft(as_expert(n), case.id, None, points)
        desk.submit_sheet(as_expert(n), case.id, None)
    desk.close_scoring(CHAIR, case.id, None)
    desk.compute_result(CHAIR, case.id, None)
    desk.open_announcement(CHAIR, case.id, None)
    return case.id


def graded(system: Any, clock: Any, org_id: UUID, share: str) -> str | None:
    """The organization's case run to finalization; the grade it got."""
    case = announced(system, org_id, share)
    clock.advance(days=7)
    system.evaluations.finalize(CHAIR, case, None)
    return system.organizations.organization(org_id).grade

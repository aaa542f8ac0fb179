"""Building blocks for the funding scenarios: organizations with a grade, project
applications, and project evaluations run in batches by a panel of three."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.context import CommandContext
from domain.evaluation import EvaluationKind
from domain.funding import BudgetLine, ProjectApplication, RoundTerms
from domain.provenance import Actor, Role
from domain.scoring import IndicatorScore
from tests.integration.helpers import REGISTRAR, code, profile

CHAIR = CommandContext(Actor("chair-1", Role.CHAIR), "req-chair")


def as_expert(n: int) -> CommandContext:
    return CommandContext(Actor(f"expert-user-{n}", Role.EVALUATOR), f"req-e{n}")


def as_org(org_id: UUID) -> CommandContext:
    return CommandContext(Actor(f"org-{org_id}", Role.ORGANIZATION), "req-org", actor_organization=org_id)


def terms(**changes: Any) -> RoundTerms:
    values: dict[str, Any] = {
        "title": "2026年铜陵市郊区社区公益创投",
        "division_prefix": "340711",
        "budget": Decimal("300000"),
        "per_project_cap": Decimal("50000"),
        "applications_open": date(2026, 5, 20),
        "applications_close": date(2026, 6, 10),
        "project_start": date(2026, 7, 1),
        "mid_term_due": date(2026, 12, 31),
        "closing_due": date(2027, 6, 30),
        "min_grade": "3A",
    }
    values.update(changes)
    return RoundTerms(**values)


def application(title: str, amount: str = "40000") -> ProjectApplication:
    half = Decimal(amount) / 2
    return ProjectApplication(
        title,
        "社区独居老人",
        "每周两次上门探访与助餐",
        "服务独居老人60名,满意度90%以上",
        (BudgetLine("人员劳务", half), BudgetLine("活动物资", Decimal(amount) - half)),
    )


def graded_organization(system: Any, n: int, grade: str | None) -> UUID:
    """A registered organization holding a grade (set through the domain, as a finalized case would)."""
    org = system.organizations.register_organization(
        REGISTRAR, profile(f"铜陵市郊区公益服务中心{n:02d}"), code(100 + n), date(2015, 6, 1)
    )
    if grade:
        at = REGISTRAR.provenance(system.clock.now())
        org.award_grade(grade, date(2025, 1, 1), date(2029, 12, 31), system.ids.new_id(), True, replace(at, caused_by="test"))
        system.store.save(org)
    return org.id


def enroll_panel(system: Any) -> None:
    for n in (1, 2, 3):
        system.evaluations.enroll_expert(REGISTRAR, f"expert-user-{n}", f"专家{n}", "社会工作", "安徽大学")


def experts(system: Any) -> list[UUID]:
    return [e.id for e in system.cases.experts() if e.user_id.startswith("expert-user-")][:3]


def evaluate(system: Any, clock: Any, project_ids: list[UUID], kind: EvaluationKind, shares: dict[UUID, str]) -> None:
    """Open each project's case, let three experts score it (each at the project's share of every
    maximum), announce all, let the announcement run out, finalize all."""
    desk = system.evaluations
    today = system.store.today()
    cases = []
    for project_id in project_ids:
        case = system.funding.open_evaluation(
            REGISTRAR, project_id, None, kind, today + timedelta(days=14), chair_user_id="chair-1"
        )
        desk.assign_panel(REGISTRAR, case.id, None, experts(system))
        scheme = desk.rule_set_of(case).evaluation.scheme_for("project")
        for n in (1, 2, 3):
            points = tuple(
                IndicatorScore(i.key, (i.maximum * Decimal(shares[project_id])).quantize(Decimal("0.1")))
                for i in scheme.indicators
            )
            desk.save_draft(as_expert(n), case.id, None, points)
            desk.submit_sheet(as_expert(n), case.id, None)
        desk.close_scoring(CHAIR, case.id, None)
        desk.compute_result(CHAIR, case.id, None)
        desk.open_announcement(CHAIR, case.id, None)
        cases.append(case.id)
    clock.move_to(today + timedelta(days=8))
    for case_id in cases:
        desk.finalize(CHAIR, case_id, None)


def signed_project(system: Any, clock: Any, org: UUID, project_title: str = "社区助餐", **round_terms: Any) -> UUID:
    """A project of the organization reviewed, awarded and under agreement (the mid-term report next)."""
    enroll_panel(system)
    funding_round = system.funding.open_round(REGISTRAR, terms(min_grade=None, **round_terms))
    project = system.funding.apply(as_org(org), funding_round.id, org, application(project_title)).id
    system.funding.check_eligibility(REGISTRAR, project)
    evaluate(system, clock, [project], EvaluationKind.PROJECT_REVIEW, {project: "0.8"})
    system.funding.award(REGISTRAR, project, None, Decimal("30000"))
    system.funding.sign_agreement(REGISTRAR, project, None, "郊民协〔2026〕9号")
    return project

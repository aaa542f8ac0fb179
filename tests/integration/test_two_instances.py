"""Two instances on one PostgreSQL. Sweeping the same date at the same time: one sweeps (the
advisory lock), the other skips; run one after the other, the second finds nothing to do.
Either way every reminder and every "missed" exists exactly once. Scoring and awarding through
both at once: no sheet lost, no budget over-committed."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import DomainError
from domain.evaluation import EvaluationKind
from domain.funding import ProjectStage
from domain.scoring import IndicatorScore
from infra.wiring import build_system
from interfaces.scheduler import daily_sweep
from tests.integration.funding_support import (
    CHAIR,
    application,
    as_expert,
    as_org,
    enroll_panel,
    experts,
    graded_organization,
    terms,
)
from tests.integration.helpers import REGISTRAR, code, profile
from tests.support.fakes import CountingIds, CountingTokens

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def test_two_instances_sweeping_the_same_day_duplicate_nothing(settings, clock) -> None:
    clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
    first = build_system(settings, clock=clock, ids=CountingIds(1), tokens=CountingTokens())
    second = build_system(settings, clock=clock, ids=CountingIds(2), tokens=CountingTokens())
    try:
        for n in range(1, 21):
            org = first.organizations.register_organization(REGISTRAR, profile(f"铜陵市第{n}协会"), code(n), date(2015, 6, 1))
            first.accounts.add_user(f"org-{n}", "a-long-password", "organization", f"第{n}协会", org.id)
        first.inspections.open_campaign(REGISTRAR, 2025, "3407")
        for day in (date(2026, 5, 24), date(2026, 6, 1)):  # D-7: 20 reminders; D+1: 20 missed, 20 overdue reminders
            clock.move_to(day, 1)
            threads = [threading.Thread(target=daily_sweep, args=(s,)) for s in (first, second)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            daily_sweep(second)  # and once more, one after the other
        issued = Counter()
        missed = Counter()
        for n in first.store.recorder.select_notifications(start=1, limit=10_000):
            if n.topic.endswith("Reminder.Issued"):
                issued[n.originator_id] += 1
            if n.topic.endswith("Inspection.Missed"):
                missed[n.originator_id] += 1
        assert len(issued) == 40 and set(issued.values()) == {1}
        assert len(missed) == 20 and set(missed.values()) == {1}
        second.reminder_view.catch_up()
        from application.queries.reminders import ReminderQuery

        assert second.reminder_view.reminders(ReminderQuery()).total == 40
    finally:
        first.close()
        second.close()


def test_two_instances_scoring_and_awarding_at_once_lose_nothing_and_overcommit_nothing(settings, clock) -> None:
    """Three experts submit their sheets to four cases through two instances at once (no sheet
    lost); then four awards of CNY 40,000 race from both instances on a CNY 100,000 round."""
    first = build_system(settings, clock=clock, ids=CountingIds(1), tokens=CountingTokens())
    second = build_system(settings, clock=clock, ids=CountingIds(2), tokens=CountingTokens())
    try:
        enroll_panel(first)
        funding_round = first.funding.open_round(REGISTRAR, terms(budget=Decimal("100000"), min_grade=None))
        orgs = [graded_organization(first, n, None) for n in range(4)]
        projects = [first.funding.apply(as_org(o), funding_round.id, o, application(f"项目{n}")).id for n, o in enumerate(orgs)]
        desk = first.evaluations
        cases = []
        for p in projects:
            first.funding.check_eligibility(REGISTRAR, p)
            case = first.funding.open_evaluation(
                REGISTRAR,
                p,
                None,
                EvaluationKind.PROJECT_REVIEW,
                first.store.today() + timedelta(days=14),
                chair_user_id="chair-1",
            )
            desk.assign_panel(REGISTRAR, case.id, None, experts(first))
            scheme = desk.rule_set_of(case).evaluation.scheme_for("project")
            for n in (1, 2, 3):
                desk.save_draft(as_expert(n), case.id, None, tuple(IndicatorScore(i.key, i.maximum) for i in scheme.indicators))
            cases.append(case.id)
        both = (first, second)
        racing(
            [lambda s=both[n % 2], c=c, n=n: s.evaluations.submit_sheet(as_expert(n), c, None) for c in cases for n in (1, 2, 3)]
        )
        for c in cases:
            assert len(second.evaluations.evaluation(c).submitted) == 3  # every sheet counted, none overwritten
            desk.close_scoring(CHAIR, c, None)
            desk.compute_result(CHAIR, c, None)
            desk.open_announcement(CHAIR, c, None)
        clock.move_to(first.store.today() + timedelta(days=8))
        for c in cases:
            desk.finalize(CHAIR, c, None)

        outcomes = racing(
            [lambda s=both[n % 2], p=p: s.funding.award(REGISTRAR, p, None, Decimal("40000")) for n, p in enumerate(projects)]
        )
        assert sorted(o if isinstance(o, str) else "awarded" for o in outcomes) == [
            "awarded",
            "awarded",
            "round.budget_exceeded",
            "round.budget_exceeded",
        ]
        assert second.funding.funding_round(funding_round.id).committed == Decimal("80000")
        assert sum(first.funding.project(p).stage is ProjectStage.AWARDED for p in projects) == 2
    finally:
        first.close()
        second.close()


def racing(commands: list) -> list:  # type: ignore[type-arg]
    """Run the commands in threads released together; each gives its result or its error code."""
    barrier = threading.Barrier(len(commands))
    results: list = [None] * len(commands)  # type: ignore[type-arg]

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = commands[n]()
        except DomainError as e:
            results[n] = e.code

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(commands))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results

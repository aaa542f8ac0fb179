"""The daily sweep as of a date: deadline transitions in a fixed order, each idempotent,
so the scheduler, a second instance or `starledger sweep --as-of` may run it any number of times.
Instances sweeping the same day at once share each step's chunks (application/sweep_runs.py): a
step begins on an instance only when every chunk of the step before is done, whoever did it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from application.context import CommandContext
from application.credit import CreditRecords
from application.errors import StaleVersion
from application.inspections import Inspections
from application.organizations import Organizations
from application.ports import PlanningView
from domain.errors import InvalidTransition

log = logging.getLogger("starledger.sweep")
Progress = Callable[[str], Callable[[int, int], None] | None]


def sweep(
    organizations: Organizations,
    inspections: Inspections,
    credit: CreditRecords,
    ctx: CommandContext,
    as_of: date,
    *,
    progress: Progress = lambda _: None,
    planning: PlanningView | None = None,
) -> dict[str, dict[str, int]]:
    """Missed inspections first (they may list organizations), then the credit timers, then
    grades whose validity ran out."""
    with inspections.runs.round(as_of.isoformat()):  # every instance sweeping the day takes part in one round
        done = _steps(organizations, inspections, credit, ctx, as_of, progress, planning)
    log.info("sweep as of %s: %s", as_of, done)
    return done


def _steps(
    organizations: Organizations,
    inspections: Inspections,
    credit: CreditRecords,
    ctx: CommandContext,
    as_of: date,
    progress: Progress,
    planning: PlanningView | None,
) -> dict[str, dict[str, int]]:
    done = {
        "inspections": inspections.record_missed(ctx, as_of, progress("missed inspections")),
        "credit": credit.apply_rules(ctx, as_of, progress("credit rules")),
    }
    if planning is not None:
        # not worth chunking (a few grades a day): one instance expires them while the others wait,
        # through the same shared runs, so every instance returns only once the whole sweep is done
        graded = inspections.runs.run(
            f"{as_of}/grades", lambda _ids, report: report(expire_grades(organizations, planning, ctx, as_of))
        )
        done["grades"] = {k: v for k, v in graded.items() if k != "seen"}
    return done


def expire_grades(organizations: Organizations, planning: PlanningView, ctx: CommandContext, as_of: date) -> dict[str, int]:
    """A grade valid until D is recorded as expired on any sweep after D; idempotent (the
    read model no longer lists it)."""
    planning.catch_up()
    expired = 0
    for org_id, _grade, _until, _division in planning.grades_valid_until(date(1990, 1, 1), as_of - timedelta(days=1)):
        try:
            organizations.expire_grade(ctx, org_id, as_of)
            expired += 1
        except (InvalidTransition, StaleVersion):  # lowered, revoked or expired meanwhile
            continue
    return {"expired": expired} if expired else {}

"""The daily sweep as of a date: deadline transitions in a fixed order, each idempotent,
so the scheduler, a second instance or `starledger sweep --as-of` may run it any number of times."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from application.context import CommandContext
from application.credit import CreditRecords
from application.inspections import Inspections

log = logging.getLogger("starledger.sweep")
Progress = Callable[[str], Callable[[int, int], None] | None]


def sweep(
    inspections: Inspections, credit: CreditRecords, ctx: CommandContext, as_of: date,
    progress: Progress = lambda _: None,
) -> dict[str, dict[str, int]]:
    """Missed inspections first (they may list organizations), then the credit timers."""
    done = {
        "inspections": inspections.record_missed(ctx, as_of, progress("missed inspections")),
        "credit": credit.apply_rules(ctx, as_of, progress("credit rules")),
    }
    log.info("sweep as of %s: %s", as_of, done)
    return done

"""The garbage collector of a long-running StarLedger process (the server with its scheduler, a
sweep, a rebuild), set once the system is built.

What exists then — modules, rule sets, the application, the routes — lives as long as the process,
and every full collection walked all of it again: at a million organizations the reminders sweep
ran 232 full collections, 8 of its 95 seconds. Frozen, the collector leaves it alone. The sweeps
allocate millions of short-lived objects (events, rows, aggregates) that reference counting frees;
collecting the youngest generation every 50,000 allocations instead of 700 stops their chunks
from being promoted, and so from triggering full collections (a tenth of the reminders sweep
together, 4 % of the missed-inspection sweep; measured in README "Benchmarks")."""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("starledger.heap")
THRESHOLDS = (50_000, 20, 10)  # allocations before a young collection; young, then middle, collections before the next


def settle_heap() -> None:
    """Call once, after building the system, in a process that will run for long (not in tests:
    frozen objects are never collected)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    log.debug(
        "%d objects built at start-up kept out of the collector's passes; it collects every %d allocations",
        gc.get_freeze_count(),
        THRESHOLDS[0],
    )

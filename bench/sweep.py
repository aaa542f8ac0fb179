"""The daily sweep at growing populations: reminders a week before a campaign's deadline
(one per organization), missed inspections where nobody filed (each organization gets an
inspection, a credit record and a listing), then the credit timers two years later (each
listing escalates). Time and peak memory per size."""

from __future__ import annotations

import argparse
import logging
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from application.context import system_context
from bench.common import CTX, fresh_pg_database, register_in_batches
from infra.wiring import build_system, load_settings
from interfaces.progress import progress_bars

SHANGHAI = ZoneInfo("Asia/Shanghai")


class MovableClock:
    def __init__(self, day: date) -> None:
        self.current = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)

    def now(self) -> datetime:
        return self.current


Row = tuple[str, int, float, float]


def measure(
    size: int, database_url: str = "", first: int | None = None, shown: Callable[[Row], None] = lambda _: None
) -> list[Row]:
    """(label, organizations, seconds, peak MiB of the process so far) for the first N sweeps (all by
    default); `shown` gets each row as soon as it is measured (a million takes long)."""
    clock = MovableClock(date(2025, 1, 6))
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(data_dir=Path(data_dir), database_url=database_url, secret_key="b", scheduler=False)
        system = build_system(settings, clock=clock)
        try:
            register(system, clock, size)
            system.inspections.open_campaign(CTX, 2024, "3407")
            rows = []
            for label, day, run in SWEEPS[:first]:
                clock.current = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
                started = time.perf_counter()
                run(system)(system_context("bench", "bench-sweep"), day)
                rows.append((label, size, time.perf_counter() - started, _peak_mib()))
                shown(rows[-1])
            return rows
        finally:
            system.close()


SWEEPS = [
    ("issue reminders (report due)", date(2025, 5, 24), lambda s: s.reminders.issue),
    ("record missed inspections", date(2025, 6, 1), lambda s: s.inspections.record_missed),
    ("credit rules (all escalate)", date(2027, 6, 1), lambda s: s.credit.apply_rules),
]


def register(system: Any, clock: MovableClock, size: int) -> None:
    """Registered in batches (one transaction each), as a migration would load them; the
    sweeps themselves run through the application as the scheduler runs them."""
    with progress_bars() as bars:
        register_in_batches(system, clock.now, size, bars(f"registering {size:,}"))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(sizes: list[int], databases: tuple[str, ...] = ("sqlite",)) -> None:
    """Each size in a process of its own, so its peak memory is its own; "postgres": a throwaway database."""
    for database in databases:
        print(f"{'sweep on ' + database:34} {'orgs':>9} {'seconds':>9} {'per org ms':>11} {'peak RSS MiB':>13}", flush=True)
        for size in sizes:
            subprocess.run([sys.executable, "-m", "bench.sweep", str(size), "--database", database], check=True)


def _show(row: Row) -> None:
    label, n, seconds, peak = row
    print(f"{label:34} {n:9,d} {seconds:9.2f} {seconds / n * 1000:11.3f} {peak:13,.0f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__)
    parser.add_argument("size", type=int, help="organizations, all due")
    parser.add_argument(
        "first", type=int, nargs="?", help="the first N sweeps only (1: reminders; the later ones need the earlier)"
    )
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite (default), postgres (a throwaway database on STARLEDGER_BENCH_DATABASE_URL's server) or a PostgreSQL URL",
    )
    args = parser.parse_args(argv)
    logging.getLogger("starledger").setLevel(logging.WARNING)  # a line per event would be the bench
    url, drop = "", None
    if args.database == "postgres":
        url, drop = fresh_pg_database()
    elif args.database != "sqlite":
        url = args.database
    try:
        measure(args.size, url, first=args.first, shown=_show)
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()

"""The daily sweep at growing populations: reminders a week before a campaign's deadline
(one per organization), missed inspections where nobody filed (each organization gets an
inspection, a credit record and a listing), then the credit timers two years later (each
listing escalates). Time and peak memory per size."""

from __future__ import annotations

import resource
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from application.context import system_context
from infra.wiring import build_system, load_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


class MovableClock:
    def __init__(self, day: date) -> None:
        self.current = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)

    def now(self) -> datetime:
        return self.current


def measure(size: int, database_url: str = "") -> list[tuple[str, int, float, float]]:
    """(label, organizations, seconds, peak MiB of Python allocations during the sweep)."""
    from bench.__main__ import CTX, _code, _profile

    clock = MovableClock(date(2025, 1, 6))
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(data_dir=Path(data_dir), database_url=database_url, secret_key="b", scheduler=False)
        system = build_system(settings, clock=clock)
        try:
            for n in range(size):
                system.registry.register_organization(CTX, _profile(n), _code(n), date(2015, 1, 1))
            system.inspections.open_campaign(CTX, 2024, "3407")
            rows = []
            for label, day, run in (
                ("issue reminders (report due)", date(2025, 5, 24), system.reminders.issue),
                ("record missed inspections", date(2025, 6, 1), system.inspections.record_missed),
                ("credit rules (all escalate)", date(2027, 6, 1), system.credit.apply_rules),
            ):
                clock.current = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
                tracemalloc.start()
                started = time.perf_counter()
                run(system_context("bench", "bench-sweep"), day)
                seconds = time.perf_counter() - started
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                rows.append((label, size, seconds, peak))
            return rows
        finally:
            system.close()


def report(sizes: list[int]) -> None:
    print(f"{'sweep on SQLite':34} {'orgs':>8} {'seconds':>9} {'per org ms':>11} {'peak MiB':>9}")
    for size in sizes:
        for label, n, seconds, peak in measure(size):
            print(f"{label:34} {n:8,d} {seconds:9.2f} {seconds / n * 1000:11.2f} {peak:9.1f}", flush=True)
    print(f"(process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB)")

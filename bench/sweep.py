"""The daily sweep at growing populations: reminders a week before a campaign's deadline
(one per organization), missed inspections where nobody filed (each organization gets an
inspection, a credit record and a listing), then the credit timers two years later (each
listing escalates). Time and peak memory per size. `--instances K`: the missed-inspection and
credit sweeps run by K processes at once on one database, sharing the chunks (application/sweep_runs.py):
the wall time from their common start to the last one's end, the largest peak, the chunks each did."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from application.context import system_context
from bench.common import CTX, fresh_pg_database, register_in_batches, settle
from bench.sql_replay import Recording, replay
from infra.wiring import build_system, load_settings
from interfaces.heap import settle_heap
from interfaces.progress import progress_bars

SHANGHAI = ZoneInfo("Asia/Shanghai")


class MovableClock:
    def __init__(self, day: date) -> None:
        self.current = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)

    def now(self) -> datetime:
        return self.current


Row = tuple[str, int, float, float, float]  # label, organizations, seconds, CPU seconds, peak MiB


def measure(
    size: int,
    database_url: str = "",
    first: int | None = None,
    shown: Callable[[Row], None] = lambda _: None,
    instances: int = 1,
    floor: Recording | None = None,
) -> list[Row]:
    """(label, organizations, seconds, CPU seconds, peak MiB of the process so far) for the first N
    sweeps (all by default); `shown` gets each row as soon as it is measured (a million takes long).
    The CPU seconds are the process's own (`time.process_time`, SQLite's work included): on a shared
    machine they moved less between runs than the wall time. `floor` (SQLite, installed before the
    system is built): after each sweep, the statements it ran replayed raw on a copy of the
    database made just before it (bench/sql_replay.py), shown as a row of its own."""
    clock = MovableClock(date(2025, 1, 6))
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(data_dir=Path(data_dir), database_url=database_url, secret_key="b", scheduler=False)
        system = build_system(settings, clock=clock)
        settle_heap()  # as the server and the `sweep` command do
        try:
            register(system, clock, size)
            system.inspections.open_campaign(CTX, 2024, "3407")
            rows = []
            for which, (label, day, run) in enumerate(SWEEPS[:first]):
                clock.current = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
                settle(database_url)  # not timed: autovacuum's work between two days' sweeps
                if instances > 1 and which > 0:  # the reminders are issued by one instance (under the lock)
                    rows.append(_in_processes(instances, which, size, data_dir, database_url))
                    shown(rows[-1])
                    continue
                recorded = floor.of(settings.sqlite_path, Path(data_dir) / "floor.sqlite3") if floor else nullcontext()
                with recorded:
                    started, cpu = time.perf_counter(), time.process_time()
                    run(system)(system_context("bench", "bench-sweep"), day)
                    rows.append((label, size, time.perf_counter() - started, time.process_time() - cpu, _peak_mib()))
                shown(rows[-1])
                if floor:
                    _replayed(floor, Path(data_dir) / "floor.sqlite3", size, shown)
            return rows
        finally:
            system.close()


SWEEPS = [
    ("issue reminders (report due)", date(2025, 5, 24), lambda s: s.reminders.issue),
    ("record missed inspections", date(2025, 6, 1), lambda s: s.inspections.record_missed),
    ("credit rules (all escalate)", date(2027, 6, 1), lambda s: s.credit.apply_rules),
]


def _replayed(floor: Recording, copy: Path, size: int, shown: Callable[[Row], None]) -> None:
    """The floor row, then the kinds of statement that took a tenth of it or more."""
    statements = len(floor.statements)
    seconds, cpu, spent = replay(floor.statements, copy)
    floor.statements = []
    copy.unlink()
    shown((f"  its {statements:,} SQL statements replayed raw", size, seconds, cpu, _peak_mib()))
    for label, part in sorted(spent.items(), key=lambda item: -item[1]):
        if part >= seconds / 10:
            print(f"    {label:40} {part:9.2f} s", flush=True)


def _in_processes(instances: int, which: int, size: int, data_dir: str, database_url: str) -> Row:
    """One sweep by `instances` processes of their own (each builds its system, as an instance would),
    started together once all are ready."""
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Barrier(instances + 1)
    results = spawn.Queue()
    workers = [spawn.Process(target=_instance, args=(which, data_dir, database_url, ready, results)) for _ in range(instances)]
    for w in workers:
        w.start()
    ready.wait()
    found = [results.get(timeout=6 * 3600) for _ in workers]
    for w in workers:
        w.join()
    label = SWEEPS[which][0]
    starts, ends, cpus, peaks, chunks = zip(*found, strict=True)
    split = "/".join(str(c) for c in sorted(chunks, reverse=True))
    return (f"{label} ×{instances} [{split}]", size, max(ends) - min(starts), sum(cpus), max(peaks))


def _instance(which: int, data_dir: str, database_url: str, ready: Any, results: Any) -> None:
    logging.getLogger("starledger").setLevel(logging.WARNING)
    _label, day, run = SWEEPS[which]
    settings = load_settings(data_dir=Path(data_dir), database_url=database_url, secret_key="b", scheduler=False)
    system = build_system(settings, clock=MovableClock(day))
    settle_heap()
    try:
        ready.wait()
        started, cpu = time.time(), time.process_time()
        with system.sweep_runs.round(day.isoformat()):  # as `sweep` runs the steps
            run(system)(system_context("bench", f"bench-sweep-{system.sweep_runs.worker}"), day)
        ended, cpu_used = time.time(), time.process_time() - cpu
        with system.database.transaction() as tx:
            chunks = tx.execute(
                "SELECT COUNT(*) FROM sl_sweep_chunks WHERE run LIKE ? AND claimed_by LIKE ? AND done_at IS NOT NULL",
                (f"{day}/%", f"{system.sweep_runs.worker}#%"),
            ).scalar()
        results.put((started, ended, cpu_used, _peak_mib(), int(chunks)))
    finally:
        system.close()


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
        print(
            f"{'sweep on ' + database:44} {'orgs':>9} {'seconds':>9} {'CPU s':>8} {'per org ms':>11} {'peak RSS MiB':>13}",
            flush=True,
        )
        for size in sizes:
            subprocess.run([sys.executable, "-m", "bench.sweep", str(size), "--database", database], check=True)


def _show(row: Row) -> None:
    label, n, seconds, cpu, peak = row
    print(f"{label:44} {n:9,d} {seconds:9.2f} {cpu:8.2f} {seconds / n * 1000:11.3f} {peak:13,.0f}", flush=True)


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
    parser.add_argument(
        "--instances", type=int, default=1, help="processes sharing the missed-inspection and credit sweeps (default 1)"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="SQLite: after each sweep, the statements it ran replayed raw on a copy of the database made "
        "just before it (SQLite's own work for the sweep, without the Python; holds every row the sweep wrote)",
    )
    args = parser.parse_args(argv)
    if args.floor and (args.database != "sqlite" or args.instances > 1):
        parser.error("--floor is for one instance on SQLite")
    logging.getLogger("starledger").setLevel(logging.WARNING)  # a line per event would be the bench
    url, drop = "", None
    if args.database == "postgres":
        url, drop = fresh_pg_database()
    elif args.database != "sqlite":
        url = args.database
    try:
        floor = None
        if args.floor:
            floor = Recording()
            floor.install()  # before the system opens its connections
        measure(args.size, url, first=args.first, shown=_show, instances=args.instances, floor=floor)
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()

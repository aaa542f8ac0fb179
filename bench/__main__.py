"""StarLedger benchmarks: `make bench` (or `python -m bench --help`).

Each figure is measured next to its floor in the same run and printed as a ratio.
Figures are for the README and issue notes; tests never assert timings."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from application.context import CommandContext
from bench.audit import report as audit_report
from bench.common import ADMIN_URL, CTX, code, fresh_pg_database, profile
from bench.documents import report as documents_report
from bench.http_load import open_cases
from bench.http_load import run as http_run
from bench.report_season import report as season_report
from bench.sweep import report as sweep_report
from domain.provenance import Actor, Role
from infra.wiring import build_system, load_settings


def registrations_per_second(database_url: str, count: int, floor: Floor | None = None) -> float:
    """Registrations through the application: organization + code claim saved atomically,
    and the register read model caught up (read-your-writes), one command at a time."""
    with tempfile.TemporaryDirectory() as data_dir:
        system = build_system(load_settings(data_dir=Path(data_dir), database_url=database_url, secret_key="b", scheduler=False))
        try:
            for n in range(20):  # warm-up
                system.organizations.register_organization(CTX, profile(n), code(n), date(2020, 1, 1))
            return _in_slices(
                lambda n: system.organizations.register_organization(CTX, profile(20 + n), code(20 + n), date(2020, 1, 1)),
                count,
                floor,
            )
        finally:
            system.close()


def sheet_saves_per_second(database_url: str, count: int, cases: int = 20, floor: Floor | None = None) -> float:
    """Score submissions through the application: an evaluator saves the sheet of one of 20
    open cases (the case brought up to date, a DraftSaved event, the cases read model), in turn."""
    with tempfile.TemporaryDirectory() as data_dir:
        system = build_system(load_settings(data_dir=Path(data_dir), database_url=database_url, secret_key="b", scheduler=False))
        try:
            opened = [
                (case_id, CommandContext(Actor(user.id, Role.EVALUATOR), "bench"), sheet)
                for case_id, user, sheet in open_cases(system, cases)
            ]
            for case_id, ctx, sheet in opened:  # warm-up
                system.evaluations.save_draft(ctx, case_id, None, sheet)

            def save(n: int) -> None:
                case_id, ctx, sheet = opened[n % cases]
                system.evaluations.save_draft(ctx, case_id, None, sheet)

            return _in_slices(save, count, floor)
        finally:
            system.close()


SLICE = 100  # commands timed, then as many floor transactions beside them


def _in_slices(command: Callable[[int], object], count: int, floor: Floor | None) -> float:
    """Commands per second; with a floor, it runs SLICE transactions after every SLICE commands,
    so that both see the same machine (the floor moved by 5x between runs on a shared one)."""
    elapsed = 0.0
    for start in range(0, count, SLICE):
        n = min(SLICE, count - start)
        started = time.perf_counter()
        for k in range(start, start + n):
            command(k)
        elapsed += time.perf_counter() - started
        if floor is not None:
            floor.run(n)
    return count / elapsed


class Floor:
    """The raw psycopg loop of `raw_insert_floor`, run in slices beside a figure: its rate is
    what the figure's commands are compared with, measured over the same seconds."""

    def __init__(self, database_url: str) -> None:
        self.conn = psycopg.connect(database_url)
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS floor_slices (originator_id uuid NOT NULL, originator_version integer NOT NULL, "
            "topic text NOT NULL, state bytea, notification_id bigserial UNIQUE, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        self.conn.commit()
        self.ops, self.seconds = 0, 0.0

    def run(self, count: int) -> None:
        started = time.perf_counter()
        for _ in range(count):
            with self.conn.transaction():
                self.conn.execute(
                    "INSERT INTO floor_slices (originator_id, originator_version, topic, state) "
                    "VALUES (%s, 1, %s, %s), (%s, 1, %s, %s)",
                    (uuid.uuid4(), "domain.organization:Organization.Registered", _STATE, uuid.uuid4(), "claim", _STATE),
                )
        self.seconds += time.perf_counter() - started
        self.ops += count

    def rate(self) -> float:
        rate = self.ops / self.seconds if self.seconds else 0.0
        self.ops, self.seconds = 0, 0.0
        return rate

    def close(self) -> None:
        self.conn.close()


_STATE = b'{"profile":{"name":"x"},"code":"51340711MJ00000015","registered_on":"2020-01-01"}' * 3


def raw_insert_floor(database_url: str, count: int) -> float:
    """The floor: a bare psycopg loop writing the same two event rows per registration
    into an events-shaped table, one transaction each, nothing else."""
    state = b'{"profile":{"name":"x"},"code":"51340711MJ00000015","registered_on":"2020-01-01"}' * 3
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "CREATE TABLE floor_events (originator_id uuid NOT NULL, originator_version integer NOT NULL, "
            "topic text NOT NULL, state bytea, notification_id bigserial UNIQUE, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        conn.commit()
        started = time.perf_counter()
        for _ in range(count):
            with conn.transaction():
                conn.execute(
                    "INSERT INTO floor_events (originator_id, originator_version, topic, state) VALUES (%s, 1, %s, %s), (%s, 1, %s, %s)",
                    (
                        uuid.uuid4(),
                        "domain.organization:Organization.Registered",
                        state,
                        uuid.uuid4(),
                        "domain.claims:IdentifierClaim.Claimed",
                        state,
                    ),
                )
        return count / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000, help="registrations per measurement (default 2000)")
    parser.add_argument("--http-seconds", type=float, default=8.0, help="seconds per HTTP load figure (default 8)")
    parser.add_argument("--clients", default="8,32,128", help="concurrent HTTP clients, comma-separated (default 8,32,128)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes for the HTTP figures beside one, on both databases (default: the cores; 1: only one)",
    )
    parser.add_argument("--only", choices=["appends", "http", "sweep", "audit", "documents", "season"], help="run one part only")
    parser.add_argument("--season-organizations", type=int, default=10_000, help="annual-report season: organizations filing")
    parser.add_argument("--season-clients", type=int, default=64, help="annual-report season: concurrent clients (default 64)")
    parser.add_argument(
        "--sweep-sizes",
        default="10000,100000",
        help="organizations per sweep figure (default 10000,100000; 1000000 takes about an hour)",
    )
    parser.add_argument("--audit-sizes", default="100000", help="organizations in the audit population (default 100000)")
    parser.add_argument("--as-of-events", default="10,1000,10000", help="events of the one aggregate read as of an instant")
    parser.add_argument("--postgres-audit", action="store_true", help="run the audit figures on PostgreSQL too")
    parser.add_argument(
        "--register-only", action="store_true", help="audit: only the register as of a day (no single aggregate, no rebuild)"
    )
    args = parser.parse_args(argv)
    print(f"StarLedger bench · {date.today()} · {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    print(f"{args.count} registrations per figure; PostgreSQL at {urlsplit(ADMIN_URL).netloc}\n", flush=True)
    if args.only in (None, "appends"):
        _appends(args)
    if args.only in (None, "http"):
        _http(args)
    if args.only in (None, "sweep"):
        print()
        sweep_report([int(n) for n in args.sweep_sizes.split(",")], ("sqlite", "postgres"))
    if args.only in (None, "audit"):
        _audit(args)
    if args.only in (None, "documents"):
        documents_report(fresh_pg_database)
    if args.only in (None, "season"):
        season_report(args.season_organizations, args.season_clients, "postgres")
    return 0


def _audit(args: argparse.Namespace) -> None:
    sizes = [int(n) for n in args.audit_sizes.split(",")]
    events = [int(n) for n in args.as_of_events.split(",")]
    print()
    audit_report(sizes, events, register_only=args.register_only)
    if args.postgres_audit:
        print()
        audit_report(sizes, events, postgres=True, register_only=args.register_only)


def _http(args: argparse.Namespace) -> None:
    """Each database with one server process and with `--workers` (one per core: `starledger
    serve --workers N`; on SQLite their saves take turns through a lock file, writers.py)."""
    clients = [int(n) for n in args.clients.split(",")]
    counts = [1] + ([args.workers] if args.workers > 1 else [])
    runs = [(backend, workers) for backend in ("SQLite", "PostgreSQL") for workers in counts]
    for backend, workers in runs:
        url, drop = fresh_pg_database() if backend == "PostgreSQL" else ("", lambda: None)
        served = f"{workers} server processes" if workers > 1 else "one server process"
        print(
            f"\nHTTP on {backend}, {served}: {args.http_seconds:.0f} s per figure; each client saves its own case's sheet",
            flush=True,
        )
        try:
            rows = http_run(clients, args.http_seconds, url, workers)
        finally:
            drop()
        print(
            f"{'measurement':34} {'per second':>11} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'errors':>7} {'server CPU ms':>14}"
        )
        bare = 0.0
        for label, rate, p50, p99, failed, cpu in rows:
            ratio = "       -" if label.startswith("bare") else f"{rate / bare:8.0%}"
            bare = rate if label.startswith("bare") else bare
            used = "-" if cpu is None else f"{cpu:.2f}"
            print(f"{label:34} {rate:11,.0f} {p50:8.1f} {p99:8.1f} {ratio:>8} {failed:7d} {used:>14}", flush=True)


def _appends(args: argparse.Namespace) -> None:
    """Each figure against the floor measured once before them (as the README's older tables),
    and against the floor run in slices beside it (the same seconds of a shared machine)."""
    rows: list[tuple[str, float, float | None, float | None]] = []
    beside_url, drop_beside = fresh_pg_database()
    floor_beside = Floor(beside_url)
    try:
        url, drop = fresh_pg_database()
        try:
            floor = raw_insert_floor(url, args.count)
            rows.append(("floor: raw psycopg INSERT loop (PostgreSQL)", floor, None, None))
            rate = registrations_per_second(url, args.count, floor=floor_beside)
            rows.append(("registrations via application (PostgreSQL)", rate, floor, floor_beside.rate()))
        finally:
            drop()
        url, drop = fresh_pg_database()
        try:
            rate = sheet_saves_per_second(url, args.count, floor=floor_beside)
            rows.append(("score sheet saves via application (PostgreSQL)", rate, floor, floor_beside.rate()))
        finally:
            drop()
        rate = registrations_per_second("", args.count, floor=floor_beside)
        rows.append(("registrations via application (SQLite)", rate, floor, floor_beside.rate()))
        rate = sheet_saves_per_second("", args.count, floor=floor_beside)
        rows.append(("score sheet saves via application (SQLite)", rate, floor, floor_beside.rate()))
    finally:
        floor_beside.close()
        drop_beside()
    print(f"{'measurement':48} {'per second':>12} {'vs floor':>9} {'floor beside':>13} {'vs it':>7}")
    for label, rate, against, beside in rows:
        ratio = f"{rate / against:8.0%}" if against else "       -"
        side = f"{beside:13,.0f} {rate / beside:6.0%}" if beside else f"{'-':>13} {'-':>6}"
        print(f"{label:48} {rate:12,.0f} {ratio:>9} {side}")


if __name__ == "__main__":
    sys.exit(main())

"""Audit figures: state as of an instant for one aggregate with 10, 1,000 and 10,000 events
(with and without snapshots); the register as of an instant over a generated population (against
replaying each organization, the way it would be done without the intervals); verifying the
integrity chain and rebuilding a read model, against a raw SELECT of the events table."""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from application.queries.register import RegisterAsOfQuery
from bench.common import fresh_pg_database, settle
from bench.population import CTX, StepClock, generate
from domain.organization import Organization, OrganizationType, Profile
from domain.uscc import complete_code
from infra.wiring import build_system, load_settings

START = datetime(2016, 1, 4, 1, 0, tzinfo=UTC)


def _system(data_dir: str, database_url: str, snapshot_interval: int, clock: StepClock) -> Any:
    settings = load_settings(data_dir=Path(data_dir), database_url=database_url, secret_key="b", scheduler=False)
    return build_system(replace(settings, snapshot_interval=snapshot_interval), clock=clock)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def as_of_one_aggregate(events: int, snapshot_interval: int, database_url: str = "") -> tuple[float, float]:
    """p50 and p99 ms of state_at at random instants across the aggregate's life."""
    clock = StepClock(START, timedelta(minutes=7))
    with tempfile.TemporaryDirectory() as data_dir:
        system = _system(data_dir, database_url, snapshot_interval, clock)
        try:
            profile = Profile("基准聚合组织", OrganizationType.SOCIAL_ASSOCIATION, "张三", "地址0", "340711", "铜陵市郊区")
            org = Organization.register(
                id=system.ids.new_id(),
                profile=profile,
                code=complete_code("51340711MJ9999999"),
                registered_on=START.date(),
                provenance=CTX.provenance(clock.now()),
            )
            system.store.save(org)
            for n in range(1, events):
                org.change_address(f"地址{n}", CTX.provenance(clock.now()))
                if n % 100 == 0 or n == events - 1:
                    system.store.save(org)
            first, last = org.created_on, clock.current
            rng = random.Random(events)
            samples = []
            for _ in range(200):
                at = first + (last - first) * rng.random()
                started = time.perf_counter()
                system.audit.state_at(org.id, at)
                samples.append(time.perf_counter() - started)
            return _percentiles(samples)
        finally:
            system.close()


def population_figures(size: int, log_reads: bool = True, database_url: str = "") -> list[tuple[str, str]]:
    clock = StepClock(START, timedelta(seconds=10 * 365 * 86_400 / (3 * max(size, 1))))  # about ten years of history
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        system = _system(data_dir, database_url, 100, clock)
        try:
            started = time.perf_counter()
            ids = generate(system, clock, size)
            events = int(system.store.recorder.max_notification_id() or 0)
            rows.append(("generate population", f"{size:,} orgs, {events:,} events in {time.perf_counter() - started:,.0f} s"))
            settle(database_url)  # the visibility map lets index-only scans skip the rows
            rows += _register_as_of(system, ids, clock.current)
            rows += _log_reads(system, database_url, events) if log_reads else []
        finally:
            system.close()
    return rows


def _register_as_of(system: Any, ids: list[UUID], end: datetime) -> list[tuple[str, str]]:
    rng = random.Random(3)
    instants = [START + (end - START) * rng.random() for _ in range(30)]
    # both axes: in effect on a day, as known at a later instant (what an auditor asks of a correction)
    pairs = [(at, at + (end - at) * rng.random()) for at in instants]
    rows = []
    for label, filters in (
        ("page 1 of 50, by name", {}),
        ("credit status serious", {"credit_status": "serious"}),
        ("credit status abnormal", {"credit_status": "abnormal"}),
        ("credit status none", {"credit_status": "none"}),
        ("grade 5A in one district", {"grade": "5A", "district": "铜官区"}),
        ("one district", {"district": "铜官区"}),
    ):
        for axes, known in (("in effect on (known now)", False), ("in effect on, as known at", True)):
            samples = []
            for at, known_at in pairs:
                query = RegisterAsOfQuery(effective_on=at.date(), known_at=known_at if known else None, per_page=50, **filters)
                started = time.perf_counter()
                page = system.audit.register_as_of(query)
                samples.append(time.perf_counter() - started)
            p50, p99 = _percentiles(samples)
            rows.append(
                (
                    f"register {axes}: {label}",
                    f"p50 {p50:,.1f} ms  p99 {p99:,.1f} ms  (last total {'' if page.total_exact else 'more than '}{page.total:,})",
                )
            )
    sample = ids[:: max(1, len(ids) // 500)][:500]
    started = time.perf_counter()
    for org_id in sample:
        system.audit.replayed_line(org_id, end)
    per_org = (time.perf_counter() - started) / len(sample)
    rows.append(("same by replaying each org", f"{per_org * 1000:.2f} ms/org → {per_org * len(ids):,.0f} s for all {len(ids):,}"))
    return rows


def _log_reads(system: Any, database_url: str, events: int) -> list[tuple[str, str]]:
    floor = _raw_select_seconds(system, database_url)
    started = time.perf_counter()
    verification = system.integrity.verify()
    verify = time.perf_counter() - started
    assert verification.ok, verification.problem
    started = time.perf_counter()
    before, peak = _peak_rss(system.register_history.rebuild)
    rebuild = time.perf_counter() - started
    return [
        ("floor: raw SELECT of the events", f"{events / floor:12,.0f} events/s"),
        ("verify the integrity chain", f"{events / verify:12,.0f} events/s  ({floor / verify:.0%} of the floor)"),
        ("rebuild register_history", f"{events / rebuild:12,.0f} events/s  ({floor / rebuild:.0%} of the floor)"),
        ("rebuild peak RSS", f"{peak:,.0f} MiB  ({before:,.0f} MiB before it; {rebuild:,.1f} s)"),
    ]


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss(work: Any) -> tuple[float, float]:
    """The process's resident memory before `work`, and the most it reached while working (sampled every 10 ms)."""
    before, peak, done = _rss_mib(), [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], _rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        work()
    finally:
        done.set()
        sampler.join()
    return before, max(peak[0], _rss_mib())


def _raw_select_seconds(system: Any, database_url: str) -> float:
    """Every stored event row, in notification order, in batches of 500 like the readers."""
    table = system.store.recorder.events_table_name
    columns = "originator_id, originator_version, topic, state"
    started = time.perf_counter()
    if database_url:
        query = f"SELECT notification_id, {columns} FROM {table} WHERE notification_id > %s ORDER BY notification_id LIMIT 500"
        with psycopg.connect(database_url) as conn:
            _drain(lambda after: conn.execute(query, (after,)).fetchall())
    else:
        query = f"SELECT rowid, {columns} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 500"
        with sqlite3.connect(system.settings.sqlite_path) as conn:
            _drain(lambda after: conn.execute(query, (after,)).fetchall())
    return time.perf_counter() - started


def _drain(fetch: Any) -> None:
    after = 0
    while rows := fetch(after):
        after = rows[-1][0]


def report(sizes: list[int], event_counts: list[int], postgres: bool = False, register_only: bool = False) -> None:
    """Each measurement on a store of its own: a temporary SQLite file, or a fresh PostgreSQL database."""

    def run(measure: Any, *args: Any) -> Any:
        if not postgres:
            return measure(*args, "")
        url, drop = fresh_pg_database()
        try:
            return measure(*args, url)
        finally:
            drop()

    where = "PostgreSQL" if postgres else "SQLite"
    print(f"{'as-of one aggregate (' + where + ')':40} {'events':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for events in [] if register_only else event_counts:
        for interval in (0, 100):
            p50, p99 = run(as_of_one_aggregate, events, interval)
            label = "without snapshots" if interval == 0 else f"snapshot every {interval}"
            print(f"  {label:38} {events:8,d} {p50:8.2f} {p99:8.2f}", flush=True)
    for size in sizes:
        print(f"\npopulation of {size:,} organizations ({where})", flush=True)
        for label, figure in run(population_figures, size, not register_only):
            print(f"  {label:38} {figure}", flush=True)

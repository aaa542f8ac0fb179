"""A save bigger than the sockets' buffers on PostgreSQL (a sweep's chunk of 10,000 reminders is
several megabytes) is written even while another writer holds the table: psycopg's pipeline, sent
a statement that does not fit in the socket, can stop sending and wait for results the server will
never send (seen: a reminders sweep at a million organizations hung with the server in
`ClientRead`). Such saves are written without the pipeline."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from application.context import system_context
from domain.reminder import PlannedReminder, Reminder
from infra.persistence import chained
from tests.integration.test_sweep_sets import build, log, population, settings_for, sweeps
from tests.support import postgres
from tests.support.fakes import SteppingClock

SWEEP = system_context("daily-sweep", "large-save-test")


def reminders(count: int, text: str) -> list[Reminder]:
    at = SWEEP.provenance(datetime(2026, 5, 24, 9).astimezone(), effective_on=date(2026, 5, 24))
    return [
        Reminder.issue(
            PlannedReminder("inspection_due", _uuid(n), f"organization:{_uuid(n)}", "2025", "7", date(2026, 5, 31), text, text),
            (),
            at,
        )
        for n in range(count)
    ]


def _uuid(n: int) -> UUID:
    return UUID(int=(n + 1) << 64 | 0x4000_8000_0000_0000)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_save_larger_than_the_sockets_is_written_while_the_table_is_held(system, pg_url) -> None:  # type: ignore[no-untyped-def]
    big = reminders(4_000, "提醒" * 2_000)  # about 50 MB of events: far more than the sockets hold
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE starledger_events IN EXCLUSIVE MODE")  # another writer, mid-save
        done: list[object] = []
        saving = threading.Thread(target=lambda: done.append(system.store.save(*big)), daemon=True)
        saving.start()
        time.sleep(1.0)  # the save sends while the server waits for the lock and reads nothing
        holder.execute("COMMIT")
        saving.join(timeout=60)
        if saving.is_alive():  # hung: free the stuck backend so the test's database can be dropped
            holder.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        assert not saving.is_alive(), "the save hung"
    assert len(done) == 1
    with psycopg.connect(pg_url) as check:
        assert check.execute("SELECT COUNT(*) FROM starledger_events").fetchone() == (4_000,)
        assert check.execute("SELECT COUNT(*) FROM sl_reminders").fetchone() == (4_000,)
        assert check.execute("SELECT COUNT(*) FROM sl_chain").fetchone() == (4_000,)


@pytest.fixture
def pg_url_2(pg_admin_url: str) -> Iterator[str]:
    url = postgres.create_database(pg_admin_url)
    yield url
    postgres.drop_database(pg_admin_url, url)


# not read models: an instance's own leases and runs, and the document store (stored_at is the upload's time)
OWN = ("sl_sweep_chunks", "sl_sweep_runs", "sl_sweep_counts", "sl_documents")


def read_models(url: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'sl%' "
                "ORDER BY table_name"
            )
        ]
        return {n: sorted(map(tuple, conn.execute(f"SELECT * FROM {n}")), key=repr) for n in names if n not in OWN}


@pytest.mark.postgres
def test_saves_without_the_pipeline_store_what_pipelined_saves_do(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every save of a scenario with both sweeps written without the pipeline: the read models
    that read while they apply (the compliance listings, the register through time) read as
    they do in it; the same events, results and read-model rows as the pipelined run."""
    found = {}
    for pipelined, fixture in ((True, "pg_url"), (False, "pg_url_2")):
        monkeypatch.setattr(chained, "PIPELINED_BYTES", 64 * 1024 if pipelined else -1)
        clock = SteppingClock()
        system = build(settings_for("postgres", tmp_path / str(pipelined), request, fixture), clock)
        try:
            population(system, clock)
            found[pipelined] = (sweeps(system, clock), log(system), read_models(request.getfixturevalue(fixture)))
        finally:
            system.close()
    assert found[True][0][0] == {"campaigns": 1, "missed": 10, "exempt": 1}
    assert found[False][0] == found[True][0]
    assert found[False][1] == found[True][1]
    assert found[False][2].keys() == found[True][2].keys()
    for table, rows in found[True][2].items():
        assert found[False][2][table] == rows, table

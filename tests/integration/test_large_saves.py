"""A save bigger than the sockets' buffers on PostgreSQL (a sweep's chunk of 10,000 reminders is
several megabytes) is written even while another writer holds the table: psycopg's pipeline, sent
a statement that does not fit in the socket, can stop sending and wait for results the server will
never send (seen: a reminders sweep at a million organizations hung with the server in
`ClientRead`). The insert's results are fetched, which sends all of it first."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from uuid import UUID

import psycopg
import pytest

from application.context import system_context
from domain.reminder import PlannedReminder, Reminder

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


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_batch_bigger_than_the_sockets_commits_while_its_table_is_held(system, pg_url) -> None:  # type: ignore[no-untyped-def]
    """The same for a read model's batch (a catch-up sends its statements in one pipeline): its
    commit must not wait on a statement half sent."""
    with system.database.transaction(write=True) as tx:
        tx.execute("CREATE TABLE big_batch (n integer, body text)")
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE big_batch IN EXCLUSIVE MODE")

        def batch() -> None:
            with system.database.transaction(write=True, batch=True) as tx:
                for n in range(39):
                    tx.execute("INSERT INTO big_batch VALUES (?, ?)", (n, "批" * 1_000))
                tx.execute("INSERT INTO big_batch VALUES (?, ?)", (39, "批" * 15_000_000))  # 45 MB in one statement

        committing = threading.Thread(target=batch, daemon=True)
        committing.start()
        time.sleep(1.0)
        holder.execute("COMMIT")
        committing.join(timeout=60)
        if committing.is_alive():
            holder.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        assert not committing.is_alive(), "the batch hung"
        assert holder.execute("SELECT COUNT(*) FROM big_batch").fetchone() == (40,)

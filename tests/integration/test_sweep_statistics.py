"""PostgreSQL keeps the generic plan it made for a question asked many times on a connection, and a
plan made while a table was empty reads the table whole however large it grows, until the table's
statistics change. A sweep grows its tables from nothing to a row per organization, so each
finished chunk refreshes the statistics of the tables that outgrew them (infra/database.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

import infra.database
from application.context import system_context
from infra.database import PostgresDatabase, SQLiteDatabase
from infra.wiring import build_system, load_settings
from tests.integration.helpers import REGISTRAR, code, profile

pytestmark = pytest.mark.fresh_database  # these read the statistics a table has had since it was made


@pytest.fixture
def database(pg_url: str) -> Iterator[PostgresDatabase]:
    db = PostgresDatabase(pg_url, pool_size=2)
    yield db
    db.close()


def _plan(conn: psycopg.Connection[Any]) -> str:
    return " ".join(str(row[0]) for row in conn.execute("EXPLAIN EXECUTE owned_by('{a,b}')"))


def _changed_rows_known(database: PostgresDatabase, table: str, rows: int) -> None:
    """The server counts changed rows a moment after they commit: an idle backend flushes its counts
    within 10 s on PostgreSQL 15, but defers them up to 60 s while others hold the statistics' locks
    (the whole suite creating and dropping databases beside it)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with database.transaction() as tx:
            changed = tx.execute("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = ?", (table,)).scalar()
        if changed is not None and int(changed) >= rows:
            return
        time.sleep(0.2)
    pytest.fail(f"the server never counted the {rows} rows written to {table}")


@pytest.mark.postgres
def test_a_table_grown_past_its_statistics_is_analysed_and_its_cached_plans_made_again(
    database: PostgresDatabase, pg_url: str
) -> None:
    # autovacuum kept off these two: its own ANALYZE of the grown table would make the plan anew
    no_autovacuum = "WITH (autovacuum_enabled = false)"
    with database.transaction(write=True) as tx:
        tx.execute(f"CREATE TABLE sl_grown (organization_id TEXT PRIMARY KEY, owner TEXT NOT NULL) {no_autovacuum}")
        tx.execute(f"CREATE TABLE sl_still (organization_id TEXT PRIMARY KEY) {no_autovacuum}")
        tx.execute("ANALYZE sl_grown")
        tx.execute("ANALYZE sl_still")
    with psycopg.connect(pg_url, autocommit=True) as asker:  # a long-lived connection asking one question
        asker.execute("SET plan_cache_mode = force_generic_plan")
        asker.execute("PREPARE owned_by(text[]) AS SELECT owner FROM sl_grown WHERE organization_id = ANY($1)")
        assert "Seq Scan" in _plan(asker)  # planned for an empty table
        with database.transaction(write=True) as tx:
            tx.execute("INSERT INTO sl_grown SELECT 'o' || g, 'x' FROM generate_series(1, 20000) g")
            tx.execute("INSERT INTO sl_still SELECT 'o' || g FROM generate_series(1, 10) g")
        # The cached plan outlives the table's growth. Asked at once: in the minute the server may take
        # to count the rows, other sessions' catalog changes (a busy suite creating and dropping
        # databases) can overflow this backend's invalidation queue, which drops every cached plan.
        assert "Seq Scan" in _plan(asker)
        _changed_rows_known(database, "sl_grown", 20000)

        assert database.refresh_statistics() == ["sl_grown"]  # ten rows are within the slack

        assert "Seq Scan" not in _plan(asker)
        assert "sl_grown_pkey" in _plan(asker)
        assert database.refresh_statistics() == []  # until it has grown by as many rows again
    with database.transaction() as tx:
        assert tx.execute("SELECT reltuples FROM pg_class WHERE relname = 'sl_grown'").scalar() == 20000


@pytest.mark.postgres
def test_a_sweep_leaves_the_tables_it_grew_analysed(pg_url: str, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(infra.database, "STATISTICS_SLACK", 5)
    system = build_system(load_settings(data_dir=tmp_path, database_url=pg_url, scheduler=False, secret_key="t"))
    try:
        for n in range(12):
            system.organizations.register_organization(REGISTRAR, profile(f"铜陵市统计协会{n}"), code(n), date(2015, 6, 1))
        system.inspections.open_campaign(REGISTRAR, 2024, "3407")
        assert isinstance(system.database, PostgresDatabase)
        _changed_rows_known(system.database, "sl_register", 12)
        system.inspections.record_missed(system_context("daily-sweep", "statistics-test"), date(2025, 6, 1))
        with system.database.transaction() as tx:
            analysed = tx.execute(
                "SELECT c.reltuples FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
                "WHERE c.relname = 'sl_register' AND s.last_analyze IS NOT NULL"
            ).scalar()
        assert analysed == 12  # when the sweep's one chunk finished (what it wrote itself is counted a moment later)
    finally:
        system.close()


def test_sqlite_has_no_statistics_to_refresh(tmp_path: Path) -> None:
    assert SQLiteDatabase(tmp_path / "x.sqlite3").refresh_statistics() == []

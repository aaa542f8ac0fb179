"""PostgreSQL test databases used again instead of created for every test.

Creating a database and StarLedger's tables cost the server about 0.6 s of CPU a test, on the
two cores the tests share. A database a test has finished with is emptied and handed to the
next test instead, but only if its schema is exactly the one a fresh system creates (a test that
dropped, added or altered anything leaves its database to be dropped). Emptied means: every
table holds what it held right after a fresh system was built, the sequences start again from 1,
and the server's statistics counters are reset, so the next test cannot tell it from a new one."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from tests.support import postgres
from tests.support.fakes import CountingIds, CountingSeeds, CountingTokens, SteppingClock

SCHEMA = """
SELECT 'rel', c.relname, c.relkind::text, coalesce(a.attname, ''), coalesce(format_type(a.atttypid, a.atttypmod), '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = 'public'
UNION ALL
SELECT 'index', indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', c.conname, pg_get_constraintdef(c.oid), '', ''
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'function', p.proname, pg_get_function_identity_arguments(p.oid), '', ''
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
ORDER BY 1, 2, 3, 4
"""


def _schema(conn: psycopg.Connection[Any]) -> str:
    return hashlib.sha256(repr(conn.execute(SCHEMA).fetchall()).encode()).hexdigest()


@dataclass
class Fresh:
    """What a database holds right after a fresh system is built on it."""

    schema: str
    tables: list[str]
    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]  # table: its columns and rows
    sequences: list[str]

    @classmethod
    def read(cls, conn: psycopg.Connection[Any]) -> Fresh:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        rows = {}
        for table in tables:
            cursor = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
            found = cursor.fetchall()
            if found:
                rows[table] = ([c.name for c in cursor.description or []], found)
        sequences = [r[0] for r in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")]
        return cls(_schema(conn), tables, rows, sequences)

    def restore(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            for table in self.tables:
                conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            for table, (columns, rows) in self.rows.items():
                insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(table),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                )
                conn.cursor().executemany(insert, rows)
            for sequence in self.sequences:
                conn.execute("SELECT setval(%s, 1, false)", (sequence,))
        conn.execute("SELECT pg_stat_reset()")  # no counts or analyse times carried over from the last test


def build_fresh_system(url: str, folder: Path) -> None:
    """Build a system on the database, as a test would, and close it: what it leaves is 'fresh'."""
    from infra.wiring import build_system, load_settings

    settings = load_settings(data_dir=folder / "data", database_url=url, scheduler=False, secret_key="test-secret")
    build_system(settings, clock=SteppingClock(), ids=CountingIds(), tokens=CountingTokens(), seeds=CountingSeeds()).close()


@dataclass
class DatabasePool:
    """The databases of one test process."""

    admin_url: str
    idle: list[str] = field(default_factory=list)
    out: set[str] = field(default_factory=set)
    fresh: Fresh | None = None

    def take(self) -> str:
        url = self.idle.pop() if self.idle else postgres.create_database(self.admin_url)
        self.out.add(url)
        if self.fresh is None:  # once: what a fresh system leaves, to compare and restore
            with tempfile.TemporaryDirectory() as folder:
                build_fresh_system(url, Path(folder))
            with psycopg.connect(url, autocommit=True) as conn:
                self.fresh = Fresh.read(conn)
        return url

    def give_back(self, url: str) -> None:
        """Empty the database for the next test, or drop it if its schema is not a fresh one."""
        self.out.discard(url)
        assert self.fresh is not None, "set by the first take"
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                reusable = _schema(conn) == self.fresh.schema
                if reusable:
                    self.fresh.restore(conn)
        except psycopg.Error:  # a reset the server refused (pg_stat_reset needs rights, say)
            reusable = False
        if reusable:
            self.idle.append(url)
        else:
            postgres.drop_database(self.admin_url, url)

    def drop_all(self) -> None:
        """Drop the idle databases and any still handed out (a test that never gave its back)."""
        for url in [*self.idle, *self.out]:
            postgres.drop_database(self.admin_url, url)
        self.idle.clear()
        self.out.clear()

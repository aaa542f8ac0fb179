"""Our own tables (read models, accounts, idempotency) on the same database as the events,
so a read model's rows and its tracking position commit in one transaction.

SQL is written once with '?' placeholders; the PostgreSQL adapter turns them into '%s'."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

# Column types of PostgreSQL tables by name, for typing the arrays of `Tx.insert_rows`/`update_rows`
# (a table's columns keep their types across projection versions and test schemas).
_COLUMN_TYPES: dict[str, dict[str, str]] = {}
# Fewer rows than this go as a statement each: binding a command's one row as 17 arrays made
# registrations on PostgreSQL slower than one plain INSERT did.
ARRAYS_FROM = 16


class Tx:
    """One transaction: execute statements, fetch rows as dicts."""

    def __init__(self, cursor: Any, dialect: str, in_pipeline: bool = False) -> None:
        self._cursor = cursor
        self.dialect = dialect
        # In a PostgreSQL pipeline (the event store's, or a batch), a cursor per statement: a result
        # can arrive late and land on its cursor after a newer statement was queued there, and a
        # fetch would then read the older statement's result (seen: "INSERT 0 1" instead of rows).
        self._connection = cursor.connection if in_pipeline else None

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    def _fresh(self) -> None:
        if self._connection is not None:  # tuple rows, as our own cursors give (the store's give dicts)
            self._cursor = self._connection.cursor(row_factory=tuple_row)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Tx:
        self._fresh()
        self._cursor.execute(self._sql(sql), tuple(params))
        return self

    def among(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition that `column` is one of the values, and its parameters: one array on
        PostgreSQL (psycopg parsed a statement of 500 placeholders anew for each chunk of a sweep,
        in Python, while the server waited in the pipeline), a placeholder each on SQLite."""
        if self.dialect == "postgres":
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({', '.join('?' for _ in values)})", list(values)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._fresh()
            self._cursor.executemany(self._sql(sql), [tuple(r) for r in rows])

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], on_conflict: str = "") -> None:
        """Many rows in one statement. PostgreSQL gets one array per column, sent in binary and typed
        as the table's columns (`unnest`), and it works in a pipeline: `executemany` bound and sent
        each row on its own, in Python (a million reminders: a quarter of the sweep's writing).
        SQLite: `executemany`, whose loop is SQLite's own. `on_conflict`: the statement's
        `ON CONFLICT …` clause, if any (no two rows may then share a key)."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.dialect != "postgres" or len(rows) < ARRAYS_FROM:
            self.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)}) {on_conflict}", rows)
            return
        types = self._column_types(table)
        arrays = ", ".join(f"%b::{types[c]}[]" for c in columns)
        self._fresh()
        self._cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {on_conflict}",
            [list(c) for c in zip(*rows, strict=True)],
        )

    def update_rows(
        self,
        table: str,
        values: Sequence[str],
        rows: Sequence[Sequence[Any]],
        assignments: str,
        match: str,
        types: Mapping[str, str] | None = None,
    ) -> None:
        """One UPDATE per row, sent as one statement: each row gives `values` (named v.<value> in
        `assignments` and `match`, the table's own columns t.<column>); each table row is matched by
        at most one of `rows`. PostgreSQL joins the rows as arrays (`unnest`, typed as the table's
        columns of the same names, or as `types` says); SQLite runs the statement per row
        (`executemany`, UPDATE FROM a row of parameters)."""
        if not rows:
            return
        typed = {**self._column_types(table), **(types or {})} if self.dialect == "postgres" else {}
        if self.dialect != "postgres" or len(rows) < ARRAYS_FROM:
            given = ", ".join(f"?::{typed[v]} AS {v}" if typed else f"? AS {v}" for v in values)
            self.executemany(f"UPDATE {table} AS t SET {assignments} FROM (SELECT {given}) AS v WHERE {match}", rows)
            return
        arrays = ", ".join(f"%b::{typed[v]}[]" for v in values)
        self._fresh()
        self._cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM unnest({arrays}) AS v ({', '.join(values)}) WHERE {match}",
            [list(c) for c in zip(*rows, strict=True)],
        )

    def _column_types(self, table: str) -> dict[str, str]:
        """The table's column types, read once per process (a query, so a wait in a pipeline)."""
        found = _COLUMN_TYPES.get(table)
        if found is None:
            self._fresh()
            self._cursor.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (table,),
            )
            found = _COLUMN_TYPES[table] = {str(name): str(kind) for name, kind in self._cursor.fetchall()}
        return found

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Many rows into a table at once: PostgreSQL's COPY, SQLite's executemany (not in a pipeline)."""
        if self.dialect != "postgres":
            self.insert_rows(table, columns, rows)
            return
        if rows:
            with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def lease_one(
        self, table: str, keys: Sequence[str], assignments: str, candidate: str, returning: Sequence[str], params: Sequence[Any]
    ) -> dict[str, Any] | None:
        """Lease one row in one statement: `candidate` selects the keys of the first free row,
        `assignments` (with the first parameters) mark it leased. PostgreSQL locks the candidate
        and skips rows other claimers are locking (FOR UPDATE SKIP LOCKED); SQLite's writers are
        serialized (the caller's BEGIN IMMEDIATE). Either way no two claimers get one row."""
        if self.dialect == "postgres":
            joined = " AND ".join(f"t.{k} = f.{k}" for k in keys)
            sql = (
                f"UPDATE {table} t SET {assignments} FROM ({candidate} FOR UPDATE SKIP LOCKED) f "
                f"WHERE {joined} RETURNING {', '.join('t.' + c for c in returning)}"
            )
        else:
            sql = f"UPDATE {table} SET {assignments} WHERE ({', '.join(keys)}) IN ({candidate}) RETURNING {', '.join(returning)}"
        return self.execute(sql, params).one()

    def tuples(self) -> list[tuple[Any, ...]]:
        """The rows as they come, without a dict per row (a rebuild reads the log in large batches)."""
        return list(self._cursor.fetchall())  # our cursors give tuples

    def all(self) -> list[dict[str, Any]]:
        rows = self._cursor.fetchall()  # first: in a pipeline the description arrives with the rows
        names = [d[0] for d in self._cursor.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def one(self) -> dict[str, Any] | None:
        row = self._cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in self._cursor.description], row, strict=True))

    def scalar(self) -> Any:
        row = self._cursor.fetchone()
        return None if row is None else row[0]


# A page cache of 64 MiB per connection instead of 2 MiB: the register through time keeps eight
# indexes, and a sweep's saves touch pages of each all over them. A WAL of up to 20,000 pages before
# the checkpoint copies it back, instead of 1,000: hot index pages are copied once per checkpoint, not
# once per 4 MiB written. Measured at 20,000 organizations: the missed-inspection and credit sweeps
# 14-15 % faster (the checkpoint alone: 6-14 %). Durability is unchanged (synchronous stays FULL; a
# checkpoint is not a commit). The heap limit is the process's, across connections: the server's
# threads each have a connection, and 64 MiB each must not add up (SQLite recycles pages beyond it).
SQLITE_PRAGMAS = (
    "PRAGMA cache_size = -65536",
    "PRAGMA wal_autocheckpoint = 20000",
    f"PRAGMA soft_heap_limit = {256 * 1024 * 1024}",
)


def tuned(conn: sqlite3.Connection) -> None:
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)


def open_sqlite(path: Path, **kwargs: Any) -> sqlite3.Connection:
    """A connection as every one of ours is set up: autocommit (we say BEGIN), the WAL, foreign
    keys, the tuned pragmas. `kwargs` go to `sqlite3.connect` (a factory, for one)."""
    conn: sqlite3.Connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False, **kwargs)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    tuned(conn)
    return conn


class SQLiteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = open_sqlite(self.path)
        return conn

    @contextmanager
    def transaction(self, write: bool = False, batch: bool = False) -> Iterator[Tx]:
        conn = self._connection()
        cursor = conn.cursor()
        # IMMEDIATE takes the write lock up front: no upgrade deadlock between writers.
        cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield Tx(cursor, self.dialect)
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cursor.close()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def refresh_statistics(self) -> list[str]:
        """Nothing to do: SQLite plans each statement as it is prepared, with no statistics unless
        ANALYZE was run, and the sweeps' questions are planned by their indexes alone."""
        return []


STATISTICS_SLACK = 1000  # rows changed before a small table's statistics are refreshed


class PostgresDatabase:
    dialect = "postgres"

    def __init__(self, url: str, pool_size: int) -> None:
        self.url = url
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(2, pool_size),
            open=True,
            kwargs={"autocommit": False},
            timeout=5,
            check=ConnectionPool.check_connection,  # a connection broken by a server restart is replaced, not handed out
        )

    @contextmanager
    def transaction(self, write: bool = False, batch: bool = False) -> Iterator[Tx]:
        """`batch`: many statements few of which are read back (a read model catching up), sent in
        pipeline mode so each one does not wait for the server's answer to the one before."""
        with self.pool.connection() as conn:
            if not batch:
                with conn.transaction(), conn.cursor() as cursor:
                    yield Tx(cursor, self.dialect)
                return
            with conn.pipeline(), conn.transaction(), conn.cursor() as cursor:
                yield Tx(cursor, self.dialect, in_pipeline=True)

    def refresh_statistics(self) -> list[str]:
        """ANALYZE the tables of our schema that have changed by more rows than they held when last
        analysed (so log2(n) times as one grows to n rows), whatever autovacuum is set to; the
        tables analysed. Why: a sweep's questions run many times on a connection, and PostgreSQL
        keeps the generic plan it made for them while the table was small. At a million
        organizations the missed-inspection sweep read `sl_inspections` whole twice per 500
        organizations (a plan made when it was empty), until ANALYZE, which invalidates cached
        plans, let them be made again. Not the table's owner: PostgreSQL skips it with a warning."""
        with self.transaction(write=True) as tx:
            stale = [
                str(name)
                for (name,) in tx.execute(
                    "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
                    "WHERE s.schemaname = current_schema() AND s.n_mod_since_analyze > GREATEST(c.reltuples, 0) + ? "
                    "ORDER BY s.relname",
                    (STATISTICS_SLACK,),
                ).tuples()
            ]
            for name in stale:
                tx.execute(f'ANALYZE "{name}"')
        return stale

    def close(self) -> None:
        self.pool.close()


Database = SQLiteDatabase | PostgresDatabase

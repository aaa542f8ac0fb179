"""The floor of a sweep on SQLite: the statements it ran, replayed raw on a copy of the database.

While a sweep runs, every statement each SQLite connection of this process executes is recorded
with its parameters and transaction boundaries (a `sqlite3.Connection` subclass given to every
`sqlite3.connect`, the event store's included). Before the sweep the database is copied page by
page (SQLite's backup API); afterwards the recording is replayed on the copy by a bare loop, one
connection per original connection, in the recorded order. What that takes is SQLite's own work
for this sweep (the B-tree and index maintenance, the WAL, every fsync), without the Python that
decided, encoded and projected: how far the sweep is from its database, and how far the database
alone is from a target.

Only for benches: the recording holds every row the sweep wrote (about 1 GiB at 100,000
organizations missing their report), so `python -m bench.sweep --floor` is meant up to that size."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

from infra.database import open_sqlite

_connect = sqlite3.connect
Statement = tuple[int, str, str, Any]  # connection, kind ("one", "many", "commit", "rollback"), SQL, parameters


class Recording:
    """Statements recorded while `on`; `install` makes every new SQLite connection record into it."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []
        self.on = False
        self._lock = threading.Lock()

    def add(self, statement: Statement) -> None:
        if self.on:
            with self._lock:  # a sweep saves on another thread while it decides
                self.statements.append(statement)

    def install(self) -> None:
        """Every `sqlite3.connect` from here on (call before building the system) records."""
        recording = self

        class RecordingCursor(sqlite3.Cursor):
            def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
                recording.add((id(self.connection), "one", sql, parameters))
                return super().execute(sql, parameters)

            def executemany(self, sql: str, rows: Any, /) -> sqlite3.Cursor:
                rows = list(rows)  # an iterator would be consumed by the first of us
                recording.add((id(self.connection), "many", sql, rows))
                return super().executemany(sql, rows)

        class RecordingConnection(sqlite3.Connection):
            def cursor(self, factory: Any = RecordingCursor) -> Any:
                return super().cursor(factory)

            def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
                return self.cursor().execute(sql, parameters)

            def executemany(self, sql: str, rows: Any, /) -> sqlite3.Cursor:
                return self.cursor().executemany(sql, rows)

            def commit(self) -> None:
                if self.in_transaction:
                    recording.add((id(self), "commit", "", ()))
                super().commit()

            def rollback(self) -> None:
                if self.in_transaction:
                    recording.add((id(self), "rollback", "", ()))
                super().rollback()

        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            kwargs.setdefault("factory", RecordingConnection)
            connection: sqlite3.Connection = _connect(*args, **kwargs)
            return connection

        sqlite3.connect = connect  # type: ignore[assignment]

    @contextmanager
    def of(self, database: Path, copy: Path) -> Iterator[None]:
        """Copy the database as it is now, then record until the block ends."""
        copy_database(database, copy)
        self.statements, self.on = [], True
        try:
            yield
        finally:
            self.on = False


def copy_database(database: Path, copy: Path) -> None:
    source, target = _connect(database), _connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def replay(statements: list[Statement], copy: Path) -> tuple[float, float, dict[str, float]]:
    """Seconds the statements take on the copy, the CPU seconds of it (SQLite's work in this
    process; the rest is waiting on the disk), and the seconds of each kind of statement (its
    first word and table)."""
    connections: dict[int, sqlite3.Connection] = {}
    spent: defaultdict[str, float] = defaultdict(float)
    for key in dict.fromkeys(s[0] for s in statements):  # set up as the system's own, without recording
        connections[key] = open_sqlite(copy, factory=sqlite3.Connection)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        for key, kind, sql, parameters in statements:
            began = time.perf_counter()
            conn = connections[key]
            if kind == "one":
                conn.execute(sql, parameters).fetchall()
            elif kind == "many":
                conn.executemany(sql, parameters)
            elif conn.in_transaction:
                conn.execute("COMMIT" if kind == "commit" else "ROLLBACK")
            spent[_label(kind, sql)] += time.perf_counter() - began
        return time.perf_counter() - started, time.process_time() - cpu, spent
    finally:
        for conn in connections.values():
            conn.close()


def _label(kind: str, sql: str) -> str:
    if kind in ("commit", "rollback"):
        return kind.upper()
    words = sql.split()
    verb = words[0].upper() if words else "?"
    table = next((w for before, w in pairwise(words) if before.upper() in ("INTO", "FROM", "UPDATE")), "")
    return f"{verb} {table}".strip()

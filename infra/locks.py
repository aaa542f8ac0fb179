"""One sweeper, or one bulk rebuild of a read model, at a time across processes: a PostgreSQL
advisory lock, or a file lock beside the SQLite database. Idempotent sweeps make a second one
harmless anyway; the lock saves the work. Two bulk rebuilds of one read model at once would
write the same fresh tables, so the second waits for the first (`rebuilding`)."""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from infra.database import PostgresDatabase, SQLiteDatabase


class DatabaseSweepLock:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase, data_dir: Path) -> None:
        self.db = db
        self.data_dir = data_dir

    @contextmanager
    def exclusive(self, name: str, wait: bool = False) -> Iterator[bool]:
        """True once no other process holds `name`: at once, or (`wait`) however long that takes.
        Without waiting, False at once if another holds it."""
        if isinstance(self.db, PostgresDatabase):
            with self._advisory(name, wait) as held:
                yield held
        else:
            with self._file(name, wait) as held:
                yield held

    def rebuilding(self, read_model: str) -> AbstractContextManager[bool]:
        """The one turn to rebuild a read model, waited for: the start's and the CLI's."""
        return self.exclusive(f"rebuild-{read_model}", wait=True)

    @contextmanager
    def _advisory(self, name: str, wait: bool = False) -> Iterator[bool]:
        key = zlib.crc32(f"starledger:{name}".encode())
        assert isinstance(self.db, PostgresDatabase)
        with self.db.pool.connection() as conn:
            conn.autocommit = True  # a session lock, held on this connection until released
            try:
                if wait:
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                    held = True
                else:
                    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                    held = bool(row and row[0])
                try:
                    yield held
                finally:
                    if held:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            finally:
                conn.autocommit = False

    @contextmanager
    def _file(self, name: str, wait: bool = False) -> Iterator[bool]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / f"{name}.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

"""Saves from several processes on one SQLite file wait their turn on a lock file beside it.

SQLite lets one writer at a time hold its write lock. A writer that finds it held polls: SQLite's
busy handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries, whatever the holder's commit takes
(about 0.5 ms for a sheet save). Within a process the group commit already queues the saves;
between processes (`starledger serve --workers N`, a CLI beside the server) they met only at
SQLite's lock, and with two server processes the p99 of sheet saves doubled. An exclusive `flock`
on `<database>-writers` is the turn: asked for every 50 µs at first, then at most every half
millisecond, and given up after the busy timeout SQLite would have waited (the save is then
refused as SQLite would refuse it, "database is locked", which the server answers 503): a holder
that hangs holds SQLite's lock too, and nobody waits for ever. SQLite's own locks still decide
what is safe; this file only orders who asks first, so a writer without a turn (a read model's
rebuild, an older version, a process that cannot open the file) is as safe as before. The kernel
lets go of a dead process's turn. Where there is no `flock` (Windows), or for a database in
memory, a turn is free."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.persistence import OperationalError
from eventsourcing.sqlite import SQLiteConnectionPool

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("starledger")


class WritersTurn:
    def __init__(self, database: str, timeout: float) -> None:
        """`database`: the SQLite file's path, or "" (or a name in memory) for no turn; `timeout`:
        the seconds a writer waits for its turn, as for SQLite's lock."""
        self._database, self._timeout = database, timeout
        in_memory = not database or SQLiteConnectionPool.detect_memory_mode(database)
        self._path = None if in_memory or fcntl is None else f"{database}-writers"
        self._fd = -1
        self._pid = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Waits until no other holder of this file's turn is writing, for the block's length."""
        fd = self._descriptor()
        if fd < 0:
            yield
            return
        if not _taken(fd, self._timeout):
            raise OperationalError(f"database is locked: another writer held the turn ({self._path}) for {self._timeout:g} s")
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _descriptor(self) -> int:
        """The lock file, opened in the process that writes (a descriptor inherited across fork
        would share its lock); -1 for no turn."""
        if self._path is None or self._pid == os.getpid():
            return self._fd
        try:
            self._fd, self._pid = _opened(self._path, self._database), os.getpid()
        except OSError as e:  # a save must not fail for want of its turn: it waits on SQLite's lock
            log.warning("saves take no turns through %s (%s): they wait on SQLite's write lock alone", self._path, e)
            self._path, self._fd = None, -1
        return self._fd

    def close(self) -> None:
        if self._fd >= 0 and self._pid == os.getpid():
            os.close(self._fd)
        self._fd, self._pid = -1, 0


def _taken(fd: int, timeout: float) -> bool:
    """The turn within `timeout` seconds, or False. Polled without blocking (a blocking `flock`
    cannot be given up), from every 50 µs to every half millisecond: a save's transaction takes
    about that long, so a waiter follows it closely."""
    deadline, pause = time.monotonic() + timeout, 0.00005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
        time.sleep(pause)
        pause = min(pause * 2, 0.0005)


def _opened(path: str, database: str) -> int:
    """The lock file with the database's permissions and, for root, its owner, as SQLite makes
    its -wal and -shm files: a CLI run as root must not leave a file the server cannot open."""
    try:
        owner = os.stat(database)
    except FileNotFoundError:
        owner = None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600 if owner is None else owner.st_mode & 0o666)
    if owner is not None and os.geteuid() == 0:
        os.fchown(fd, owner.st_uid, owner.st_gid)
    return fd

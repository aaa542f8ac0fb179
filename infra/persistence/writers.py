"""Saves from several processes on one SQLite file wait their turn on a lock file beside it.

SQLite lets one writer at a time hold its write lock. A writer that finds it held polls: SQLite's
busy handler sleeps 1, 2, 5, 10… ms between tries, whatever the holder's commit takes (about
0.5 ms for a sheet save). Within a process the group commit already queues the saves; between
processes (`starledger serve --workers N`, a CLI beside the server) they met only at SQLite's
lock, and with two server processes the p99 of sheet saves doubled. An exclusive `flock` on
`<database>-writers` queues them in the kernel instead: the next writer wakes when the lock is
let go. SQLite's own locks still decide what is safe; this file only orders who asks first, so
a writer that does not take its turn (a read model's rebuild, an older version) is as safe as
before. The kernel lets go of a dead process's turn. Where there is no `flock` (Windows), or for
a database in memory, a turn is free."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]


class WritersTurn:
    def __init__(self, database: str) -> None:
        """`database`: the SQLite file's path, or "" (or a name in memory) for no turn."""
        in_memory = not database or ":memory:" in database or "mode=memory" in database
        self._path = None if in_memory or fcntl is None else f"{database}-writers"
        self._fd = -1
        self._pid = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Waits until no other holder of this file's turn is writing, for the block's length."""
        if self._path is None:
            yield
            return
        fd = self._descriptor()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _descriptor(self) -> int:
        # opened in the process that writes: a descriptor inherited across fork would share its lock
        if self._pid != os.getpid():
            assert self._path is not None
            self._fd, self._pid = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd

    def close(self) -> None:
        if self._fd >= 0 and self._pid == os.getpid():
            os.close(self._fd)
        self._fd, self._pid = -1, 0

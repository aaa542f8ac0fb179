"""Group commit: saves that arrive while another is being written share the next transaction.

Every save on one database is serialized anyway (PostgreSQL: the events table lock, held until
the commit's fsync; SQLite: the one writer). Under load each save used to wait its turn for a
lock held through another save's commit. Now the first save to find nobody writing becomes the
writer: it writes every save queued so far in one transaction, one lock and one commit, and
tells each its answer; the others wait for theirs. A save alone writes at once, as before.

Each save keeps its own answer: the recorder isolates them (SQLite: a savepoint each;
PostgreSQL: if the shared transaction fails, each save is written again on its own), so a
collision refuses only the save that collided."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import StoredEvent

MAX_GROUP = 64  # saves per shared transaction


@dataclass(eq=False)
class Pending:
    """One save waiting in the group: its events, and (once written) its ids or its error."""

    stored: Sequence[StoredEvent]
    kwargs: dict[str, Any]
    ids: Sequence[int] | None = None
    error: BaseException | None = None
    behind: frozenset[str] | None = None  # read models the save left to catch up (None: unknown)
    done: bool = field(default=False, repr=False)


class GroupCommit:
    def __init__(self, write: Callable[[list[Pending]], None]) -> None:
        """`write` writes a group, setting each save's ids or error (it raises only for all)."""
        self._write = write
        self._cond = threading.Condition()
        self._queue: list[Pending] = []
        self._writing = False

    def submit(self, stored: Sequence[StoredEvent], kwargs: dict[str, Any]) -> Pending:
        pending = Pending(stored, kwargs)
        with self._cond:
            self._queue.append(pending)
            while not pending.done:
                if self._writing:
                    self._cond.wait()
                    continue
                group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                self._writing = True
                self._cond.release()
                try:
                    self._write(group)
                except BaseException as e:  # the whole group failed: each save hears it
                    for p in group:
                        if p.error is None and p.ids is None:
                            p.error = e
                finally:
                    self._cond.acquire()
                    self._writing = False
                    for p in group:
                        p.done = True
                    self._cond.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending

"""Event recorders that extend the integrity chain in the same transaction as the events:
every stored event gets its link (SHA-256 over the previous link and the stored record) or
neither is stored. An event written around the application has no link, and is found."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from infra.database import Tx
from infra.integrity import GENESIS, link

_LAST = "SELECT hash FROM sl_chain ORDER BY position DESC LIMIT 1"

# Called inside the events' transaction with the notification ids and stored events:
# the read models are updated in the same commit as the events they follow.
AfterInsert = Callable[[Tx, Sequence[int], Sequence[StoredEvent]], None]


def _extend(tx: Tx, ids: Sequence[int], stored_events: Sequence[StoredEvent], after_insert: AfterInsert | None) -> None:
    """The links of the new events after the last one, then the read models."""
    previous = tx.execute(_LAST).scalar() or GENESIS
    links = []
    for notification_id, s in zip(ids, stored_events, strict=True):
        previous = link(previous, notification_id, s.originator_id, s.originator_version, s.topic, s.state)
        links.append((notification_id, previous))
    tx.executemany("INSERT INTO sl_chain (position, hash) VALUES (?, ?)", links)
    if after_insert is not None:
        after_insert(tx, ids, stored_events)


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    after_insert: AfterInsert | None = None

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            _extend(Tx(c.sqlite_cursor, "sqlite"), ids, stored_events, self.after_insert)
        return ids


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The events table is locked while events are inserted (gap-free ordering), so links are
    appended in notification order by one writer at a time."""

    after_insert: AfterInsert | None = None

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:  # inside eventsourcing's pipeline: a cursor per statement (see Tx)
            _extend(Tx(curs, "postgres", in_pipeline=True), ids, stored_events, self.after_insert)
        return ids

"""Event recorders that extend the integrity chain in the same transaction as the events:
every stored event gets its link (SHA-256 over the previous link and the stored record) or
neither is stored. An event written around the application has no link, and is found."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from infra.integrity import GENESIS, link

_LAST = "SELECT hash FROM sl_chain ORDER BY position DESC LIMIT 1"

# Called inside the events' transaction with (cursor, dialect, notification ids, stored events):
# the read models are updated in the same commit as the events they follow.
AfterInsert = Callable[[Any, str, Sequence[int], Sequence[StoredEvent]], None]


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    after_insert: AfterInsert | None = None

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            c.execute(_LAST)
            row = c.fetchone()
            previous = row[0] if row else GENESIS
            for notification_id, s in zip(ids, stored_events):
                previous = link(previous, notification_id, s.originator_id, s.originator_version, s.topic, s.state)
                c.execute("INSERT INTO sl_chain (position, hash) VALUES (?, ?)", (notification_id, previous))
            if self.after_insert is not None:
                self.after_insert(getattr(c, "sqlite_cursor", c), "sqlite", ids, stored_events)
        return ids


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The events table is locked while events are inserted (gap-free ordering), so links are
    appended in notification order by one writer at a time."""

    after_insert: AfterInsert | None = None

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            # Our own cursor: in pipeline mode a late result of the event inserts could land on
            # `curs` after our SELECT was queued there, and the fetch would read it instead.
            with curs.connection.cursor() as ours:
                ours.execute(_LAST)
                row = ours.fetchone()
                previous = row["hash"] if row else GENESIS
                links = []
                for notification_id, s in zip(ids, stored_events):
                    previous = link(previous, notification_id, s.originator_id, s.originator_version, s.topic, s.state)
                    links.append((notification_id, previous))
                ours.executemany("INSERT INTO sl_chain (position, hash) VALUES (%s, %s)", links)
            if self.after_insert is not None:
                self.after_insert(curs, "postgres", ids, stored_events)  # Tx takes a cursor per statement
        return ids

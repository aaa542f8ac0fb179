"""Event recorders that extend the integrity chain in the same transaction as the events:
every stored event gets its link (SHA-256 over the previous link and the stored record) or
neither is stored. An event written around the application has no link, and is found.

The read models follow in the same transaction too (`after_insert`), from the domain events the
command decided (passed down by the event store as `decided_events`), not from decoding what was
just encoded. On PostgreSQL a command is two round trips: the table lock, the read models'
positions, the chain's last link and the insert go in one pipeline sync; the links, the read
models' statements and the commit in the second."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import retry
from psycopg.rows import tuple_row

from infra.database import Tx
from infra.integrity import GENESIS, link

_LAST = "SELECT hash FROM sl_chain ORDER BY position DESC LIMIT 1"


class AfterInsert(Protocol):
    """Called inside the events' transaction: the read models are updated in the same commit as
    the events they follow. `events` are the domain events (None: decode `stored`); `current`
    the read models whose positions were found right before these events, their rows locked
    (None: find them)."""

    def __call__(
        self,
        tx: Tx,
        ids: Sequence[int],
        stored: Sequence[StoredEvent],
        events: Sequence[Any] | None = None,
        current: set[str] | None = None,
    ) -> None: ...


def _links(previous: str, ids: Sequence[int], stored_events: Sequence[StoredEvent]) -> list[tuple[int, str]]:
    links = []
    for notification_id, s in zip(ids, stored_events, strict=True):
        previous = link(previous, notification_id, s.originator_id, s.originator_version, s.topic, s.state)
        links.append((notification_id, previous))
    return links


def _domain_events(stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> Sequence[Any] | None:
    events: Sequence[Any] | None = kwargs.get("decided_events")
    return events if events is not None and len(events) == len(stored_events) else None


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    after_insert: AfterInsert | None = None

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            tx = Tx(c.sqlite_cursor, "sqlite")
            previous = tx.execute(_LAST).scalar() or GENESIS
            tx.executemany("INSERT INTO sl_chain (position, hash) VALUES (?, ?)", _links(previous, ids, stored_events))
            if self.after_insert is not None:
                self.after_insert(tx, ids, stored_events, _domain_events(stored_events, kwargs))
        return ids


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The events table is locked while events are inserted (gap-free ordering), so links are
    appended in notification order by one writer at a time."""

    after_insert: AfterInsert | None = None

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """eventsourcing's pipelined insert, with what the chain and the read models need read
        in the same sync as the insert (after the lock, so nobody writes events meanwhile), and
        BEGIN/COMMIT sent as statements: psycopg's transaction() inside a pipeline syncs on
        entering and on leaving (three more round trips)."""
        if not stored_events:
            return None
        with self.datastore.get_connection() as conn:  # autocommit: the transaction is ours to open
            try:
                return self._insert_in_two_round_trips(conn, stored_events, **kwargs)
            except BaseException:
                conn.rollback()  # whatever the pipeline left open (nothing if BEGIN never ran)
                raise

    def _insert_in_two_round_trips(self, conn: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        exc: Exception | None = None
        ids: Sequence[int] = []
        with conn.pipeline() as pipeline, conn.cursor() as curs:
            try:
                curs.execute("BEGIN")
                self._insert_events(curs, stored_events, **kwargs)  # eventsourcing's hook (tracking)
                self._lock_table(curs)
                self._notify_channel(curs)
                # the read models whose position is the last event stored before ours: they apply
                # ours (no event can come between: we hold the table lock), their rows locked
                current = conn.cursor(row_factory=tuple_row)
                current.execute(self._current_sql, prepare=True)
                last = conn.cursor(row_factory=tuple_row)
                last.execute(_LAST, prepare=True)
                PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events, **kwargs)
                pipeline.sync()  # round trip 1; a collision raises here
                ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs) or []
                names = {str(row[0]) for row in current.fetchall()}
                found = last.fetchone()
                tx = Tx(curs, "postgres", in_pipeline=True)
                if ids:
                    links = _links(str(found[0]) if found else GENESIS, ids, stored_events)
                    tx.executemany("INSERT INTO sl_chain (position, hash) VALUES (?, ?)", links)
                    if self.after_insert is not None:
                        self.after_insert(tx, ids, stored_events, _domain_events(stored_events, kwargs), names)
                tx.execute("COMMIT")  # round trip 2: on leaving the pipeline
            except Exception as e:  # raised after the pipeline is closed (no psycopg warning)
                exc = e
        if exc:
            raise exc
        return ids

    @property
    def _current_sql(self) -> str:
        table = self.events_table_name
        return (
            "SELECT projection FROM sl_tracking "
            f"WHERE position = (SELECT COALESCE(MAX(notification_id), 0) FROM {table}) FOR UPDATE"
        )

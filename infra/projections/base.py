"""Exactly-once projections: a batch of events and the tracking position commit in one
transaction; the position row is locked so several processes never apply an event twice."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from application.ports import Progress
from infra.database import PostgresDatabase, SQLiteDatabase, Tx

BATCH = 500
Handler = Callable[[Tx, Any], None]


def utc(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO text, so they sort as text on both databases."""
    return moment.astimezone(timezone.utc).isoformat()


def update_row(tx: Tx, table: str, event: Any, **columns: Any) -> None:
    """Set columns of the event's aggregate row, with its version and the event's time."""
    columns.update(version=event.originator_version, updated_at=utc(event.timestamp))
    assignments = ", ".join(f"{c} = ?" for c in columns)
    tx.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*columns.values(), str(event.originator_id)))


def paged(
    db: SQLiteDatabase | PostgresDatabase, select: str, source: str, params: list[Any], order: str,
    page: int, per_page: int, largest: int,
) -> tuple[list[dict[str, Any]], int, int, int]:
    """One page of rows and the total: (rows, total, page, per_page), with page and size clamped."""
    per_page, page = max(1, min(per_page, largest)), max(1, page)
    with db.transaction() as tx:
        total = int(tx.execute(f"SELECT COUNT(*) FROM {source}", params).scalar())
        rows = tx.execute(f"SELECT {select} FROM {source} ORDER BY {order} LIMIT ? OFFSET ?",
                          (*params, per_page, (page - 1) * per_page)).all()
    return rows, total, page, per_page


class Projection(ABC):
    name: str = ""
    tables: tuple[str, ...] = ()
    topic_prefixes: tuple[str, ...] = ()  # the aggregates whose events this projection reads

    def __init__(
        self, app: Application[UUID], db: SQLiteDatabase | PostgresDatabase, reads: Projection | None = None
    ) -> None:
        self.app = app
        self.db = db
        self.reads = reads  # a read model this one's handlers or queries join: caught up first
        self._lock = threading.Lock()
        self.handlers: dict[str, Handler] = self.define_handlers()
        with db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO sl_tracking (projection, position) VALUES (?, 0) ON CONFLICT (projection) DO NOTHING",
                (self.name,),
            )

    @abstractmethod
    def define_handlers(self) -> dict[str, Handler]:
        """Each projection says which events it applies, and how: by event class name, or by
        qualified name ("CreditRecord.Opened") where several aggregates use the same name."""

    def position(self) -> int:
        with self.db.transaction() as tx:
            value = tx.execute("SELECT position FROM sl_tracking WHERE projection = ?", (self.name,)).scalar()
        return int(value or 0)

    def notice(self, recordings: list[Any]) -> None:
        """After a save: catch up now if it recorded events this projection reads (read-your-writes);
        otherwise the periodic catch-up moves the position past them later."""
        if any(get_topic(type(r.domain_event)).startswith(self.topic_prefixes) for r in recordings):
            self.catch_up()

    def catch_up(self, progress: Progress | None = None) -> int:
        if self.reads is not None:
            self.reads.catch_up()
        processed = 0
        total = int(self.app.recorder.max_notification_id() or 0) if progress else 0
        with self._lock:
            while True:
                count, last, full = self._process_batch()
                processed += count
                if progress and last:
                    progress(last, total)
                if not full:  # a short batch reached the head of the log
                    return processed

    def _process_batch(self) -> tuple[int, int, bool]:
        """Read the next batch first, then apply it under the locked position. Reading while
        holding our write lock could wait on a pooled connection whose owner waits on that lock."""
        start = self.position()
        notifications = self.app.recorder.select_notifications(start=start + 1, limit=BATCH)
        if not notifications:
            return 0, 0, False
        with self.db.transaction(write=True) as tx:
            lock = " FOR UPDATE" if tx.dialect == "postgres" else ""
            position = int(tx.execute(f"SELECT position FROM sl_tracking WHERE projection = ?{lock}", (self.name,)).scalar())
            if position != start:  # another process applied some of these meanwhile: read again
                return 0, position, True
            count = 0
            for notification in notifications:
                if notification.topic.startswith(self.topic_prefixes):
                    event = self.app.mapper.to_domain_event(notification)
                    handler = self.handlers.get(type(event).__qualname__) or self.handlers.get(type(event).__name__)
                    if handler is not None:
                        handler(tx, event)
                        count += 1
            last = notifications[-1].id
            tx.execute("UPDATE sl_tracking SET position = ? WHERE projection = ?", (last, self.name))
            return count, last, len(notifications) == BATCH

    def rebuild(self, progress: Progress | None = None) -> int:
        """Forget the rows and the position, then process the whole log again."""
        with self._lock, self.db.transaction(write=True) as tx:
            for table in self.tables:
                tx.execute(f"DELETE FROM {table}")
            tx.execute("UPDATE sl_tracking SET position = 0 WHERE projection = ?", (self.name,))
        return self.catch_up(progress)

"""Exactly-once projections: a batch of events and the tracking position commit in one
transaction; the position row is locked so several processes never apply an event twice."""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic, resolve_topic

from application.ports import Progress
from infra.database import PostgresDatabase, SQLiteDatabase, Tx

BATCH = 500  # events per transaction while catching up: short write locks next to live commands
REBUILD_BATCH = 5000  # while rebuilding: a commit (an fsync) per 500 events was half the time
BULK_READ = 20_000  # events read (and rows written, in one transaction) at a time by a bulk rebuild
# A bulk read model starting over (new, or outdated by a new version) on a log this long is rebuilt
# in bulk rather than caught up event by event: at 100,000 organizations, 9 s against 19-20 s (SQLite).
BULK_START_FROM = 20_000
REBUILT = "_rebuild"  # a bulk rebuild builds `<table>_rebuild`, then swaps it in
_INDEX = re.compile(r"^(CREATE (?:UNIQUE )?INDEX IF NOT EXISTS )(\w+)( ON )(\w+)(.*)$", re.DOTALL)
Handler = Callable[[Tx, Any], object]  # what a handler returns is ignored (lambdas may return the cursor)
P = TypeVar("P", bound="Projection")
H = TypeVar("H")


def utc(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO text, so they sort as text on both databases."""
    return moment.astimezone(UTC).isoformat()


def update_row(tx: Tx, table: str, event: Any, **columns: Any) -> None:
    """Set columns of the event's aggregate row, with its version and the event's time."""
    columns.update(version=event.originator_version, updated_at=utc(event.timestamp))
    assignments = ", ".join(f"{c} = ?" for c in columns)
    tx.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*columns.values(), str(event.originator_id)))


READ_AHEAD = 500  # ids per query when an apply reads ahead what its events change


def in_slices(ids: Sequence[str], size: int = READ_AHEAD) -> list[Sequence[str]]:
    """The ids a query's `IN (…)` at a time (SQLite's limit on parameters is far above)."""
    return [ids[k : k + size] for k in range(0, len(ids), size)]


def rows_for_ids(db: SQLiteDatabase | PostgresDatabase, select: str, ids: Sequence[UUID] | Sequence[str]) -> list[dict[str, Any]]:
    """The rows of `select … WHERE column` whose column is one of the ids, in one query (none for
    no ids). PostgreSQL gets one array, not a parameter per id: psycopg parsed a query of 10,000
    placeholders anew each time (it caches only short ones), 15 % of the reminders sweep's planning."""
    if not ids:
        return []
    head, column = select.rsplit(" ", 1)
    with db.transaction() as tx:
        condition, params = tx.among(column, [str(i) for i in ids])
        return tx.execute(f"{head} {condition}", params).all()


def paged(
    db: SQLiteDatabase | PostgresDatabase,
    select: str,
    source: str,
    params: list[Any],
    order: str,
    page: int,
    per_page: int,
    largest: int,
) -> tuple[list[dict[str, Any]], int, int, int]:
    """One page of rows and the total: (rows, total, page, per_page), with page and size clamped."""
    per_page, page = max(1, min(per_page, largest)), max(1, page)
    with db.transaction() as tx:
        total = int(tx.execute(f"SELECT COUNT(*) FROM {source}", params).scalar())
        rows = tx.execute(
            f"SELECT {select} FROM {source} ORDER BY {order} LIMIT ? OFFSET ?", (*params, per_page, (page - 1) * per_page)
        ).all()
    return rows, total, page, per_page


class Buffer(Protocol):
    """Where a bulk rebuild's handlers write: rows held or queued in memory, written in bulk."""

    def start(self, tx: Tx, suffix: str) -> None: ...  # a batch's transaction; the tables are `<table><suffix>`
    def flush(self, everything: bool = False) -> None: ...  # write what is queued (everything: at the end)


class Projection(ABC):
    """A read model declares itself: its name, the version of its tables, the tables with their
    columns and indexes, the read models it reads, and the aggregates whose events it applies.
    infra/read_models.py lists them; that list creates, versions, wires and orders them all."""

    name: ClassVar[str] = ""
    # Bump when the tables change: an outdated read model is dropped and rebuilt from the events.
    version: ClassVar[int] = 0
    tables: ClassVar[dict[str, str]] = {}  # table -> the body of its CREATE TABLE (the same on both databases)
    indexes: ClassVar[tuple[str, ...]] = ()  # CREATE INDEX statements
    # Tables SQLite keeps as one B-tree in their primary key's order (WITHOUT ROWID): a sweep walking
    # them by key reads pages in order, and a lookup by key is one search, not the key's index and
    # then the row's page (a register keyed by random ids put every row of a window on a page of its own).
    clustered: ClassVar[frozenset[str]] = frozenset()
    # Read models whose tables this one's handlers or queries join: built, caught up and applied before it.
    reads: ClassVar[tuple[type[Projection], ...]] = ()
    topic_prefixes: ClassVar[tuple[str, ...]] = ()  # the aggregates whose events this projection reads

    def __init__(
        self, app: Application[UUID], db: SQLiteDatabase | PostgresDatabase, upstream: Sequence[Projection] = ()
    ) -> None:
        self.app = app
        self.db = db
        self.upstream = tuple(upstream)  # the instances of `reads`, caught up first
        self._lock = threading.Lock()
        self.handlers: dict[str, Handler] = self.define_handlers()
        self._handler_by_type: dict[int, tuple[dict[str, Any], dict[type, Any]]] = {}  # see `handled`
        with db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO sl_tracking (projection, position) VALUES (?, 0) ON CONFLICT (projection) DO NOTHING",
                (self.name,),
            )

    @classmethod
    def statements(cls, dialect: str) -> list[str]:
        """The DDL of the tables and indexes, idempotent."""
        created = [f"CREATE TABLE IF NOT EXISTS {cls.table_ddl(table, table, dialect)}" for table in cls.tables]
        return created + list(cls.indexes)

    @classmethod
    def table_ddl(cls, table: str, name: str, dialect: str) -> str:
        """`name (columns)` for one of the tables, clustered on SQLite if it is one of those."""
        clustered = " WITHOUT ROWID" if dialect == "sqlite" and table in cls.clustered else ""
        return f"{name} ({cls.tables[table]}){clustered}"

    @abstractmethod
    def define_handlers(self) -> dict[str, Handler]:
        """Each projection says which events it applies, and how: by event class name, or by
        qualified name ("CreditRecord.Opened") where several aggregates use the same name."""

    def position(self) -> int:
        with self.db.transaction() as tx:
            value = tx.execute("SELECT position FROM sl_tracking WHERE projection = ?", (self.name,)).scalar()
        return int(value or 0)

    def reads_any(self, recordings: list[Any]) -> bool:
        return any(get_topic(type(r.domain_event)).startswith(self.topic_prefixes) for r in recordings)

    def apply(self, tx: Tx, events: list[Any]) -> int:
        """Apply the events this projection reads, in order; returns how many it applied."""
        handled = self.handled(events, self.handlers)
        for handler, event in handled:
            handler(tx, event)
        return len(handled)

    def handled(self, events: list[Any], handlers: dict[str, H]) -> list[tuple[H, Any]]:
        """The events this projection reads, in order, each with its handler in `handlers`: by
        qualified name first ("CreditRecord.Opened"), then by name."""
        # each projection's handler dicts are built once: the handler of each event class is remembered
        by_type: dict[type, Any] = self._handler_by_type.setdefault(id(handlers), (handlers, {}))[1]
        found = []
        for event in events:
            kind = type(event)
            try:
                handler = by_type[kind]
            except KeyError:
                handler = by_type[kind] = self._handler_of(kind, handlers)
            if handler is not None:
                found.append((handler, event))
        return found

    def _handler_of(self, kind: type, handlers: dict[str, H]) -> H | None:
        handler = handlers.get(kind.__qualname__) or handlers.get(kind.__name__)
        return handler if handler is not None and get_topic(kind).startswith(self.topic_prefixes) else None

    def catch_up(self, progress: Progress | None = None, batch: int = BATCH) -> int:
        for upstream in self.upstream:
            upstream.catch_up()
        processed = 0
        total = int(self.app.recorder.max_notification_id() or 0) if progress else 0
        with self._lock:
            while True:
                count, last, full = self._process_batch(batch)
                processed += count
                if progress and last:
                    progress(last, total)
                if not full:  # a short batch reached the head of the log
                    return processed

    def _process_batch(self, batch: int) -> tuple[int, int, bool]:
        """Read the next batch first, then apply it under the locked position. Reading while
        holding our write lock could wait on a pooled connection whose owner waits on that lock."""
        start = self.position()
        notifications = self.app.recorder.select_notifications(start=start + 1, limit=batch)
        if not notifications:
            return 0, 0, False
        with self.db.transaction(write=True, batch=True) as tx:
            lock = " FOR UPDATE" if tx.dialect == "postgres" else ""
            position = int(tx.execute(f"SELECT position FROM sl_tracking WHERE projection = ?{lock}", (self.name,)).scalar())
            if position != start:  # another process applied some of these meanwhile: read again
                return 0, position, True
            ours = [self.app.mapper.to_domain_event(n) for n in notifications if n.topic.startswith(self.topic_prefixes)]
            count = self.apply(tx, ours)
            last = notifications[-1].id
            tx.execute("UPDATE sl_tracking SET position = ? WHERE projection = ?", (last, self.name))
            return count, last, len(notifications) == batch

    def rebuild(self, progress: Progress | None = None) -> int:
        """Forget the rows and the position, then process the whole log again."""
        with self._lock, self.db.transaction(write=True) as tx:
            for table in self.tables:
                tx.execute(f"DELETE FROM {table}")
            tx.execute("UPDATE sl_tracking SET position = 0 WHERE projection = ?", (self.name,))
        return self.catch_up(progress, REBUILD_BATCH)


class BulkProjection(Projection):
    """A read model whose handlers can also write to a Buffer: rebuilt in bulk (see `rebuild_in_bulk`)."""

    @abstractmethod
    def changes(self) -> dict[str, Callable[[Any, Any], None]]:
        """The handlers, against a Buffer instead of a transaction (by the names `define_handlers` uses)."""

    def handled_topics(self) -> dict[str, Callable[[Any, Any], None]]:
        """The topics of the events a handler applies, each with its change: the aggregates named by
        `topic_prefixes` and their event classes, looked up as `apply` looks them up."""
        changes, found = self.changes(), {}
        for prefix in self.topic_prefixes:
            aggregate = resolve_topic(prefix.rstrip("."))
            for value in vars(aggregate).values():
                if isinstance(value, type) and issubclass(value, DomainEvent):
                    change = changes.get(value.__qualname__) or changes.get(value.__name__)
                    topic = get_topic(value)
                    if change is not None and topic.startswith(prefix):
                        found[topic] = change
        return found

    def starts_over(self) -> bool:
        """Nothing applied yet, and a log long enough to be worth a bulk rebuild (`BULK_START_FROM`)."""
        return self.position() == 0 and int(self.app.recorder.max_notification_id() or 0) >= BULK_START_FROM

    def rebuild_in_bulk(self, buffer: Buffer, wanted: frozenset[str], progress: Progress | None = None) -> int:
        """Read the log in large batches (only the topics handled; only the `wanted` fields
        decoded), fold it through the handlers into `buffer`, which writes fresh tables in bulk;
        index them, then in one transaction swap them in and set the position to the last event
        read. The old tables answer queries and follow live commands meanwhile; what was
        committed after the read is applied by the catch-up at the end."""
        by_topic = self.handled_topics()
        topics = list(by_topic)
        postgres = self.db.dialect == "postgres"
        table, id_column = self.app.recorder.events_table_name, ("notification_id" if postgres else "rowid")  # type: ignore[attr-defined]
        originator = "originator_id::text" if postgres else "originator_id"  # no UUID object per event
        select = (
            f"SELECT {id_column}, {originator}, originator_version, topic, state FROM {table} WHERE {id_column} > ? "
            f"AND {id_column} <= ? AND topic IN ({', '.join('?' for _ in topics)}) ORDER BY {id_column} LIMIT ?"
        )
        decoders = {topic: self.app.mapper.view_decoder(topic, wanted) for topic in topics}  # type: ignore[attr-defined]
        with self._lock:
            with self.db.transaction(write=True) as tx:
                for name in self.tables:
                    tx.execute(f"DROP TABLE IF EXISTS {name}{REBUILT}")
                    tx.execute(f"CREATE TABLE {self.table_ddl(name, name + REBUILT, tx.dialect)}")
            head = int(self.app.recorder.max_notification_id() or 0)

            def read(after: int) -> list[tuple[Any, ...]]:
                with self.db.transaction() as tx:
                    return tx.execute(select, (after, head, *topics, BULK_READ)).tuples() if topics else []

            applied, last, after = 0, False, 0
            # PostgreSQL: the next batch is read on a thread of its own while this one is folded and
            # written, the server working on the read while Python decodes (two batches held at most;
            # 7–11 % faster at a million). SQLite reads inside this process, under the GIL: not tried there.
            with ThreadPoolExecutor(1, thread_name_prefix="rebuild-read") as reader:
                ahead = reader.submit(read, 0) if postgres else None
                while not last:
                    rows = ahead.result() if ahead else read(after)
                    last = len(rows) < BULK_READ
                    after = head if last else rows[-1][0]
                    if postgres and not last:
                        ahead = reader.submit(read, after)
                    with self.db.transaction(write=True) as tx:
                        buffer.start(tx, REBUILT)
                        for _, originator_id, version, topic, state in rows:
                            by_topic[topic](buffer, decoders[topic](state, _uuid_text(originator_id), version))
                        buffer.flush(everything=last)
                    applied += len(rows)
                    if progress and after:
                        progress(after, head)
            self._swap_in(head)
        return applied + self.catch_up(progress, REBUILD_BATCH)

    def _swap_in(self, position: int) -> None:
        """PostgreSQL: indexed under temporary names first, then renamed in the swap. SQLite cannot
        rename an index: they are built in the swap's transaction (readers keep their snapshot)."""
        postgres = self.db.dialect == "postgres"
        indexes = [m for m in (_INDEX.match(s) for s in self.statements(self.db.dialect)) if m]
        if postgres:
            with self.db.transaction(write=True) as tx:
                for m in indexes:
                    tx.execute(f"{m[1]}{m[2]}{REBUILT}{m[3]}{m[4]}{REBUILT}{m[5]}")
        with self.db.transaction(write=True) as tx:
            lock = " FOR UPDATE" if postgres else ""  # after any live command applying to the old tables
            tx.execute(f"SELECT position FROM sl_tracking WHERE projection = ?{lock}", (self.name,))
            for name in self.tables:
                tx.execute(f"DROP TABLE IF EXISTS {name}")
                tx.execute(f"ALTER TABLE {name}{REBUILT} RENAME TO {name}")
                if postgres:
                    tx.execute(f"ALTER INDEX IF EXISTS {name}{REBUILT}_pkey RENAME TO {name}_pkey")
            for m in indexes:
                tx.execute(f"ALTER INDEX {m[2]}{REBUILT} RENAME TO {m[2]}" if postgres else m[0])
            tx.execute("UPDATE sl_tracking SET position = ? WHERE projection = ?", (position, self.name))


def _uuid_text(value: Any) -> str:
    """An originator id as the handlers see it, str(UUID): SQLite stores 32 hex digits, PostgreSQL a uuid (read as text)."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


class ReadModels:
    """Keeps every read model current in the same transaction as the events it follows: the
    event store calls `apply_saved` after inserting a command's events (see persistence/chained.py),
    each read model whose position is right before them applies them, and every position moves
    past them, interested or not. So a committed command is in its read models, a crash leaves
    none half-applied, and a command costs one commit, not one per read model. A read model that
    is behind (being rebuilt, or events written by an older process) is left to catch up from
    the log after the save."""

    def __init__(self, app: Application[UUID], db: SQLiteDatabase | PostgresDatabase, kinds: Sequence[type[Projection]]) -> None:
        """Builds one projection of each kind, in the order given: a read model after those it reads."""
        self.app = app
        self._built: dict[type[Projection], Projection] = {}
        for kind in kinds:
            early = [r.name for r in kind.reads if r not in self._built]
            if early:
                raise ValueError(f"read model {kind.name} is listed before {', '.join(early)}, which it reads")
            self._built[kind] = kind(app, db, [self._built[r] for r in kind.reads])
        self.projections = list(self._built.values())
        self._behind = threading.local()  # set inside the events' transaction, read after the save

    def get(self, kind: type[P]) -> P:
        return cast(P, self._built[kind])

    def apply_saved(
        self,
        tx: Tx,
        ids: Sequence[int],
        stored: Sequence[Any],
        events: Sequence[Any] | None,
        current: set[str],
    ) -> frozenset[str]:
        """Returns the names of the read models left behind (they catch up after the commit,
        see `remember_behind` and `notice`). `events`: the domain events as the command decided them (else `stored` is decoded).
        `current`: the read models whose positions the recorder found at the last event before
        these, in the statement that also reads the chain's last link (SQLite: the save holds the
        database's write lock; PostgreSQL: their rows locked, in the insert's round trip)."""
        first, last = ids[0], ids[-1]
        if last - first + 1 != len(ids):  # not one contiguous run: leave it to the catch-up
            return frozenset(p.name for p in self.projections)
        decided = list(events) if events is not None else [self.app.mapper.to_domain_event(s) for s in stored]
        behind: list[Projection] = []
        applied: list[str] = []
        for projection in self.projections:
            if projection.name in current and not any(u in behind for u in projection.upstream):
                projection.apply(tx, decided)
                applied.append(projection.name)
            else:  # behind, or what it reads is behind: it stays where it is, and catches up
                behind.append(projection)
        if applied:
            marks = ", ".join("?" for _ in applied)
            tx.execute(f"UPDATE sl_tracking SET position = ? WHERE projection IN ({marks})", (last, *applied))
        return frozenset(p.name for p in behind)

    def remember_behind(self, names: frozenset[str] | None) -> None:
        """In the saving thread, once its events are committed: what `notice` catches up (None: unknown, all)."""
        self._behind.projections = None if names is None else [p for p in self.projections if p.name in names]

    def notice(self, recordings: list[Any]) -> None:
        """After the save: a read model that was behind catches up now if the save concerned it."""
        behind, self._behind.projections = getattr(self._behind, "projections", None), None
        for projection in self.projections if behind is None else behind:
            if projection.reads_any(recordings):
                projection.catch_up()

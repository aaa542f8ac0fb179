"""Event recorders that extend the integrity chain in the same transaction as the events:
every stored event gets its link (SHA-256 over the previous link and the stored record) or
neither is stored. An event written around the application has no link, and is found.

The read models follow in the same transaction too (`after_insert`), from the domain events the
command decided (passed down by the event store as `decided_events`), not from decoding what was
just encoded. Saves that arrive together share one transaction (group_commit.py). On PostgreSQL
a transaction is two round trips: the table lock, the read models' positions, the chain's last
link and the insert go in the first (their results fetched); the links, the read models' statements and the
commit in the second."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLITE3_DEFAULT_LOCK_TIMEOUT, SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from infra.database import Tx, tuned
from infra.integrity import GENESIS, link
from infra.persistence.group_commit import GroupCommit, Pending
from infra.persistence.writers import WritersTurn

_LAST = "SELECT hash FROM sl_chain ORDER BY position DESC LIMIT 1"
# SQLite: the chain's last link and the read models at the position right before a save's events,
# in one statement and one row (two statements and a row per read model cost a GIL handoff each)
_LAST_AND_CURRENT = f"SELECT ({_LAST}), (SELECT group_concat(projection, ' ') FROM sl_tracking WHERE position = ?)"
_CHAIN = "INSERT INTO sl_chain (position, hash) VALUES (?, ?)"
# one statement, whatever the number of links (a VALUES list of 10,000 was parsed anew by psycopg each time)
_CHAIN_ARRAYS = "INSERT INTO sl_chain (position, hash) SELECT * FROM unnest(%b::bigint[], %b::text[])"


class AfterInsert(Protocol):
    """Called inside the events' transaction: the read models are updated in the same commit as
    the events they follow. `events` are the domain events (None: decode `stored`); `current`
    the read models whose positions the recorder found right before these events. Returns the
    names of the read models left behind (to catch up)."""

    def __call__(
        self,
        tx: Tx,
        ids: Sequence[int],
        stored: Sequence[StoredEvent],
        events: Sequence[Any] | None,
        current: set[str],
    ) -> frozenset[str]: ...


# Called in the saving thread once its events are committed, with what after_insert returned.
AfterCommit = Callable[[frozenset[str] | None], None]


def _links(previous: str, ids: Sequence[int], stored_events: Sequence[StoredEvent]) -> list[tuple[int, str]]:
    links = []
    for notification_id, s in zip(ids, stored_events, strict=True):
        previous = link(previous, notification_id, s.originator_id, s.originator_version, s.topic, s.state)
        links.append((notification_id, previous))
    return links


def _decided(pending: Pending) -> Sequence[Any] | None:
    events: Sequence[Any] | None = pending.kwargs.get("decided_events")
    return events if events is not None and len(events) == len(pending.stored) else None


_LATEST = (
    "WITH s AS (SELECT originator_version, topic, state FROM {snapshots} WHERE originator_id = {id} "
    "ORDER BY originator_version DESC LIMIT 1) "
    "SELECT 1 AS snapshot, originator_version, topic, state FROM s UNION ALL "
    "SELECT 0, originator_version, topic, state FROM {events} WHERE originator_id = {id} "
    "AND originator_version > COALESCE((SELECT originator_version FROM s), 0) ORDER BY 1 DESC, 2"
)


def _stored(originator_id: Any, rows: Sequence[Any]) -> list[StoredEvent]:
    """The snapshot first, if any (a snapshot is mapped and applied as an event that creates its state)."""
    return [StoredEvent(originator_id, r[1], r[2], bytes(r[3])) for r in rows]


class _Grouped:
    """What both recorders share: saves go through the group commit; the saving thread hears
    which read models were left behind."""

    after_insert: AfterInsert | None = None
    after_commit: AfterCommit | None = None
    _group: GroupCommit

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None:  # a process application's tracking record: not ours
            raise NotImplementedError("the chained recorders record no tracking")
        if not stored_events:
            return None
        pending = self._group.submit(stored_events, kwargs)
        if self.after_commit is not None:
            self.after_commit(pending.behind)
        return pending.ids

    def _read_models(self, tx: Tx, ids: Sequence[int], pending: Pending, current: set[str]) -> frozenset[str] | None:
        if self.after_insert is None:
            return None
        return self.after_insert(tx, ids, pending.stored, _decided(pending), current)


def _translated(e: Exception) -> Exception:
    """sqlite3's errors as eventsourcing's, as its transaction would have raised them."""
    if isinstance(e, sqlite3.IntegrityError):
        return IntegrityError(e)
    if isinstance(e, sqlite3.OperationalError):
        return OperationalError(e)
    return e


def reads_alone(datastore: SQLiteDatastore) -> None:
    """A read is one statement, which SQLite runs in a read transaction of its own: no BEGIN and
    ROLLBACK around it. eventsourcing wraps every read in both, three calls into SQLite where one
    does, and each call releases and retakes the GIL (under HTTP load, a handoff between threads).
    Every read through the datastore's `transaction(commit=False)` is a single statement (ours in
    this module and bulk_reads.py, eventsourcing's). Writes are as they were."""
    transaction = datastore.transaction

    @contextmanager
    def alone_when_reading(*, commit: bool) -> Iterator[SQLiteCursor]:
        if commit:
            with transaction(commit=True) as c:
                yield c
            return
        with datastore.get_connection(commit=False) as conn:
            cursor = conn.cursor()
            with cursor:  # closes it
                try:
                    yield cursor
                except sqlite3.Error as e:  # as eventsourcing's transaction would have raised it
                    raise _translated(e) from e

    datastore.transaction = alone_when_reading  # type: ignore[method-assign]


class ChainedSQLiteApplicationRecorder(_Grouped, SQLiteApplicationRecorder):
    def select_latest(self, originator_id: Any, snapshots: str) -> list[StoredEvent]:
        """An aggregate's last snapshot and the events after it, in one statement (see
        application/aggregate_cache.py)."""
        statement = _LATEST.format(snapshots=snapshots, events=self.events_table_name, id=":id")
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, {"id": originator_id.hex if isinstance(originator_id, UUID) else originator_id})
            return _stored(originator_id, c.fetchall())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._group = GroupCommit(self._write_group)
        pool = self.datastore.pool
        create = pool._create_connection

        def create_tuned() -> Any:  # the pool's connections get our own connections' settings
            connection = create()
            tuned(connection._sqlite_conn)
            return connection

        pool._create_connection = create_tuned  # type: ignore[method-assign]
        reads_alone(self.datastore)
        self._writers = WritersTurn(pool.db_name, pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT)
        close = self.datastore.close

        def close_both() -> None:
            self._writers.close()
            close()

        self.datastore.close = close_both  # type: ignore[method-assign]

    def _write_group(self, group: list[Pending]) -> None:
        """One transaction, one commit; a savepoint per save when there are several, so one
        that collides is rolled back alone. Other processes' groups wait their turn (writers.py)."""
        answers: list[tuple[Sequence[int] | None, frozenset[str] | None, BaseException | None]] = []
        with self._writers.turn(), self.datastore.transaction(commit=True) as c:
            for pending in group:
                if len(group) == 1:
                    answers.append((*self._write_one(c, pending), None))
                    continue
                c.execute("SAVEPOINT save")
                try:
                    answers.append((*self._write_one(c, pending), None))
                except Exception as e:
                    c.execute("ROLLBACK TO save")
                    answers.append((None, None, _translated(e)))
                c.execute("RELEASE save")
        for pending, (ids, behind, error) in zip(group, answers, strict=True):  # committed
            pending.ids, pending.behind, pending.error = ids, behind, error

    def _write_one(self, c: Any, pending: Pending) -> tuple[Sequence[int] | None, frozenset[str] | None]:
        stored = pending.stored
        ids = self._inserted(c, stored) if len(stored) > 1 else SQLiteApplicationRecorder._insert_events(self, c, stored)
        if not ids:
            return ids, None
        tx = Tx(c.sqlite_cursor, "sqlite")
        ((previous, positioned),) = tx.execute(_LAST_AND_CURRENT, (ids[0] - 1,)).tuples()
        tx.executemany(_CHAIN, _links(previous or GENESIS, ids, stored))
        return ids, self._read_models(tx, ids, pending, set(positioned.split()) if positioned else set())

    def _inserted(self, c: Any, stored: Sequence[StoredEvent]) -> list[int]:
        """Several events in one `executemany` (eventsourcing runs one statement each, a sweep's
        chunk thousands). Their notification ids are the rowids SQLite gave them: each one more
        than the largest in the table, so consecutive, this transaction holding the only write lock."""
        rows = [(_hex(s.originator_id), s.originator_version, s.topic, s.state) for s in stored]
        raw = c.sqlite_cursor
        raw.executemany(self.insert_events_statement, rows)
        ((last,),) = raw.execute("SELECT last_insert_rowid()").fetchall()
        return list(range(last - len(rows) + 1, last + 1))


def _hex(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


class ChainedPostgresApplicationRecorder(_Grouped, PostgresApplicationRecorder):
    """The events table is locked while events are inserted (gap-free ordering), so links are
    appended in notification order by one writer at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._group = GroupCommit(self._write_group)
        self._latest_sql: dict[str, Any] = {}
        # The events as four arrays sent in binary: eventsourcing's one array of a composite type
        # is dumped as escaped text, field by field in Python, a quarter of the reminders sweep.
        self._insert_sql = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) RETURNING notification_id"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as eventsourcing's select_events
    def select_latest(self, originator_id: Any, snapshots: str) -> list[StoredEvent]:
        """An aggregate's last snapshot and the events after it: one round trip, not two."""
        statement = self._latest_sql.get(snapshots)
        if statement is None:
            schema = Identifier(self.datastore.schema)
            statement = self._latest_sql[snapshots] = SQL(_LATEST).format(
                snapshots=SQL("{}.{}").format(schema, Identifier(snapshots)),
                events=SQL("{}.{}").format(schema, Identifier(self.events_table_name)),
                id=SQL("%(id)s"),
            )
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, {"id": originator_id}, prepare=True)
            return _stored(originator_id, curs.fetchall())

    def _insert_rows(self, curs: Any, stored_events: Sequence[StoredEvent]) -> None:
        columns = zip(*((s.originator_id, s.originator_version, s.topic, s.state) for s in stored_events), strict=True)
        curs.execute(self._insert_sql, [list(c) for c in columns], prepare=True)

    def _write_group(self, group: list[Pending]) -> None:
        if len(group) > 1:
            try:
                self._write_together(group)
                return
            except Exception:  # a collision (or worse) in one of them: each on its own, each its answer
                pass
        for pending in group:
            try:
                self._write_alone(pending)
            except Exception as e:
                pending.error = e

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as eventsourcing's insert_events
    def _write_alone(self, pending: Pending) -> None:
        self._write_together([pending])

    def _write_together(self, group: list[Pending]) -> None:
        with self.datastore.get_connection() as conn:  # autocommit: the transaction is ours to open
            try:
                answers = self._in_two_round_trips(conn, group)
            except BaseException:
                conn.rollback()  # whatever the pipeline left open (nothing if BEGIN never ran)
                raise
        for pending, (ids, behind) in zip(group, answers, strict=True):  # committed
            pending.ids, pending.behind = ids, behind

    def _in_two_round_trips(self, conn: Any, group: list[Pending]) -> list[tuple[Sequence[int], frozenset[str] | None]]:
        """eventsourcing's pipelined insert, with what the chain and the read models need read
        in the same sync as the insert (after the lock, so nobody writes events meanwhile), and
        BEGIN/COMMIT sent as statements: psycopg's transaction() inside a pipeline syncs on
        entering and on leaving (three more round trips)."""
        exc: Exception | None = None
        answers: list[tuple[Sequence[int], frozenset[str] | None]] = []
        stored_events = [s for pending in group for s in pending.stored]
        with conn.pipeline(), conn.cursor() as curs:
            try:
                curs.execute("BEGIN")
                if self.datastore.lock_timeout:
                    self._lock_table(curs)
                else:  # eventsourcing's SET LOCAL lock_timeout = '0s' is the default already
                    curs.execute(self.lock_table_statements[-1], prepare=True)
                # No NOTIFY (eventsourcing's, for subscribers): nothing here LISTENs, and every
                # NOTIFY serializes commits on the notification queue's lock.
                # The chain's last link, and the read models whose position is the last event
                # stored before these: they apply them (no event can come between: we hold the
                # table lock); their rows locked.
                before = conn.cursor(row_factory=tuple_row)
                before.execute(self._before_sql, prepare=True)
                self._insert_rows(curs, stored_events)
                # Round trip 1; a collision raises here. A fetch, not `pipeline.sync()`: psycopg's
                # sync stops sending when nothing more is queued, and a statement bigger than the
                # sockets hold (a sweep's chunk is megabytes) then stays half sent while it waits
                # for results the server cannot send (a reminders sweep at a million hung so, the
                # server in ClientRead). A fetch sends a flush request and sends everything first.
                ids = [row["notification_id"] for row in curs.fetchall()]
                found = before.fetchone()
                previous, names = (found[0] or GENESIS, set(found[1] or ())) if found else (GENESIS, set())
                tx = Tx(curs, "postgres", in_pipeline=True)
                links = _links(previous, ids, stored_events)
                conn.cursor().execute(_CHAIN_ARRAYS, ([p for p, _ in links], [h for _, h in links]), prepare=True)
                start = 0
                for pending in group:  # in order: each save's read models start where the last left them
                    own = ids[start : start + len(pending.stored)]
                    start += len(pending.stored)
                    behind = self._read_models(tx, own, pending, names) if own else None
                    names -= behind or set()
                    answers.append((own, behind))
                tx.execute("COMMIT")  # round trip 2: on leaving the pipeline
            except Exception as e:  # raised after the pipeline is closed (no psycopg warning)
                exc = e
        if exc:
            raise exc
        return answers

    @property
    def _before_sql(self) -> str:
        """One row: the chain's last link, and the read models at the last stored event (locked)."""
        table = self.events_table_name
        return (
            "WITH current AS (SELECT projection FROM sl_tracking "
            f"WHERE position = (SELECT COALESCE(MAX(notification_id), 0) FROM {table}) FOR UPDATE) "
            "SELECT (SELECT hash FROM sl_chain ORDER BY position DESC LIMIT 1), "
            "(SELECT array_agg(projection) FROM current)"
        )

"""Recently used aggregates kept in memory, brought up to date from the log before every use.

A command used to replay its aggregate from the last snapshot (up to 24 events decoded and
applied, two queries). Now the repository keeps the aggregate it last loaded and, on each `get`,
reads only the events recorded after the cached version (one query that usually returns the
events this process just saved, or none) and applies them: another instance's writes are
always seen before a decision, because the log, not the cache, says what the latest version is.

The caller always gets a deep copy: a command that mutates its aggregate and then raises (a
refused transition, a collision on save) leaves the cached one as it was. The copy is taken
under the aggregate's lock, so it never sees a fast-forward half applied by another thread.
A fast-forward that fails part way (an event that no longer applies) evicts the aggregate.

eventsourcing's own cache (AGGREGATE_CACHE_MAXSIZE with fast-forward) does the same but copies
outside the lock; this is that design with the copy inside it.

Within one command (`one_reading`), an aggregate is brought up to date once: asked for again, it
comes from the cache without asking the log (or is absent again, without asking). Filing a report
read the organization three times and looked for the same missing campaign twice, a query each.
Every save ends the reading (`forget_readings`): what was read before it is no longer current
(the cache is not updated by a save; the next read fast-forwards from the log), and a save that
collided is followed by a reading of what the other writer recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from copy import deepcopy
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, LRUCache, Repository
from eventsourcing.persistence import EventStore

# aggregate id -> found (True) or absent (False) in this command's reading; None outside a command
_READ: ContextVar[dict[UUID, bool] | None] = ContextVar("starledger_read_in_command", default=None)
READINGS_KEPT = 1_000  # a sweep reads thousands between its saves: past this, each is asked of the log as before


@contextmanager
def one_reading() -> Iterator[None]:
    """A command's reads: each aggregate brought up to date from the log once. A command run
    inside another shares the outer one's reading."""
    if _READ.get() is not None:
        yield
        return
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def forget_readings() -> None:
    """After a save (or a failed one): the next read asks the log again."""
    read = _READ.get()
    if read:
        read.clear()


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """eventsourcing's project_aggregate without its per-event runtime protocol check (an
    isinstance against a Protocol: about 30 µs an event, most of a replay's Python time)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


_ATOMIC = frozenset({type(None), bool, int, float, str, bytes, Decimal, UUID, date, datetime, time, timedelta})


def _immutable(value: Any) -> bool:
    """Nothing in it can change: scalars, enum members, and tuples, frozensets and frozen
    dataclasses made only of such."""
    kind = type(value)
    if kind in _ATOMIC or isinstance(value, Enum):
        return True
    if kind is tuple or kind is frozenset:
        return all(_immutable(v) for v in value)
    params = getattr(kind, "__dataclass_params__", None)
    if params is not None and params.frozen:
        fields = kind.__dataclass_fields__
        extra = getattr(value, "__dict__", {}).keys() - fields.keys()  # set around the constructor: unknown
        return not extra and all(_immutable(getattr(value, name)) for name in fields)
    return False


def _fresh(value: Any) -> Any:
    """A copy sharing only what cannot change: the containers an aggregate mutates (dicts,
    lists, sets) are new, values that cannot change are the same objects, anything else
    is deep-copied. A case with 20 scored sheets copies in about a tenth of deepcopy's time."""
    if _immutable(value):
        return value
    kind = type(value)
    if kind is dict and all(_immutable(k) for k in value):
        return {k: _fresh(v) for k, v in value.items()}
    if kind is list:
        return [_fresh(v) for v in value]
    if kind is set and all(_immutable(v) for v in value):
        return set(value)
    if kind is tuple:
        return tuple(_fresh(v) for v in value)
    return deepcopy(value)


def copy_aggregate(aggregate: Any) -> Any:
    """What a command gets: the cached aggregate's state in new containers, so what the command
    does to it (and leaves undone when it raises) never reaches the cache."""
    kind = type(aggregate)
    if not hasattr(aggregate, "__dict__"):
        return deepcopy(aggregate)
    copied = object.__new__(kind)
    copied.__dict__.update({name: _fresh(value) for name, value in vars(aggregate).items()})
    return copied


class CachingRepository(Repository[UUID]):
    def __init__(self, event_store: EventStore[UUID], snapshot_store: EventStore[UUID] | None, maxsize: int) -> None:
        super().__init__(event_store, snapshot_store=snapshot_store)
        self.cache = LRUCache(maxsize=maxsize) if maxsize > 0 else None
        self.fastforward = True
        # a cold read in one statement, where the recorder offers it and snapshots are kept
        select_latest = getattr(event_store.recorder, "select_latest", None)
        snapshots = getattr(snapshot_store.recorder, "events_table_name", None) if snapshot_store else None
        self._latest: Callable[[UUID], list[Any]] | None = (
            partial(select_latest, snapshots=snapshots) if select_latest and snapshots else None
        )

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: Any = replay,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> Any:
        if self.cache is None or version is not None:  # a past version: replayed, never cached
            return self._reconstruct_aggregate(aggregate_id, version, projector_func)
        read = _READ.get()
        seen = read.get(aggregate_id) if read is not None else None
        if seen is False:
            raise AggregateNotFoundError(aggregate_id)
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                if seen:  # read already in this command: as it was then, unless evicted since
                    with suppress(KeyError):
                        return copy_aggregate(self.cache.get(aggregate_id))
                try:
                    current = self._current(aggregate_id, projector_func)
                except AggregateNotFoundError:
                    _remember(read, aggregate_id, False)
                    raise
                _remember(read, aggregate_id, True)
                return copy_aggregate(current)
        finally:
            self._disuse_fastforward_lock(aggregate_id)

    def _current(self, aggregate_id: UUID, projector_func: Any) -> Any:
        """The cached aggregate at the log's latest version (called holding its lock)."""
        assert self.cache is not None
        try:
            cached = self.cache.get(aggregate_id)
        except KeyError:
            loaded = self._reconstruct_aggregate(aggregate_id, None, projector_func)
            self.cache.put(aggregate_id, loaded)
            return loaded
        try:
            newer = self.event_store.get(originator_id=aggregate_id, gt=cached.version)
            current = projector_func(cached, newer)
        except BaseException:
            self.evict(aggregate_id)  # perhaps half fast-forwarded: load afresh next time
            raise
        if current is None:  # discarded meanwhile
            self.evict(aggregate_id)
            raise AggregateNotFoundError(aggregate_id)
        if current is not cached:  # a mutator that returns a new object: that one is the state now
            self.cache.put(aggregate_id, current)
        return current

    def _reconstruct_aggregate(self, aggregate_id: UUID, version: int | None, projector_func: Any) -> Any:
        """The latest version from the last snapshot and the events after it, read together when
        the recorder can (one statement; a cold read was two round trips on PostgreSQL)."""
        if version is not None or self._latest is None or self.snapshot_store is None:
            return super()._reconstruct_aggregate(aggregate_id, version, projector_func)
        stored = self._latest(aggregate_id)  # the snapshot (if any) first: it creates the state
        aggregate = projector_func(None, map(self.snapshot_store.mapper.to_domain_event, stored))
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    def evict(self, aggregate_id: UUID) -> None:
        if self.cache is not None:
            with suppress(KeyError):
                self.cache.get(aggregate_id, evict=True)


def _remember(read: dict[UUID, bool] | None, aggregate_id: UUID, found: bool) -> None:
    if read is not None and len(read) < READINGS_KEPT:
        read[aggregate_id] = found

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
outside the lock; this is that design with the copy inside it."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from copy import deepcopy
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, LRUCache, Repository
from eventsourcing.persistence import EventStore


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
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                return copy_aggregate(self._current(aggregate_id, projector_func))
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

    def evict(self, aggregate_id: UUID) -> None:
        if self.cache is not None:
            with suppress(KeyError):
                self.cache.get(aggregate_id, evict=True)

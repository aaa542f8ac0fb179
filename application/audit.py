"""Auditors' reads of any aggregate: its history filtered by event type and time, its state
as of an instant or a version, and what one event changed (before/after)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.errors import NotFound
from application.queries import HistoryEntry
from application.registry import Registry, event_type, history_entry


class AggregateState(msgspec.Struct, frozen=True):
    aggregate_id: UUID
    aggregate_type: str
    version: int
    as_of: datetime
    state: dict[str, Any]


class Change(msgspec.Struct, frozen=True):
    version: int
    event_type: str
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]
    changed: dict[str, list[Any]]  # field → [before, after]


def _state(aggregate: Any) -> dict[str, Any]:
    fields = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    return msgspec.to_builtins(fields, str_keys=True, enc_hook=str)


class Audit:
    def __init__(self, store: Registry) -> None:
        self.store = store

    def history(
        self, aggregate_id: UUID, event_types: set[str] | None = None,
        since: datetime | None = None, until: datetime | None = None,
    ) -> list[HistoryEntry]:
        return [
            history_entry(e) for e in self._events(aggregate_id)
            if (not event_types or event_type(e) in event_types)
            and (since is None or e.timestamp >= since) and (until is None or e.timestamp <= until)
        ]

    def state_at(self, aggregate_id: UUID, at: datetime) -> AggregateState:
        """The state after the last event at or before the instant (replayed from the events)."""
        events = [e for e in self._events(aggregate_id) if e.timestamp <= at]
        if not events:
            raise NotFound("aggregate_state", f"{aggregate_id}@{at.isoformat()}")
        return self.state_at_version(aggregate_id, events[-1].originator_version, at)

    def state_at_version(self, aggregate_id: UUID, version: int, as_of: datetime | None = None) -> AggregateState:
        aggregate = self._aggregate(aggregate_id, version)
        return AggregateState(aggregate_id, type(aggregate).__name__, aggregate.version,
                              as_of or aggregate.modified_on, _state(aggregate))

    def change(self, aggregate_id: UUID, version: int) -> Change:
        events = {e.originator_version: e for e in self._events(aggregate_id)}
        if version not in events:
            raise NotFound("event", f"{aggregate_id} v{version}")
        after = _state(self._aggregate(aggregate_id, version))
        before = _state(self._aggregate(aggregate_id, version - 1)) if version > 1 else {}
        changed = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}
        event = events[version]
        return Change(version, event_type(event), event.timestamp, before, after, changed)

    def _events(self, aggregate_id: UUID) -> list[Any]:
        events = list(self.store.events.get(aggregate_id))
        if not events:
            raise NotFound("aggregate", aggregate_id)
        return events

    def _aggregate(self, aggregate_id: UUID, version: int) -> Any:
        try:
            return self.store.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound("aggregate", f"{aggregate_id} v{version}") from None

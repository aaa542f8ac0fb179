"""The one event store every group of use cases saves to: aggregates, snapshots, each
aggregate's history, and today's date under the rule set in force."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import Notification, Recording, StoredEvent

from application.aggregate_cache import CachingRepository, forget_readings, replay
from application.ports import Clock, RuleSetCatalog
from application.queries.common import HistoryEntry
from domain.credit import CreditRecord
from domain.evaluation import Evaluation
from domain.expert import Expert
from domain.funding import FundingRound, Project
from domain.inspection import Inspection, InspectionCampaign
from domain.organization import Organization
from domain.provenance import Provenance

log = logging.getLogger("starledger.events")
# A save of more events than this (a sweep's chunk: thousands) is logged as one line with the count of
# each kind; a line per event made a sweep of a million organizations millions of lines.
LOGGED_ONE_BY_ONE = 20
# aggregates whose streams grow for years: loading them starts from a snapshot
_LONG_LIVED = (Organization, CreditRecord, Evaluation, Expert, FundingRound, Project, InspectionCampaign, Inspection)
_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "provenance"}


class EventStore(Application[UUID]):
    """Every aggregate's events, in one store (one log, one notification sequence)."""

    name = "starledger"

    def __init__(
        self,
        env: dict[str, str],
        clock: Clock,
        rules: RuleSetCatalog,
    ) -> None:
        super().__init__(env)
        interval = int(self.env.get("SNAPSHOT_INTERVAL") or 0)
        if interval and self.snapshots is not None:  # every Nth event of an aggregate also stores its state
            self.snapshotting_intervals = dict.fromkeys(_LONG_LIVED, interval)  # type: ignore[misc]
        self.clock = clock
        self.rules = rules
        # A sweep saves a chunk on a thread of its own while it decides the next (application/behind.py)
        # where a save waits on a server: on PostgreSQL the missed-inspection sweep was 9-19 % faster at
        # 100,000, the reminders 20 % at a million; on SQLite the threads only contend for the GIL.
        self.saves_behind = self.env.get("SAVES_BEHIND") == "y"
        # Organizations the missed-inspection and credit sweeps decide, then save in one transaction.
        # A commit writes every index page the chunk touched (SQLite into its WAL, once per commit):
        # 2,000 instead of 500: the missed sweep 12-17 % faster on SQLite at 100,000 organizations, credit 1-15 %;
        # on PostgreSQL it measured within the noise and holds the events table's lock four times as
        # long against people's commands, so 500 there (README "Benchmarks").
        self.sweep_set_size = int(self.env.get("SWEEP_SET_SIZE") or 500)
        self._after_save: list[Callable[[list[Any]], Any]] = []

    def construct_repository(self) -> Repository[UUID]:
        """Recently used aggregates stay in memory and are fast-forwarded from the log before each
        use (application/aggregate_cache.py); AGGREGATE_CACHE_MAXSIZE=0 turns that off."""
        maxsize = int(self.env.get("AGGREGATE_CACHE_MAXSIZE") or 0)
        return CachingRepository(self.events, self.snapshots, maxsize)

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """The events as decided go down with their stored form: the read models apply these
        (in the events' transaction) instead of decoding what was just encoded. As eventsourcing's
        `_record` but for its cache, which a fast-forwarding repository (ours) never fills here."""
        events = processing_event.events
        processing_event.saved_kwargs.setdefault("decided_events", events)
        stored = list(map(self.mapper.to_stored_event, events))
        ids = self.recorder.insert_events(stored, tracking=processing_event.tracking, **processing_event.saved_kwargs)
        return [_recording(d, s, n) for d, s, n in zip(events, stored, ids or (), strict=bool(ids))]

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Every Nth event of a long-lived aggregate also stores its state at that version: the
        cached aggregate brought up to date (one query for the events after it), not a replay
        from the last snapshot (unless another instance wrote meanwhile: then that version is
        replayed, as eventsourcing does)."""
        if self.snapshots is None or not self.snapshotting_intervals:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate is not None else None
            if interval is None or event.originator_version % interval:
                continue
            current: Any = self.repository.get(event.originator_id) if self.repository.cache is not None else None
            if current is not None and current.version == event.originator_version:
                self.snapshots.put([type(current).Snapshot.take(current)])
            else:
                self.take_snapshot(event.originator_id, version=event.originator_version, projector_func=replay)

    def on_saved(self, listener: Callable[[list[Any]], Any]) -> None:
        """Called with the recordings after every successful save (read models catch up: read-your-writes)."""
        self._after_save.append(listener)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """As eventsourcing's `Application.save`, with the events collected by `_Collected`."""
        processing_event = _Collected()
        processing_event.collect_events(*objs, **kwargs)
        try:
            recordings = self._record(processing_event)
        finally:
            forget_readings()  # what the command read is no longer current (saved, or another writer was first)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        _log_recorded(recordings)
        for listener in self._after_save:
            listener(recordings)
        return recordings

    def today(self, division_code: str | None = None) -> date:
        """Today in the governing rule set's timezone (deadlines are local dates)."""
        now = self.clock.now()
        rule_set = self.rules.for_division(division_code or "000000", now.date())
        return now.astimezone(ZoneInfo(rule_set.timezone)).date()

    def history(self, aggregate_id: UUID) -> list[HistoryEntry]:
        """Any aggregate's events, in order, with who/when/why."""
        return [history_entry(e) for e in self.events.get(aggregate_id)]


def _by(event: Any) -> tuple[str, str, str]:
    """Who recorded it (user, role) and the request or job that did it."""
    p = getattr(event, "provenance", None)
    return (p.actor.user_id, p.actor.role.value, p.correlation_id) if p else ("?", "?", "-")


def _recording(event: Any, stored: StoredEvent, notification_id: int) -> Recording[UUID]:
    """eventsourcing's `EventStore.put` makes the same two frozen dataclasses through their
    `__init__`, a call of `object.__setattr__` per field: 1.8 µs an event where this takes 0.8
    (a sweep's chunk saves thousands). `test_group_commit.py` compares the two."""
    notification = _new(Notification)
    notification.__dict__.update(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
        id=notification_id,
    )
    recording = _new(Recording)
    recording.__dict__.update(domain_event=event, notification=notification)
    return recording


_new = object.__new__


def _log_recorded(recordings: list[Recording[UUID]]) -> None:
    if not recordings or not log.isEnabledFor(logging.INFO):
        return
    first, last = recordings[0], recordings[-1]
    if len(recordings) > LOGGED_ONE_BY_ONE:  # one command's events: one actor and one correlation
        kinds = Counter(type(r.domain_event).__qualname__ for r in recordings)
        log.info(
            "recorded %d events #%d-#%d (%s) by %s (%s) [%s]",
            len(recordings),
            first.notification.id,
            last.notification.id,
            ", ".join(f"{kind} ×{count}" for kind, count in sorted(kinds.items())),
            *_by(first.domain_event),
        )
        return
    for recording in recordings:
        event = recording.domain_event
        log.info(
            "recorded %s #%d of %s v%d by %s (%s) [%s]",
            type(event).__qualname__,
            recording.notification.id,
            event.originator_id,
            event.originator_version,
            *_by(event),
        )


class _Collected(ProcessingEvent[UUID]):
    """eventsourcing tells aggregates from events by runtime Protocols, about 40 µs per object
    (a third of a sweep's Python at a million organizations); ours are known classes."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


def event_type(event: Any) -> str:
    return type(event).__name__


def event_data(event: Any) -> dict[str, Any]:
    """The business facts of an event, as JSON-ready builtins."""
    data = {f.name: getattr(event, f.name) for f in fields(event) if f.name not in _BASE_FIELDS}
    facts: dict[str, Any] = msgspec.to_builtins(data)
    return facts


def history_entry(event: Any) -> HistoryEntry:
    p: Provenance = event.provenance
    return HistoryEntry(
        version=event.originator_version,
        at=event.timestamp,
        event_type=event_type(event),
        actor_id=p.actor.user_id,
        actor_role=p.actor.role.value,
        correlation_id=p.correlation_id,
        document_no=p.basis.document_no,
        reason=p.basis.reason,
        caused_by=p.caused_by,
        rule_set=f"{p.rule_set.id}@{p.rule_set.version}" if p.rule_set else None,
        data=event_data(event),
        effective_on=p.effective_on,
    )

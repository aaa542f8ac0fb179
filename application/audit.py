"""Auditors' reads of any aggregate: its history filtered by event type and time, with what
each event changed (before/after); its state as of an instant or a version; and the register
as of an instant, from the validity intervals, with a replay from the events to check it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.errors import NotFound
from application.evaluations import SEALED_FIELDS, sealed
from application.event_store import EventStore, event_type, history_entry
from application.ports import RegisterHistoryView
from application.queries.common import HistoryEntry, Page
from application.queries.register import RegisterAsOfQuery, RegisterLine
from domain.credit import credit_record_ids
from domain.evaluation import Evaluation
from domain.funding import Project
from domain.organization import Organization


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
    changed: dict[str, list[Any]]  # field path (profile.name) → [before, after]


class TimelineEntry(msgspec.Struct, frozen=True):
    event: HistoryEntry
    changed: dict[str, list[Any]]  # field → [before, after]


class ReplayedLine(msgspec.Struct, frozen=True):
    """An organization's register line at an instant, replayed from its events (the slow, certain way)."""

    id: UUID
    name: str
    status: str
    grade: str | None
    credit_status: str


def _state(aggregate: Any) -> dict[str, Any]:
    if aggregate is None:
        return {}
    fields = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    state: dict[str, Any] = msgspec.to_builtins(fields, str_keys=True, enc_hook=str)
    return state


def _flat(state: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested value objects as dotted paths, so a diff names the field that changed (profile.name)."""
    flat: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """field path → [before, after], for the fields whose values differ."""
    b, a = _flat(before), _flat(after)
    return {k: [b.get(k), a.get(k)] for k in sorted(set(b) | set(a)) if b.get(k) != a.get(k)}


def _sealed_diff(diff: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {path: (["sealed", "sealed"] if SEALED_FIELDS & set(path.split(".")) else values) for path, values in diff.items()}


Read = TypeVar("Read", HistoryEntry, TimelineEntry, AggregateState, Change)


class _Seal(Protocol):
    def __call__(self, entry: Read, /) -> Read: ...


def _as_recorded(entry: Read) -> Read:
    return entry


def _sealed_entry(entry: Read) -> Read:
    if isinstance(entry, HistoryEntry):
        return msgspec.structs.replace(entry, data=sealed(entry.data))
    if isinstance(entry, TimelineEntry):
        return msgspec.structs.replace(entry, event=_sealed_entry(entry.event), changed=_sealed_diff(entry.changed))
    if isinstance(entry, AggregateState):
        return msgspec.structs.replace(entry, state=sealed(entry.state))
    return msgspec.structs.replace(
        entry, before=sealed(entry.before), after=sealed(entry.after), changed=_sealed_diff(entry.changed)
    )


def parse_event_types(raw: str | None) -> set[str] | None:
    """A comma-separated event-type filter ("Renamed, Suspended"); empty means every type."""
    return {t.strip() for t in (raw or "").split(",") if t.strip()} or None


def _selected(event: Any, types: set[str] | None, since: datetime | None, until: datetime | None) -> bool:
    return (
        (not types or event_type(event) in types)
        and (since is None or event.timestamp >= since)
        and (until is None or event.timestamp <= until)
    )


class Audit:
    def __init__(self, store: EventStore, register_history: RegisterHistoryView) -> None:
        self.store = store
        self.register_history = register_history

    def history(
        self,
        aggregate_id: UUID,
        event_types: set[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HistoryEntry]:
        seal = self._sealing(aggregate_id)
        return [seal(history_entry(e)) for e in self._events(aggregate_id) if _selected(e, event_types, since, until)]

    def _sealing(self, aggregate_id: UUID) -> _Seal:
        """Sealed scores reach the audit reads too: while a case's scoring is open, its sheets'
        scores and totals read "sealed" in entries, states and diffs (identity for anything else)."""
        case: object
        try:
            case = self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            case = None
        if not isinstance(case, Evaluation):
            return _as_recorded
        rule_set = self.store.rules.get(case.rule_set.id, case.rule_set.version)
        if case.disclosed(rule_set.evaluation.sheets_visible_from):
            return _as_recorded
        return _sealed_entry

    def timeline(
        self,
        aggregate_id: UUID,
        event_types: set[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[TimelineEntry]:
        return self.timeline_and_types(aggregate_id, event_types, since, until)[0]

    def timeline_and_types(
        self,
        aggregate_id: UUID,
        event_types: set[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[TimelineEntry], list[str]]:
        """The history with what each event changed, and every event type the stream holds (for the
        filter): one pass that applies the events in order."""
        entries: list[TimelineEntry] = []
        seal = self._sealing(aggregate_id)
        types: set[str] = set()
        aggregate: Any = None
        before: dict[str, Any] = {}
        for e in self._events(aggregate_id):
            aggregate = e.mutate(aggregate)
            after = _state(aggregate)
            types.add(event_type(e))
            if _selected(e, event_types, since, until):
                entries.append(seal(TimelineEntry(history_entry(e), _diff(before, after))))
            before = after
        return entries, sorted(types)

    def state_at(self, aggregate_id: UUID, at: datetime) -> AggregateState:
        """The state after the last event at or before the instant: the version is found by a binary
        search over single events (an aggregate's event times never decrease), then the aggregate is
        rebuilt from its nearest snapshot at or below that version."""
        version = self.version_at(aggregate_id, at)
        if version == 0:
            raise NotFound("aggregate_state", f"{aggregate_id}@{at.isoformat()}")
        return self.state_at_version(aggregate_id, version, at)

    def version_at(self, aggregate_id: UUID, at: datetime) -> int:
        """The last version recorded at or before the instant (0: none yet)."""
        last = self._event(aggregate_id, None)
        if last is None:
            raise NotFound("aggregate", aggregate_id)
        return self._search(aggregate_id, at, last)

    def _search(self, aggregate_id: UUID, at: datetime, last: Any) -> int:
        low, high = 0, int(last.originator_version)  # invariant: version low is at or before `at`, high+1 after
        if last.timestamp <= at:
            return high
        high -= 1
        while low < high:
            middle = (low + high + 1) // 2
            event = self._event(aggregate_id, middle)
            if event is not None and event.timestamp <= at:
                low = middle
            else:
                high = middle - 1
        return low

    def state_at_version(self, aggregate_id: UUID, version: int, as_of: datetime | None = None) -> AggregateState:
        aggregate = self._aggregate(aggregate_id, version)
        return self._sealing(aggregate_id)(
            AggregateState(
                aggregate_id, type(aggregate).__name__, aggregate.version, as_of or aggregate.modified_on, _state(aggregate)
            )
        )

    def change(self, aggregate_id: UUID, version: int) -> Change:
        event = self._event(aggregate_id, version)
        if event is None:
            raise NotFound("event", f"{aggregate_id} v{version}")
        after = _state(self._aggregate(aggregate_id, version))
        before = _state(self._aggregate(aggregate_id, version - 1)) if version > 1 else {}
        return self._sealing(aggregate_id)(
            Change(version, event_type(event), event.timestamp, before, after, _diff(before, after))
        )

    # -- the register through time -----------------------------------------------------------
    def register_as_of(self, query: RegisterAsOfQuery) -> Page[RegisterLine]:
        return self.register_history.as_of(query)

    def register_intervals(self, organization_id: UUID, known_at: datetime | None = None) -> list[RegisterLine]:
        """The organization's line through time as known at an instant (now by default)."""
        lines = self.register_history.intervals(organization_id, known_at)
        if not lines and not self.register_history.intervals(organization_id):
            raise NotFound("organization", organization_id)
        return lines

    def superseded_intervals(self, organization_id: UUID) -> list[RegisterLine]:
        """What was believed of its line before a late entry or a correction rewrote it."""
        return self.register_history.superseded(organization_id)

    def replayed_line(self, organization_id: UUID, at: datetime) -> ReplayedLine | None:
        """The register line at the instant from the organization's and its credit record's events."""
        version = self.version_at(organization_id, at)
        if version == 0:
            return None
        org = self._aggregate(organization_id, version)
        for record_id in credit_record_ids(organization_id):
            last = self._event(record_id, None)
            if last is not None:
                break
        credit_version = self._search(record_id, at, last) if last is not None else 0
        credit = self._aggregate(record_id, credit_version).status if credit_version else "none"
        return ReplayedLine(org.id, org.profile.name, org.status.value, org.grade, credit)

    def _events(self, aggregate_id: UUID) -> list[Any]:
        events = list(self.store.events.get(aggregate_id))
        if not events:
            raise NotFound("aggregate", aggregate_id)
        return events

    # -- which evaluation decided a rating --------------------------------------------------
    def grade_evaluation(self, organization_id: UUID, at: datetime | None = None) -> UUID:
        """The evaluation behind the grade the organization held at the instant (now by default);
        a lowered grade still points at the evaluation that awarded it."""
        if at is None:
            org = self._aggregate(organization_id, None)
        else:
            version = self.version_at(organization_id, at)
            org = self._aggregate(organization_id, version) if version else None
        if not isinstance(org, Organization) or org.grade is None or org.grade_evaluation_id is None:
            raise NotFound("grade", f"{organization_id}@{at.isoformat() if at else 'now'}")
        return org.grade_evaluation_id

    def stars_evaluation(self, project_id: UUID) -> UUID:
        """The closing evaluation that rated the project."""
        project = self._aggregate(project_id, None)
        closing = project.evaluations.get("closing") if isinstance(project, Project) else None
        if closing is None or project.stars is None:
            raise NotFound("stars", project_id)
        return closing

    def _event(self, aggregate_id: UUID, version: int | None) -> Any:
        """One stored event (the last one when version is None), or None."""
        if version is None:
            found = list(self.store.events.get(aggregate_id, desc=True, limit=1))
        else:
            found = list(self.store.events.get(aggregate_id, gt=version - 1, lte=version))
        return found[0] if found else None

    def _aggregate(self, aggregate_id: UUID, version: int | None) -> Any:
        try:
            return self.store.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound("aggregate", f"{aggregate_id} v{version}") from None

"""What every group of use cases on the shared event store needs: get, stamp, save."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from application.context import CommandContext
from application.errors import NotFound, NotPermitted, StaleVersion
from application.event_store import EventStore
from application.ports import Clock, IdGenerator, RuleSetCatalog
from domain.credit import CreditRecord, credit_record_ids
from domain.errors import InvalidValue
from domain.inspection import Inspection, inspection_ids
from domain.organization import Organization
from domain.provenance import Provenance, Role
from domain.rules import RuleSet, require_rules_in_force

RETRIES = 5
# who may record a decision or a received document with an earlier date than the day it is entered
BACKDATING_ROLES = frozenset({Role.REGISTRAR, Role.CHAIR, Role.ADMIN, Role.SYSTEM})
T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)  # an aggregate, returned as the type it was asked for or saved


class UseCases:
    def __init__(self, store: EventStore, rules: RuleSetCatalog, clock: Clock, ids: IdGenerator) -> None:
        self.store = store
        self.rules = rules
        self.clock = clock
        self.ids = ids

    def _at(self, ctx: CommandContext, rule_set: RuleSet | None = None, caused_by: str | None = None) -> Provenance:
        """Recorded now; in effect on the day the command names (not in the future), else today."""
        return ctx.provenance(self.clock.now(), rule_set.ref if rule_set else None, caused_by, self._effective_on(ctx))

    def _effective_on(self, ctx: CommandContext) -> date:
        today = self.store.today()
        given = ctx.effective_on
        if given is None or given == today:
            return today
        if ctx.actor.role not in BACKDATING_ROLES:
            raise NotPermitted(
                "只有登记管理机关的工作人员才能补录以往日期的决定或收件",
                "Only the registry's staff can record a decision or a received document with an earlier date",
            )
        if given > today:
            raise InvalidValue(
                "effective_on.future",
                f"生效(收到)日期{given}晚于今天({today}),不能登记尚未发生的决定",
                f"The effective (received) date {given} is after today ({today}); a decision not yet made cannot be recorded",
                effective_on=given.isoformat(),
                today=today.isoformat(),
            )
        return given

    def _get(self, aggregate_id: UUID, kind: type[A], label: str, expected_version: int | None = None) -> A:
        """The aggregate, if it is a `kind`; with an expected version, only if nobody changed it since."""
        found = self._find(aggregate_id)
        if not isinstance(found, kind):
            raise NotFound(label, aggregate_id)
        if expected_version is not None and found.version != expected_version:
            raise StaleVersion(expected_version, found.version)
        return found

    def _organization(self, org_id: UUID) -> Organization:
        """The organization a use case of any group acts on or about."""
        return self._get(org_id, Organization, "organization")

    def _inspection_of(self, organization_id: UUID, report_year: int) -> Inspection | None:
        """The organization's inspection of the year, under its id or, in a database from before
        ordered ids (`domain.ids`), under the id it was given then."""
        return self._first(Inspection, *inspection_ids(organization_id, report_year))

    def _credit_record_of(self, organization_id: UUID) -> CreditRecord | None:
        """The organization's credit record, under its id or the one it was given before ordered ids."""
        return self._first(CreditRecord, *credit_record_ids(organization_id))

    def _first(self, kind: type[A], *ids: UUID) -> A | None:
        for aggregate_id in ids:
            found = self._find(aggregate_id)
            if isinstance(found, kind):
                return found
        return None

    def _find(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _save(self, first: A, *more: Aggregate, expected_version: int | None = None) -> A:
        """Save in one transaction; a collision means somebody else saved first: a stale version
        (the one decided on, the one recorded now)."""
        try:
            self.store.save(first, *more)
        except IntegrityError:
            recorded = self._find(first.id)
            seen = expected_version if expected_version is not None else first.version - 1
            raise StaleVersion(seen, recorded.version if recorded is not None else None) from None
        return first

    def _in_chunk(self, items: list[T], decide: Callable[[T], tuple[R, list[Any]]]) -> list[R | None]:
        """A sweep's chunk: each item decided (its result and the aggregates it changes, unsaved),
        all saved in one transaction; one commit per item was most of a sweep's time. If another
        writer got to one of them first, each is decided again and saved alone; an item that
        collides again gives None (the other writer did it)."""
        return self._save_decided(items, [decide(item) for item in items], decide)

    def _save_decided(
        self, items: list[T], decided: list[tuple[R, list[Any]]], decide: Callable[[T], tuple[R, list[Any]]]
    ) -> list[R | None]:
        """`_in_chunk`'s save, of what was decided (perhaps on another thread, one chunk ahead)."""
        changed = [aggregate for _, aggregates in decided for aggregate in aggregates]
        try:
            if changed:
                self._save(*changed)
            return [result for result, _ in decided]
        except StaleVersion:  # a failed save has taken the events out of the aggregates: decide anew
            return [self._decided_alone(decide, item) for item in items]

    def _decided_alone(self, decide: Callable[[T], tuple[R, list[Any]]], item: T) -> R | None:
        result, changed = decide(item)
        try:
            if changed:
                self._save(*changed)
        except StaleVersion:
            return None
        return result

    @staticmethod
    def _retrying(expected: int | None, command: Callable[[], R]) -> R:
        """Several people write to one aggregate at once (panel members to a case, registrars
        awarding from one round). Without an expected version a collision is decided again
        against the new state, which still refuses what is no longer allowed."""
        for attempt in range(RETRIES):
            try:
                return command()
            except StaleVersion:
                if expected is not None or attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _rules_in_force(self, as_of: date) -> None:
        """Any batch as of a date (sweep, credit rules, reminders, their plans) refuses a day
        before the earliest rule set, the same way whether or not it had anything to do."""
        require_rules_in_force(self.rules.all(), as_of)

    def _not_in_future(self, as_of: date) -> None:
        """A sweep records what has happened by a date under rules then in force; it cannot
        run ahead of the clock."""
        self._rules_in_force(as_of)
        if as_of > self.store.today():
            raise InvalidValue(
                "sweep.future_date", f"不能按未来日期({as_of})执行", f"A sweep cannot run as of a future date ({as_of})"
            )

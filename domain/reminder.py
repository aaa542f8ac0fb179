"""Reminders (提醒): one aggregate per reminder, its id derived from what it is about
(kind, subject, recipient, period, offset), so issuing it again — after a restart, on a
second instance, in a replay of the same day — collides in the event store and stores nothing.
The id begins with its subject's, so a sweep that walks its subjects in order writes its
reminders' keys in order too (see `reminder_id`).

Each delivery attempt is claimed by one deliverer (see application.reminders); the reminder id is
the receiver's idempotency key. Attempts, successes, failures, dead letters and a cancellation
(the task was done before the reminder went out) are events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import InvalidTransition
from domain.ids import ordered_id
from domain.provenance import Provenance

_NAMESPACE = UUID("9d7e4c2a-1b3f-4e8d-a6c5-7f2e9b1d4a60")
CHANNELS = ("inbox", "email", "webhook")


@dataclass(frozen=True)
class PlannedReminder:
    """What planning decides: a pure value, compared and counted before anything is stored."""

    kind: str  # inspection_due | … | credit_escalation | milestone_due | milestone_overdue (see application.reminders)
    subject_id: UUID
    recipient: str  # "organization:<id>" (all its users) or "user:<id>"
    period: str  # what the deadline belongs to: a report year, a grade's validity, a case …
    offset: str  # "30", "7", "1" days before, or "overdue"
    due_on: date  # the deadline the reminder is about
    text_zh: str
    text_en: str

    @cached_property
    def id(self) -> UUID:
        """Derived once: a sweep asks for it several times (to drop repeats, to find those already
        issued, to issue) and uuid5 was a tenth of the sweep."""
        return reminder_id(self.kind, self.subject_id, self.recipient, self.period, self.offset)


def reminder_id(kind: str, subject_id: UUID, recipient: str, period: str, offset: str) -> UUID:
    """Ordered after its subject (`domain.ids`): a million reminders on SQLite took 125 s with uuid5
    ids, 75 s with these. Reminders issued under the old ids are recognised by what they are about
    (`ReminderView.issued`), never issued twice."""
    return ordered_id(subject_id, _NAMESPACE, f"{kind}|{subject_id}|{recipient}|{period}|{offset}")


def backoff(attempt: int, base_seconds: float) -> timedelta:
    """Exponential: base, 2·base, 4·base … after the 1st, 2nd, 3rd failure."""
    return timedelta(seconds=base_seconds * 2 ** (attempt - 1))


class Reminder(LedgerAggregate):
    cancelled: tuple[str, str, str] | None = None  # (reason code, zh, en); a class default for older snapshots

    class Issued(LedgerAggregate.Created):
        kind: str
        subject_id: UUID
        recipient: str
        period: str
        offset: str
        due_on: date
        text_zh: str
        text_en: str
        channels: tuple[str, ...]
        provenance: Provenance

        def mutate(self, aggregate: Any) -> Any:
            """The reminder from its first event as eventsourcing makes an aggregate (its identity,
            then the initialiser), without matching the event's fields to the initialiser's
            parameters by signature: a sweep makes a reminder per organization."""
            reminder = Reminder.__new__(Reminder)
            reminder.__base_init__(self.originator_id, self.originator_version, self.timestamp)
            Reminder.__init__(
                reminder,
                kind=self.kind,
                subject_id=self.subject_id,
                recipient=self.recipient,
                period=self.period,
                offset=self.offset,
                due_on=self.due_on,
                text_zh=self.text_zh,
                text_en=self.text_en,
                channels=self.channels,
            )
            return reminder

    def __init__(
        self,
        *,
        kind: str,
        subject_id: UUID,
        recipient: str,
        period: str,
        offset: str,
        due_on: date,
        text_zh: str,
        text_en: str,
        channels: tuple[str, ...],
    ) -> None:
        self.kind = kind
        self.subject_id = subject_id
        self.recipient = recipient
        self.period = period
        self.offset = offset
        self.due_on = due_on
        self.text_zh = text_zh
        self.text_en = text_en
        self.channels = channels
        self.attempts: dict[str, int] = {c: 0 for c in channels if c != "inbox"}
        self.delivered: dict[str, datetime] = {}
        self.dead: dict[str, str] = {}
        self.read_by: tuple[str, ...] = ()

    @classmethod
    def issue(cls, planned: PlannedReminder, channels: tuple[str, ...], provenance: Provenance) -> Reminder:
        """The event built and applied as eventsourcing's `_create` would, without matching each
        argument against the id's and the initialiser's parameters by signature: a sweep issues a
        reminder per organization, and that matching was a third of creating one."""
        created: Any = cls.Issued  # its fields are made by eventsourcing's metaclass, which mypy does not see
        issued = created(
            originator_topic=f"{cls.__module__}:{cls.__qualname__}",  # as eventsourcing's get_topic names it
            originator_id=planned.id,
            originator_version=cls.INITIAL_VERSION,
            timestamp=provenance.at,
            kind=planned.kind,
            subject_id=planned.subject_id,
            recipient=planned.recipient,
            period=planned.period,
            offset=planned.offset,
            due_on=planned.due_on,
            text_zh=planned.text_zh,
            text_en=planned.text_en,
            channels=tuple(dict.fromkeys(("inbox", *channels))),
            provenance=provenance,
        )
        reminder = issued.mutate(None)
        reminder.pending_events.append(issued)
        return cast(Reminder, reminder)

    def pending(self, channel: str) -> bool:
        return channel in self.attempts and channel not in self.delivered and channel not in self.dead and self.cancelled is None

    def pending_channels(self) -> tuple[str, ...]:
        return tuple(c for c in self.attempts if self.pending(c))

    # -- delivery ------------------------------------------------------------------------
    def record_delivery(self, channel: str, at: datetime, provenance: Provenance) -> None:
        self._require_pending(channel)
        self._delivered(channel, self.attempts[channel] + 1, at, provenance)

    @event("Delivered")
    def _delivered(self, channel: str, attempt: int, at: datetime, provenance: Provenance) -> None:
        self.attempts[channel] = attempt
        self.delivered[channel] = at

    def record_failure(
        self, channel: str, error: str, now: datetime, max_attempts: int, base_seconds: float, provenance: Provenance
    ) -> None:
        """A failed attempt: retry later (exponential backoff), or dead-letter after the last one."""
        self._require_pending(channel)
        attempt = self.attempts[channel] + 1
        if attempt >= max_attempts:
            self._dead_lettered(channel, attempt, error[:500], provenance)
        else:
            self._failed(channel, attempt, error[:500], now + backoff(attempt, base_seconds), provenance)

    @event("DeliveryFailed")
    def _failed(self, channel: str, attempt: int, error: str, retry_at: datetime, provenance: Provenance) -> None:
        self.attempts[channel] = attempt

    @event("DeadLettered")
    def _dead_lettered(self, channel: str, attempts: int, error: str, provenance: Provenance) -> None:
        self.attempts[channel] = attempts
        self.dead[channel] = error

    def cancel(self, reason: str, reason_zh: str, reason_en: str, provenance: Provenance) -> None:
        """The task it reminds of is done (a report filed, a sheet submitted …): what is still
        pending is not sent, and the reminder counts as done in the inbox."""
        if self.cancelled is not None:
            return
        if not self.pending_channels():
            raise InvalidTransition("reminder.not_pending", "该提醒没有待投递的渠道", "Nothing is pending on this reminder")
        self._cancelled(reason, reason_zh, reason_en, self.pending_channels(), provenance)

    @event("Cancelled")
    def _cancelled(self, reason: str, reason_zh: str, reason_en: str, channels: tuple[str, ...], provenance: Provenance) -> None:
        self.cancelled = (reason, reason_zh, reason_en)

    def retry(self, channel: str, provenance: Provenance) -> None:
        """The registrar sends a dead letter again: attempts start over."""
        if self.cancelled is not None:
            raise InvalidTransition(
                "reminder.cancelled", "该提醒的事项已办结,无需再投递", "The task of this reminder is done; nothing to send again"
            )
        if channel not in self.dead:
            raise InvalidTransition("reminder.not_dead", "该渠道没有失败待重试的投递", "Nothing to retry on this channel")
        self._retry_requested(channel, provenance)

    @event("RetryRequested")
    def _retry_requested(self, channel: str, provenance: Provenance) -> None:
        del self.dead[channel]
        self.attempts[channel] = 0

    def _require_pending(self, channel: str) -> None:
        if not self.pending(channel):
            raise InvalidTransition("reminder.not_pending", "该渠道没有待投递的提醒", "Nothing is pending on this channel")

    # -- the inbox -------------------------------------------------------------------------
    def mark_read(self, user_id: str, provenance: Provenance) -> None:
        if user_id not in self.read_by:
            self._read(user_id, provenance)

    @event("MarkedRead")
    def _read(self, user_id: str, provenance: Provenance) -> None:
        self.read_by = (*self.read_by, user_id)

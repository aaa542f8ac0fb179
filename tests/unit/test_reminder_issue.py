"""`Reminder.issue` builds its event without eventsourcing's `_create` (a sweep issues a million):
the event, the aggregate and a replay of the stored event must be what `_create` makes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from application.context import system_context
from domain.reminder import PlannedReminder, Reminder

AT = system_context("test", "issue").provenance(datetime(2026, 5, 24, 1, tzinfo=UTC), effective_on=date(2026, 5, 24))
PLAN = PlannedReminder(
    "inspection_due",
    UUID("0195f0a4-0000-4000-8000-000000000001"),
    "organization:0195f0a4-0000-4000-8000-000000000001",
    "2025",
    "7",
    date(2026, 5, 31),
    "2025年度工作报告应于2026-05-31前报送(还有7天)。",
    "the 2025 annual report is due by 2026-05-31 (7 days left).",
)


def made_by_create() -> Reminder:
    return Reminder._create(
        Reminder.Issued,
        id=PLAN.id,
        kind=PLAN.kind,
        subject_id=PLAN.subject_id,
        recipient=PLAN.recipient,
        period=PLAN.period,
        offset=PLAN.offset,
        due_on=PLAN.due_on,
        text_zh=PLAN.text_zh,
        text_en=PLAN.text_en,
        channels=("inbox", "email"),
        provenance=AT,
    )


def test_the_issued_event_is_the_one_create_makes() -> None:
    fast, slow = Reminder.issue(PLAN, ("email", "inbox"), AT), made_by_create()
    (event,), (expected,) = fast.collect_events(), slow.collect_events()
    assert type(event) is type(expected)
    assert vars(event) == vars(expected)
    assert event.originator_topic == get_topic(Reminder)
    assert event.timestamp == AT.at
    assert vars(fast) == vars(slow)
    assert fast.id == PLAN.id and fast.version == 1 and fast.pending_channels() == ("email",)


def test_the_issued_reminder_replays_from_its_event() -> None:
    issued = Reminder.issue(PLAN, (), AT)
    (event,) = issued.collect_events()
    replayed = event.mutate(None)
    assert vars(replayed) == {**vars(issued), "_pending_events": []}
    assert replayed.channels == ("inbox",) and replayed.attempts == {}

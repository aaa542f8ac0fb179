"""The reminders sweep stores one chunk while it plans the next: every reminder is stored once,
whatever chunk it falls in or how often it is planned, and a chunk that fails to store stops
the sweep with its error (the chunks before it stay stored)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

import pytest

from application.context import system_context
from application.queries.reminders import ReminderQuery
from application.reminders import issuing
from domain.reminder import Reminder
from tests.integration.helpers import REGISTRAR, code, profile

SWEEP = system_context("daily-sweep", "reminder-chunks-test")
DAY = date(2025, 5, 24)  # a week before the 2024 reports' deadline


def organizations_due(system: Any, clock: Any, n: int) -> None:
    clock.current = datetime(2025, 1, 6, 9, tzinfo=clock.current.tzinfo)
    for i in range(n):
        system.organizations.register_organization(REGISTRAR, profile(f"铜陵市第{i}协会"), code(i + 1), date(2015, 6, 1))
    system.inspections.open_campaign(REGISTRAR, 2024, "3407")
    clock.move_to(DAY, 9)


def stored(system: Any) -> int:
    return int(system.reminder_view.reminders(ReminderQuery(per_page=200)).total)


def test_a_reminder_planned_again_in_a_later_chunk_is_stored_once(system, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    organizations_due(system, clock, 7)
    plans = system.reminders.plan(DAY)
    assert len(plans) == 7
    monkeypatch.setattr(issuing, "ISSUE_BATCH", 3)
    # chunks [0 1 2] [3 4 2] [5 6 4]: each repeat in the chunk after its first, which may still be storing
    again = [plans[i] for i in (0, 1, 2, 3, 4, 2, 5, 6, 4)]
    monkeypatch.setattr(system.reminders, "_planned", lambda as_of: iter(again))
    assert system.reminders.issue(SWEEP, DAY) == {"planned": 9, "issued": 7, "already_issued": 2}
    assert stored(system) == 7
    assert system.reminders.issue(SWEEP, DAY) == {"planned": 9, "issued": 0, "already_issued": 9}
    assert stored(system) == 7


def test_a_chunk_that_fails_to_store_stops_the_sweep_with_its_error(system, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    organizations_due(system, clock, 7)
    monkeypatch.setattr(issuing, "ISSUE_BATCH", 3)
    store = system.reminders._store
    calls: list[int] = []

    def failing_second(*args: Any) -> int:
        calls.append(len(args[1]))
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return int(store(*args))

    monkeypatch.setattr(system.reminders, "_store", failing_second)
    with pytest.raises(RuntimeError, match="went away"):
        system.reminders.issue(SWEEP, DAY)
    assert stored(system) == 3  # the first chunk; the third was never stored
    assert calls == [3, 3]
    monkeypatch.setattr(system.reminders, "_store", store)
    assert system.reminders.issue(SWEEP, DAY) == {"planned": 7, "issued": 4, "already_issued": 3}


def test_reminders_issued_under_their_old_ids_are_not_issued_again(system, clock) -> None:  # type: ignore[no-untyped-def]
    """Before their ids followed their subjects, a reminder's id was a uuid5 of the same key: a
    database holding such reminders must not get them again under the new ids."""
    organizations_due(system, clock, 4)
    plans = system.reminders.plan(DAY)
    old_namespace = UUID("9d7e4c2a-1b3f-4e8d-a6c5-7f2e9b1d4a60")
    for plan in plans[:3]:
        plan.__dict__["id"] = uuid5(old_namespace, f"{plan.kind}|{plan.subject_id}|{plan.recipient}|{plan.period}|{plan.offset}")
        system.store.save(Reminder.issue(plan, (), SWEEP.provenance(clock.now(), effective_on=DAY)))
    assert stored(system) == 3
    assert system.reminders.issue(SWEEP, DAY) == {"planned": 4, "issued": 1, "already_issued": 3}
    listed = system.reminder_view.reminders(ReminderQuery(per_page=200)).items
    assert sorted(r.subject_id for r in listed) == sorted(p.subject_id for p in plans)  # each organization once
    assert system.reminders.issue(SWEEP, DAY) == {"planned": 4, "issued": 0, "already_issued": 4}

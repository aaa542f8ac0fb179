"""Two instances on one PostgreSQL sweeping the same date at the same time: one sweeps (the
advisory lock), the other skips; run one after the other, the second finds nothing to do.
Either way every reminder and every "missed" exists exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime

import pytest

from infra.wiring import build_system
from interfaces.scheduler import daily_sweep
from tests.integration.helpers import REGISTRAR, code, profile
from tests.support.fakes import CountingIds, CountingTokens

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def test_two_instances_sweeping_the_same_day_duplicate_nothing(settings, clock) -> None:
    clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
    first = build_system(settings, clock=clock, ids=CountingIds(1), tokens=CountingTokens())
    second = build_system(settings, clock=clock, ids=CountingIds(2), tokens=CountingTokens())
    try:
        for n in range(1, 21):
            org = first.registry.register_organization(REGISTRAR, profile(f"铜陵市第{n}协会"), code(n), date(2015, 6, 1))
            first.accounts.add_user(f"org-{n}", "a-long-password", "organization", f"第{n}协会", org.id)
        first.inspections.open_campaign(REGISTRAR, 2025, "3407")
        for day in (date(2026, 5, 24), date(2026, 6, 1)):  # D-7: 20 reminders; D+1: 20 missed, 20 overdue reminders
            clock.move_to(day, 1)
            threads = [threading.Thread(target=daily_sweep, args=(s,)) for s in (first, second)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            daily_sweep(second)  # and once more, one after the other
        issued = Counter()
        missed = Counter()
        for n in first.registry.recorder.select_notifications(start=1, limit=10_000):
            if n.topic.endswith("Reminder.Issued"):
                issued[n.originator_id] += 1
            if n.topic.endswith("Inspection.Missed"):
                missed[n.originator_id] += 1
        assert len(issued) == 40 and set(issued.values()) == {1}
        assert len(missed) == 20 and set(missed.values()) == {1}
        second.reminder_view.catch_up()
        from application.queries import ReminderQuery

        assert second.reminder_view.reminders(ReminderQuery()).total == 40
    finally:
        first.close()
        second.close()

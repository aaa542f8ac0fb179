"""Whether a reminder's task is done, asked at each delivery attempt: a pure function of what
the read models say (here a fake view holding the facts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from application.context import system_context
from application.reminders.completion import task_done
from domain.errors import InvalidTransition
from domain.reminder import PlannedReminder, Reminder

AT = system_context("test", "task-done").provenance(datetime(2026, 5, 24, 1, tzinfo=UTC))


@dataclass
class Facts:
    """The answers of the read models' PlanningView, kept in dicts."""

    filed: dict[tuple[UUID, int], date] = field(default_factory=dict)
    submitted: set[tuple[UUID, str]] = field(default_factory=set)
    open: dict[UUID, int] = field(default_factory=dict)
    reported: dict[tuple[UUID, str], date] = field(default_factory=dict)
    removed: dict[tuple[UUID, date], date] = field(default_factory=dict)
    vacated: set[tuple[UUID, str]] = field(default_factory=set)

    def report_filed_on(self, organization_id: UUID, report_year: int) -> date | None:
        return self.filed.get((organization_id, report_year))

    def sheet_submitted(self, case_id: UUID, user_id: str) -> bool:
        return (case_id, user_id) in self.submitted

    def seat_vacated(self, case_id: UUID, user_id: str) -> bool:
        return (case_id, user_id) in self.vacated

    def open_sheets(self, case_id: UUID) -> int:
        return self.open.get(case_id, 2)

    def milestone_reported_on(self, project_id: UUID, milestone: str) -> date | None:
        return self.reported.get((project_id, milestone))

    def listing_removed_on(self, organization_id: UUID, listed_on: date) -> date | None:
        return self.removed.get((organization_id, listed_on))


def reminder(kind: str, subject: UUID, recipient: str, period: str) -> Reminder:
    plan = PlannedReminder(kind, subject, recipient, period, "7", date(2026, 5, 31), "提醒", "reminder")
    return Reminder.issue(plan, ("email",), AT)


SUBJECT = uuid4()
CASES = [  # (kind, recipient, period, the fact that makes it done, the reason)
    ("inspection_due", "organization:x", "2025", lambda f: f.filed.update({(SUBJECT, 2025): date(2026, 5, 20)}), "report_filed"),
    (
        "inspection_overdue",
        "organization:x",
        "2025",
        lambda f: f.filed.update({(SUBJECT, 2025): date(2026, 6, 3)}),
        "report_filed",
    ),
    ("scores_due", "user:expert-1", "2026-06-30", lambda f: f.submitted.add((SUBJECT, "expert-1")), "sheet_submitted"),
    ("scores_due", "user:expert-1", "2026-06-30", lambda f: f.vacated.add((SUBJECT, "expert-1")), "seat_vacated"),
    ("scores_overdue", "user:chair-1", "2026-06-30", lambda f: f.open.update({SUBJECT: 0}), "sheets_complete"),
    (
        "milestone_due",
        "organization:x",
        "mid_term",
        lambda f: f.reported.update({(SUBJECT, "mid_term"): date(2026, 5, 1)}),
        "milestone_reported",
    ),
    (
        "milestone_overdue",
        "organization:x",
        "closing",
        lambda f: f.reported.update({(SUBJECT, "closing"): date(2026, 5, 1)}),
        "milestone_reported",
    ),
    (
        "credit_escalation",
        "organization:x",
        "2024-06-01",
        lambda f: f.removed.update({(SUBJECT, date(2024, 6, 1)): date(2026, 5, 2)}),
        "listing_removed",
    ),
]


@pytest.mark.parametrize(("kind", "recipient", "period", "make_done", "reason"), CASES, ids=[c[0] for c in CASES])
def test_a_reminder_is_done_exactly_when_its_task_is(kind, recipient, period, make_done, reason) -> None:  # type: ignore[no-untyped-def]
    facts = Facts()
    assert task_done(reminder(kind, SUBJECT, recipient, period), facts) is None
    make_done(facts)
    done = task_done(reminder(kind, SUBJECT, recipient, period), facts)
    assert done is not None and done[0] == reason
    assert done[1].endswith("提醒已取消。") and done[2].endswith("the reminder was cancelled.")


def test_the_task_of_another_year_case_or_person_does_not_cancel() -> None:
    facts = Facts(filed={(SUBJECT, 2024): date(2025, 5, 1)}, submitted={(SUBJECT, "expert-2")})
    assert task_done(reminder("inspection_due", SUBJECT, "organization:x", "2025"), facts) is None
    assert task_done(reminder("scores_due", SUBJECT, "user:expert-1", "2026-06-30"), facts) is None
    assert task_done(reminder("inspection_due", uuid4(), "organization:x", "2024"), facts) is None


def test_reminders_about_dates_are_never_done() -> None:
    facts = Facts(open={SUBJECT: 0})
    assert task_done(reminder("grade_expiring", SUBJECT, "organization:x", "4A:2026-12-31"), facts) is None
    assert task_done(reminder("announcement_ending", SUBJECT, "user:chair-1", "2026-07-10"), facts) is None


def test_a_cancelled_reminder_has_nothing_pending_and_cannot_be_retried() -> None:
    r = reminder("inspection_due", SUBJECT, "organization:x", "2025")
    r.cancel("report_filed", "已报送", "filed", AT)
    r.cancel("report_filed", "已报送", "filed", AT)  # once is enough
    assert not r.pending("email") and r.cancelled == ("report_filed", "已报送", "filed")
    assert [type(e).__name__ for e in r.collect_events()] == ["Issued", "Cancelled"]
    with pytest.raises(InvalidTransition):
        r.retry("email", AT)

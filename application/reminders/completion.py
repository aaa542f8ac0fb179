"""Whether the task a reminder is about is done, asked at each delivery attempt: then the
reminder is cancelled with the reason instead of sent."""

from __future__ import annotations

from datetime import date

from application.ports import PlanningView
from application.reminders.planning import MILESTONE_NAMES
from domain.reminder import Reminder

# Why a reminder is not sent any more: its task was done before the attempt (code, zh, en).
DONE_TEXTS: dict[str, tuple[str, str]] = {
    "report_filed": (
        "{year}年度工作报告已于{on}报送,提醒已取消。",
        "The {year} annual report was filed on {on}; the reminder was cancelled.",
    ),
    "sheet_submitted": ("评分表已提交,提醒已取消。", "The score sheet was submitted; the reminder was cancelled."),
    "seat_vacated": (
        "您已不在该评估的专家组中(回避或已被替换),提醒已取消。",
        "You no longer sit on this case's panel (recused or replaced); the reminder was cancelled.",
    ),
    "sheets_complete": (
        "评分表已全部提交或评分已结束,提醒已取消。",
        "Every score sheet is in or scoring is over; the reminder was cancelled.",
    ),
    "milestone_reported": (
        "{report}已于{on}提交,提醒已取消。",
        "The {report_en} was handed in on {on}; the reminder was cancelled.",
    ),
    "complaint_triaged": ("已作出受理决定,提醒已取消。", "The complaint was triaged; the reminder was cancelled."),
    "complaint_answered": ("已答复投诉人,提醒已取消。", "The complainant was answered; the reminder was cancelled."),
    "listing_removed": (
        "已于{on}移出活动异常名录,提醒已取消。",
        "The organization was removed from the abnormal-activity list on {on}; the reminder was cancelled.",
    ),
}


def task_done(reminder: Reminder, view: PlanningView) -> tuple[str, str, str] | None:
    """(reason, zh, en) when the task the reminder is about is done — the report filed, the sheet
    submitted, the milestone reported, the listing removed — read from the read models; else None.
    Grade expiry and announcement reminders are about dates, not tasks: never done."""
    kind, subject = reminder.kind, reminder.subject_id
    values: dict[str, object]
    if kind in ("inspection_due", "inspection_overdue"):
        filed = view.report_filed_on(subject, int(reminder.period))
        reason, values = "report_filed", {"year": reminder.period, "on": filed}
        found = filed is not None
    elif kind == "scores_due":
        user = reminder.recipient.removeprefix("user:")
        reason, values = "sheet_submitted", {}
        found = view.sheet_submitted(subject, user)
        if not found and view.seat_vacated(subject, user):  # the seat and its reminders went to a replacement
            reason, found = "seat_vacated", True
    elif kind == "scores_overdue":
        reason, values = "sheets_complete", {}
        found = view.open_sheets(subject) == 0
    elif kind in ("milestone_due", "milestone_overdue"):
        reported = view.milestone_reported_on(subject, reminder.period)
        zh, en = MILESTONE_NAMES.get(reminder.period, (reminder.period, reminder.period))
        reason, values = "milestone_reported", {"report": zh, "report_en": en, "on": reported}
        found = reported is not None
    elif kind == "credit_escalation":
        removed = view.listing_removed_on(subject, date.fromisoformat(reminder.period))
        reason, values = "listing_removed", {"on": removed}
        found = removed is not None
    elif kind in ("complaint_due", "complaint_overdue"):
        step = reminder.period.split(":", 1)[0]
        reason, values = f"complaint_{'triaged' if step == 'triage' else 'answered'}", {}
        found = view.complaint_step_done(subject, step)
    else:
        return None
    if not found:
        return None
    zh, en = DONE_TEXTS[reason]
    return reason, zh.format(**values), en.format(**values)

"""Notices (通知): telling people what they wait for, the moment it happens — the chair that an appeal
was filed, the organization that its grade is announced or decided, that its report was reviewed or its
application decided, the registrars that a report came in. A notice is a Reminder issued by the use case
in the same transaction as the decision; its id comes from the decision's event (the subject's version),
so a retried command stores no second notice."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.provenance import Provenance
from domain.reminder import PlannedReminder, Reminder

NOTICES: dict[str, tuple[str, str]] = {
    "appeal_filed": (
        "{name}对评估结果申请复核,理由:{grounds}。请在{days}内(至{due})作出复核决定。",
        "{name} appealed against the evaluation result: {grounds}. Decide the appeal within {days_en} (by {due}).",
    ),
    "appeal_decided": (
        "您对评估结果的复核申请{outcome_zh}。理由:{decision}",
        "Your appeal against the evaluation result was {outcome_en}. Reasons: {decision}",
    ),
    "appeal_extended": (
        "您对{name}评估结果的复核申请,决定期限由{was}延长至{until}。理由:{reasons}",
        "The decision on your appeal against {name}'s result is now due on {until} (it was {was}). Reasons: {reasons}",
    ),
    "grade_announced": (
        "{name}的评估结果开始公示:拟评{result_zh}(总分{total}),公示期至{ends}。如有异议,请在公示期内申请复核。",
        "{name}'s evaluation result is announced: {result_en} (total {total}), until {ends}. Appeal within the period.",
    ),
    "grade_decided": (
        "{name}的评估结果已确认:{result_zh}。",
        "{name}'s evaluation result is final: {result_en}.",
    ),
    "report_submitted": (
        "{name}已报送{year}年度工作报告,等待审查。",
        "{name} filed its {year} annual report; it waits for review.",
    ),
    "extension_requested": (
        "{name}申请将{year}年度报告的报送期限延至{until},理由:{reason}。请作出准予或不予延期的决定。",
        "{name} asks for the {year} report's deadline to move to {until}: {reason}. Grant or refuse the extension.",
    ),
    "extension_decided": (
        "您的{year}年度报告延期申请{outcome_zh}。{detail_zh}理由:{reasons}",
        "Your request to extend the {year} report's deadline was {outcome_en}. {detail_en}Reasons: {reasons}",
    ),
    "milestone_extension_requested": (
        "项目“{title}”申请将{report}的提交期限延至{until},理由:{reason}。请作出准予或不予延期的决定。",
        "The project '{title}' asks for its {report_en} to be due on {until}: {reason}. Grant or refuse the extension.",
    ),
    "milestone_extension_decided": (
        "项目“{title}”的{report}延期申请{outcome_zh}。{detail_zh}理由:{reasons}",
        "The request to extend the {report_en} of '{title}' was {outcome_en}. {detail_en}Reasons: {reasons}",
    ),
    "report_reviewed": (
        "{name}的{year}年度工作报告已审查,年检结论:{outcome_zh}。",
        "{name}'s {year} annual report was reviewed: {outcome_en}.",
    ),
    "application_decided": (
        "项目“{title}”的资助申请{result_zh}。",
        "The funding application for '{title}' was {result_en}.",
    ),
}
OUTCOMES = {"pass": ("合格", "passed"), "basic_pass": ("基本合格", "basically passed"), "fail": ("不合格", "failed")}


def notice(
    kind: str, subject_id: UUID, recipient: str, occasion: str, on: date, provenance: Provenance, **values: Any
) -> Reminder:
    """`occasion`: what makes this notice one of a kind (the subject's version after the decision)."""
    zh, en = NOTICES[kind]
    told = PlannedReminder(kind, subject_id, recipient, occasion, "notice", on, zh.format(**values), en.format(**values))
    return Reminder.issue(told, (), provenance)


def registrars() -> str:
    """Every registrar's inbox: the reports of their organizations are theirs to review."""
    return "role:registrar"

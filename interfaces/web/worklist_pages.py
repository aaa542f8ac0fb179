"""我的工作台: where each role lands after signing in — what is theirs to do, with its deadline and a link to
where it is done. The evaluator's sheets due; the chair's cases by stage with their progress and next step;
the registrar's reports to review, appeals, dead letters and listings about to escalate; the organization's
own record, what is due and its applications; the auditor's integrity check and recent decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.response import Template

from application.desk import Desk
from application.queries.funding import ProjectQuery
from application.queries.reminders import ReminderQuery
from application.queries.spot_checks import SpotCheckQuery
from domain.provenance import Role
from domain.rules import add_years
from interfaces.common.commands import system_of
from interfaces.common.security import SIGNED_IN, Principal, require_role
from interfaces.web.pages import open_report_year

LIMIT = 50  # items per list; the lists' own pages hold the rest
OPEN_STAGES = ("open", "eligible", "scoring", "scoring_closed", "computed", "announced", "appealed", "appeal_decided")
# what the chair does next at each stage (a key of the message catalogs)
NEXT_STEP = {
    "open": "work.next.check_eligibility",
    "eligible": "work.next.assign_panel",
    "scoring": "work.next.wait_for_sheets",
    "scoring_closed": "work.next.compute",
    "computed": "work.next.announce",
    "announced": "work.next.wait_announcement",
    "appealed": "work.next.decide_appeal",
    "appeal_decided": "work.next.finalize",
}


@dataclass(frozen=True)
class CaseProgress:
    case: Any
    submitted: int
    panel: int
    quorum: bool
    next_step: str


class WorklistPages(Controller):
    include_in_schema = False

    @get("/work", sync_to_thread=True)
    def work(self, request: Request[Any, Any, Any]) -> Template:
        principal: Principal = request.user
        require_role(principal, SIGNED_IN)
        system = system_of(request)
        today = system.store.today()
        found: dict[str, Any] = {
            "role": principal.role.value,
            "today": today,
            "done": request.query_params.get("done") == "recused",
        }
        if principal.role is Role.EVALUATOR:
            found["sheets"] = [c for c in system.cases.assignments(principal.user_id) if c.stage == "scoring"][:LIMIT]
        if principal.role in (Role.EVALUATOR, Role.CHAIR):  # inspectors of random inspections are experts
            mine = SpotCheckQuery(inspector=principal.user_id, open_only=True, per_page=LIMIT)
            found["spot_checks"] = system.spot_checks.checks(mine).items
        if principal.role is Role.CHAIR:
            found["cases"] = _progress(system, system.cases.cases(chair_user_id=principal.user_id))
        if principal.role in (Role.REGISTRAR, Role.ADMIN):
            found |= _registrar(system, today)
        if principal.role is Role.ORGANIZATION and principal.organization_id:
            found |= _organization(system, principal.organization_id)
        if principal.role is Role.AUDITOR:
            found["recent"] = [c for c in system.cases.cases() if c.stage in ("finalized", "withdrawn")][-LIMIT:][::-1]
        return Template("worklist.html", context=found)


def _progress(system: Desk, cases: list[Any]) -> list[CaseProgress]:
    """Each open case with its sheets in of the active panel, whether that makes a quorum, and the next step."""
    shown = []
    for case in [c for c in cases if c.stage in OPEN_STAGES][:LIMIT]:
        active = [m for m in system.cases.members(case.id) if not m.recused]
        submitted = sum(1 for m in active if m.submitted)
        rule_id, _, version = case.rule_set.partition("@")
        rules = system.rules.get(rule_id, int(version)).evaluation
        quorum = bool(active) and rules.has_quorum(submitted, len(active))
        shown.append(CaseProgress(case, submitted, len(active), quorum, NEXT_STEP[case.stage]))
    return shown


def _registrar(system: Desk, today: date) -> dict[str, Any]:
    reports = system.compliance.awaiting_review(LIMIT)
    names = system.register_view.names([r.organization_id for r in reports])
    cases = system.cases.cases()
    dead = system.reminder_view.reminders(ReminderQuery(delivery_status="dead", per_page=1)).total
    return {
        "reports": [(r, names.get(r.organization_id, "")) for r in reports],
        "appeals": [c for c in cases if c.stage == "appealed"],
        "cases": _progress(system, cases),
        "dead_letters": dead,
        "escalating": _escalating(system, today),
    }


def _escalating(system: Desk, today: date) -> list[tuple[Any, str, date]]:
    """Abnormal listings that reach the serious list within the rule set's reminder horizon."""
    soon = []
    for org_id, listed_on, division in system.reminders.planning.abnormal_listings():
        rule_set = system.rules.for_division(division, today)
        escalates = add_years(listed_on, rule_set.credit.abnormal_escalation_years)
        horizon = max(rule_set.reminders.credit_escalation_days, default=0)
        if today <= escalates and (escalates - today).days <= horizon:
            soon.append((org_id, escalates))
    names = system.register_view.names([org_id for org_id, _ in soon])
    return sorted(((org_id, names.get(org_id, ""), on) for org_id, on in soon), key=lambda row: row[2])[:LIMIT]


def _organization(system: Desk, organization_id: UUID) -> dict[str, Any]:
    org = system.organizations.organization(organization_id)
    year = open_report_year(system, org)
    due = system.inspections.campaign_for(org, year).registration_authority_deadline if year else None
    inspections = system.compliance.inspections_of(organization_id)
    projects = system.funding_view.projects(ProjectQuery(organization_id=organization_id, per_page=LIMIT)).items
    return {
        "entry": system.register_view.get(organization_id),
        "open_year": year,
        "open_year_due": due,
        "inspections": [i for i in inspections if i.stage in ("draft", "submitted", "opinion_given", "correction_requested")]
        or inspections[:1],
        "projects": projects,
        "my_cases": [c for c in system.cases.cases(subject_id=organization_id) if c.stage in OPEN_STAGES],
    }

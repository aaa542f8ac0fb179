"""Funding pages (zh-CN first): rounds, a round's ranked projects and the organization's
application form, a project's tranches and milestones with the registrar's actions, and the
dashboards (SVG charts, CSV of each table behind a chart)."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Redirect, Template

from application.queries import ProjectQuery
from domain.errors import DomainError, InvalidValue
from domain.funding import BudgetLine, Milestone, ProjectApplication
from domain.provenance import Role
from interfaces.web.access import require_role
from interfaces.http.commands import context, system_of
from interfaces.http.funding import DASHBOARDS
from interfaces.http.problems import domain_status
from interfaces.http.security import STAFF, require_own_organization
from interfaces.web.charts import bar_chart
from interfaces.web.i18n import language, message_for, translate
from interfaces.web.forms import Form, amount, form_version

READERS = (*STAFF, Role.AUDITOR, Role.ORGANIZATION)


def budget_lines(text: str) -> tuple[BudgetLine, ...]:
    """One line per budget item: "item, amount" (a Chinese comma works too)."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        item, _, raw_amount = line.replace("\uff0c", ",").rpartition(",")  # a full-width comma too
        if not item.strip():
            raise InvalidValue("form.budget_line", f"预算行应为“科目,金额”:{line}", f"A budget line is 'item, amount': {line}")
        lines.append(BudgetLine(item.strip(), amount(raw_amount, "budget")))
    return tuple(lines)


# page action → (roles, use case)
ACTIONS: dict[str, tuple[tuple[Role, ...], Any]] = {
    "eligibility": (STAFF, lambda f, c, p, v, d: f.check_eligibility(c, p, v)),
    "award": (STAFF, lambda f, c, p, v, d: f.award(c, p, v, amount(d.get("amount", ""), "amount"))),
    "decline": (STAFF, lambda f, c, p, v, d: f.decline(c, p, v, d.get("reason", ""))),
    "agreement": (STAFF, lambda f, c, p, v, d: f.sign_agreement(c, p, v, d.get("agreement_no", ""))),
    "pay": (STAFF, lambda f, c, p, v, d: f.pay_tranche(c, p, v)),
    "report": ((*STAFF, Role.ORGANIZATION), lambda f, c, p, v, d: f.submit_report(
        c, p, v, Milestone(d.get("milestone") or "mid_term"), d.get("summary", ""))),
    "terminate": (STAFF, lambda f, c, p, v, d: f.terminate(c, p, v, d.get("reason", ""), d.get("breach") == "on")),
    "complete": (STAFF, lambda f, c, p, v, d: f.complete(c, p, v)),
}


class FundingPages(Controller):
    include_in_schema = False

    @get("/funding/", sync_to_thread=True)
    def rounds(self, request: Request[Any, Any, Any]) -> Template:
        require_role(request, READERS)
        return Template("funding.html", context={"rounds": system_of(request).funding_view.rounds()})

    @get("/funding/{round_id:uuid}", sync_to_thread=True)
    def round(self, request: Request[Any, Any, Any], round_id: UUID) -> Template:
        return self._round(request, round_id, None, 200)

    def _round(self, request: Request[Any, Any, Any], round_id: UUID, error: str | None, status: int,
               form: dict[str, str] | None = None) -> Template:
        require_role(request, READERS)
        system = system_of(request)
        funding_round = system.funding.funding_round(round_id)
        mine = request.user.role is Role.ORGANIZATION
        query = ProjectQuery(round_id=round_id, organization_id=request.user.organization_id if mine else None, per_page=200)
        return Template("round.html", status_code=status, context={
            "r": funding_round, "row": system.funding_view.round(round_id), "projects": system.funding_view.projects(query).items,
            "accepting": funding_round.accepts_applications(system.registry.today()), "is_org": mine,
            "error": error, "form": form or {},
        })

    @post("/funding/{round_id:uuid}/apply", sync_to_thread=True, status_code=303)
    def apply(self, request: Request[Any, Any, Any], round_id: UUID, data: Form) -> Response[Any]:
        require_role(request, (Role.ORGANIZATION,))
        try:
            application = ProjectApplication(
                data.get("title", ""), data.get("target_group", ""), data.get("plan", ""), data.get("expected_outputs", ""),
                budget_lines(data.get("budget", "")),
            )
            project = system_of(request).funding.apply(context(request), round_id, request.user.organization_id, application)
        except DomainError as e:
            return self._round(request, round_id, message_for(request, e), domain_status(e), data)
        return Redirect(f"/projects/{project.id}?saved=1", status_code=303)

    @get("/projects/{project_id:uuid}", sync_to_thread=True)
    def project(self, request: Request[Any, Any, Any], project_id: UUID) -> Template:
        return self._project(request, project_id, None, 200)

    def _project(self, request: Request[Any, Any, Any], project_id: UUID, error: str | None, status: int) -> Template:
        require_role(request, READERS)
        system = system_of(request)
        project = system.funding.project(project_id)
        require_own_organization(request.user, project.organization_id)
        return Template("project.html", status_code=status, context={
            "p": project, "r": system.funding.funding_round(project.round_id),
            "org": system.register.get(project.organization_id), "error": error,
            "is_staff": request.user.role in STAFF, "is_org": request.user.role is Role.ORGANIZATION,
            "saved": request.query_params.get("saved") == "1", "next": project.next_tranche(),
        })

    @post("/projects/{project_id:uuid}/act", sync_to_thread=True, status_code=303)
    def act(self, request: Request[Any, Any, Any], project_id: UUID, data: Form) -> Response[Any]:
        require_role(request, READERS)
        system = system_of(request)
        require_own_organization(request.user, system.funding.project(project_id).organization_id)
        roles, action = ACTIONS.get(data.get("action", ""), ((), None))
        if request.user.role not in roles:
            raise PermissionDeniedException("not allowed for this role")
        try:
            action(system.funding, context(request), project_id, form_version(data), data)
        except DomainError as e:
            return self._project(request, project_id, message_for(request, e), domain_status(e))
        return Redirect(f"/projects/{project_id}?saved=1", status_code=303)

    # -- dashboards --------------------------------------------------------------------------------
    @get("/dashboards/", sync_to_thread=True)
    def dashboards(self, request: Request[Any, Any, Any]) -> Template:
        require_role(request, (*STAFF, Role.AUDITOR))
        system, lang = system_of(request), language(request)
        charts = []
        for key in DASHBOARDS:
            table = system.funding_view.table(key)
            title = translate(lang, f"dash.{key}")
            charts.append({"key": key, "title": title, "table": table,
                           "svg": bar_chart(table, title, lambda name: translate(lang, f"series.{name}"))})
        return Template("dashboards.html", context={"charts": charts})

    @get("/dashboards/{key:str}/table.csv", sync_to_thread=True)
    def csv(self, request: Request[Any, Any, Any], key: str) -> Response[str]:
        require_role(request, (*STAFF, Role.AUDITOR))
        if key not in DASHBOARDS:
            raise NotFoundException(f"no dashboard table {key}")
        table = system_of(request).funding_view.table(key)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(table.columns)
        writer.writerows(table.rows)
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                        headers={"Content-Disposition": f'attachment; filename="{key}.csv"'})

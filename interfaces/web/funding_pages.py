"""Funding pages (zh-CN first): rounds, a round's ranked projects and the organization's
application form, a project's tranches and milestones with the registrar's actions, and the
dashboards (SVG charts, CSV of each table behind a chart)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Stream, Template

from application.funding import PROJECT_SLOTS
from application.queries.funding import ProjectQuery
from domain.documents import SLOTS
from domain.errors import DomainError, InvalidValue
from domain.funding import BudgetLine, Milestone, Project, ProjectApplication
from domain.provenance import Role
from interfaces.common.commands import context, system_of
from interfaces.common.documents import (
    DocumentOut,
    FileName,
    ProjectSubject,
    Sha256,
    SlotKey,
    attach_received,
    documents_out,
    download,
)
from interfaces.common.exports import DASHBOARDS, Format, table_download
from interfaces.common.problems import domain_status
from interfaces.common.security import SIGNED_IN, STAFF, require_own_organization, require_role
from interfaces.web.charts import bar_chart
from interfaces.web.confirm import BasisField, Confirmation, basis_from, confirm_then
from interfaces.web.forms import Form, amount, form_version
from interfaces.web.i18n import language, message_for, translate

READERS = (*STAFF, Role.AUDITOR, Role.ORGANIZATION)


def _subsidy_filters(request: Request[Any, Any, Any]) -> tuple[int | None, str | None]:
    raw = request.query_params.get("year", "").strip()
    year = int(raw) if raw.isdecimal() and 2000 <= int(raw) <= 2100 else None
    return year, (request.query_params.get("district") or "").strip()[:50] or None


PROJECT_SUBJECT_NAMES = {
    "application": ("申报材料", "application"),
    "milestone:mid_term": ("中期报告", "mid-term report"),
    "milestone:closing": ("结项报告", "closing report"),
}


def _project_slots(project: Project) -> list[dict[str, str]]:
    """The slots open now: the application's before its review, a milestone's before its report."""
    open_subjects = []
    for subject in PROJECT_SUBJECT_NAMES:
        try:
            project.check_can_attach(subject)
        except DomainError:
            continue
        open_subjects.append(subject)
    return [
        {"key": key, "zh": f"{SLOTS[key].zh}", "en": SLOTS[key].en, "subject": subject}
        for subject in open_subjects
        for key in PROJECT_SLOTS[subject.partition(":")[0]]
    ]


def _readable_project(request: Request[Any, Any, Any], project_id: UUID) -> Project:
    """Staff, auditors and the applicant read a project; its evaluators (panel and chair) too."""
    system = system_of(request)
    if request.user.role in (Role.EVALUATOR, Role.CHAIR):
        return system.funding.documents_of(context(request), project_id)
    require_role(request.user, READERS)
    project = system.funding.project(project_id)
    require_own_organization(request.user, project.organization_id)
    return project


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


def _milestone(form: dict[str, str]) -> Milestone:
    if form.get("milestone") not in [m.value for m in Milestone]:
        raise InvalidValue("form.milestone", "请选择哪一份报告", "Choose which report", missing=["milestone"])
    return Milestone(form["milestone"])


def _day(form: dict[str, str], field: str) -> date:
    try:
        return date.fromisoformat((form.get(field) or "").strip())
    except ValueError:
        raise InvalidValue("form.day", "请填写日期,如 2026-06-20", "Give a day such as 2026-06-20", missing=[field]) from None


# page action → (roles, use case)
ACTIONS: dict[str, tuple[tuple[Role, ...], Any]] = {
    "eligibility": (STAFF, lambda f, c, p, v, d: f.check_eligibility(c, p, v)),
    "award": (STAFF, lambda f, c, p, v, d: f.award(c, p, v, amount(d.get("amount", ""), "amount"))),
    "decline": (STAFF, lambda f, c, p, v, d: f.decline(c, p, v, d.get("reason", ""))),
    "agreement": (STAFF, lambda f, c, p, v, d: f.sign_agreement(c, p, v, d.get("agreement_no", ""))),
    "pay": (STAFF, lambda f, c, p, v, d: f.pay_tranche(c, p, v)),
    "report": (
        (*STAFF, Role.ORGANIZATION),
        lambda f, c, p, v, d: f.submit_report(c, p, v, Milestone(d.get("milestone") or "mid_term"), d.get("summary", "")),
    ),
    "extension_request": (
        (*STAFF, Role.ORGANIZATION),
        lambda f, c, p, v, d: f.request_extension(c, p, v, _milestone(d), _day(d, "until"), d.get("reason", "")),
    ),
    "extension_decision": (
        STAFF,
        lambda f, c, p, v, d: f.decide_extension(
            c,
            p,
            v,
            _milestone(d),
            d.get("granted") == "yes",
            _day(d, "until") if d.get("granted") == "yes" else None,
            d.get("reasons", ""),
        ),
    ),
    "terminate": (STAFF, lambda f, c, p, v, d: f.terminate(c, p, v, d.get("reason", ""), d.get("breach") == "on")),
    "complete": (STAFF, lambda f, c, p, v, d: f.complete(c, p, v)),
}


def project_page(
    request: Request[Any, Any, Any], project_id: UUID, error: str | None, status: int, form: dict[str, str] | None = None
) -> Template:
    system = system_of(request)
    project = _readable_project(request, project_id)
    may_file = request.user.role in (*STAFF, Role.ORGANIZATION)
    docs = documents_out((), project.documents, project.version)
    preview = next((d for d in docs.documents if d.sha256 == request.query_params.get("preview") and d.previewable), None)
    return Template(
        "project.html",
        status_code=status,
        context={
            "p": project,
            "r": system.funding.funding_round(project.round_id),
            "org": system.register_view.get(project.organization_id),
            "error": error,
            "is_staff": request.user.role in STAFF,
            "is_org": request.user.role is Role.ORGANIZATION,
            "saved": request.query_params.get("saved") == "1",
            "done": request.query_params.get("done") == "terminate",
            "next": project.next_tranche(),
            "docs": docs,
            "preview": preview,
            "page_url": f"/projects/{project.id}",
            "doc_base": f"/projects/{project.id}/documents",
            "slots": _project_slots(project) if may_file else [],
            "docs_editable": may_file and bool(_project_slots(project)),
            "subject_names": PROJECT_SUBJECT_NAMES,
            "form": form or {},  # what was typed, back after a refusal
            "today": system.store.today(),
            "open_milestones": [m for m in Milestone if m in project.due and m not in project.reports],  # in order
        },
    )


class ProjectDocumentPages(Controller):
    """The project page's documents: upload (progress bar, drag-and-drop), download, withdrawal."""

    include_in_schema = False
    path = "/projects/{project_id:uuid}/documents"

    @post("/", request_max_body_size=None, status_code=201)
    async def upload(
        self, request: Request[Any, Any, Any], project_id: UUID, subject: ProjectSubject, slot: SlotKey, name: FileName = ""
    ) -> DocumentOut:
        require_role(request.user, (*STAFF, Role.ORGANIZATION))
        system, ctx = system_of(request), context(request)
        return DocumentOut.of(
            await attach_received(
                request,
                lambda: system.funding.check_attach(ctx, project_id, subject, slot),
                lambda upload: system.funding.attach_document(ctx, project_id, subject, slot, upload, name),
                subject,
            )
        )

    @get("/{sha256:str}", sync_to_thread=True)
    def document(self, request: Request[Any, Any, Any], project_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        require_role(request.user, SIGNED_IN)
        return download(request, system_of(request).funding.document(context(request), project_id, sha256), inline)

    @post("/{sha256:str}/withdrawal", sync_to_thread=True, status_code=303)
    def withdraw(self, request: Request[Any, Any, Any], project_id: UUID, sha256: Sha256, data: Form) -> Response[Any]:
        require_role(request.user, (*STAFF, Role.ORGANIZATION))
        system = system_of(request)
        try:
            system.funding.withdraw_document(
                context(request), project_id, data.get("subject", ""), data.get("slot", ""), sha256, data.get("reason", "")
            )
        except DomainError as e:
            return project_page(request, project_id, message_for(request, e), domain_status(e))
        return Redirect(f"/projects/{project_id}?saved=1", status_code=303)


class FundingPages(Controller):
    include_in_schema = False

    @get("/funding/", sync_to_thread=True)
    def rounds(self, request: Request[Any, Any, Any]) -> Template:
        require_role(request.user, READERS)
        return Template("funding.html", context={"rounds": system_of(request).funding_view.rounds()})

    @get("/funding/subsidies", sync_to_thread=True)
    def subsidies(self, request: Request[Any, Any, Any]) -> Template:
        """资金扶持: each subsidy granted, filtered by year and district, and downloadable as filtered."""
        require_role(request.user, (*STAFF, Role.AUDITOR))
        year, district = _subsidy_filters(request)
        rows = system_of(request).funding_view.subsidies(year, district)
        return Template(
            "subsidies.html",
            context={"rows": rows, "year": year, "district": district or "", "query": request.url.query},
        )

    @get("/funding/subsidies/download", sync_to_thread=True)
    def subsidies_download(self, request: Request[Any, Any, Any], format: Format = "xlsx") -> Response[bytes]:
        require_role(request.user, (*STAFF, Role.AUDITOR))
        year, district = _subsidy_filters(request)
        lang = language(request)
        rows = [
            [
                s.year,
                s.organization_name,
                s.district,
                translate(lang, f"subsidy.kind.{s.kind}"),
                s.rule_key,
                s.amount,
                "; ".join(s.reasons),
            ]
            for s in system_of(request).funding_view.subsidies(year, district)
        ]
        header = [
            translate(lang, f"subsidy.col.{c}") for c in ("year", "organization", "district", "kind", "rule", "amount", "reasons")
        ]
        return table_download("subsidies", translate(lang, "subsidy.title"), header, rows, format)

    @get("/funding/{round_id:uuid}", sync_to_thread=True)
    def round(self, request: Request[Any, Any, Any], round_id: UUID) -> Template:
        return self._round(request, round_id, None, 200)

    def _round(
        self, request: Request[Any, Any, Any], round_id: UUID, error: str | None, status: int, form: dict[str, str] | None = None
    ) -> Template:
        require_role(request.user, READERS)
        system = system_of(request)
        funding_round = system.funding.funding_round(round_id)
        mine = request.user.role is Role.ORGANIZATION
        query = ProjectQuery(round_id=round_id, organization_id=request.user.organization_id if mine else None, per_page=200)
        return Template(
            "round.html",
            status_code=status,
            context={
                "r": funding_round,
                "row": system.funding_view.round(round_id),
                "projects": system.funding_view.projects(query).items,
                "accepting": funding_round.accepts_applications(system.store.today()),
                "is_org": mine,
                "error": error,
                "form": form or {},
            },
        )

    @post("/funding/{round_id:uuid}/apply", sync_to_thread=True, status_code=303)
    def apply(self, request: Request[Any, Any, Any], round_id: UUID, data: Form) -> Response[Any]:
        require_role(request.user, (Role.ORGANIZATION,))
        try:
            application = ProjectApplication(
                data.get("title", ""),
                data.get("target_group", ""),
                data.get("plan", ""),
                data.get("expected_outputs", ""),
                budget_lines(data.get("budget", "")),
            )
            project = system_of(request).funding.apply(context(request), round_id, request.user.organization_id, application)
        except DomainError as e:
            return self._round(request, round_id, message_for(request, e), domain_status(e), data)
        return Redirect(f"/projects/{project.id}?saved=1", status_code=303)

    @get("/projects/{project_id:uuid}", sync_to_thread=True)
    def project(self, request: Request[Any, Any, Any], project_id: UUID) -> Template:
        return self._project(request, project_id, None, 200)

    def _project(
        self,
        request: Request[Any, Any, Any],
        project_id: UUID,
        error: str | None,
        status: int,
        form: dict[str, str] | None = None,
    ) -> Template:
        return project_page(request, project_id, error, status, form)

    @post("/projects/{project_id:uuid}/act", sync_to_thread=True, status_code=303)
    def act(self, request: Request[Any, Any, Any], project_id: UUID, data: Form) -> Response[Any]:
        require_role(request.user, READERS)
        system = system_of(request)
        require_own_organization(request.user, system.funding.project(project_id).organization_id)
        roles, action = ACTIONS.get(data.get("action", ""), ((), None))
        require_role(request.user, roles)
        if data.get("action") == "terminate":
            return self._terminate(request, project_id, data)
        try:
            action(system.funding, context(request), project_id, form_version(data), data)
        except DomainError as e:  # the forms come back as typed
            return self._project(request, project_id, message_for(request, e), domain_status(e), data)
        return Redirect(f"/projects/{project_id}?saved=1", status_code=303)

    def _terminate(self, request: Request[Any, Any, Any], project_id: UUID, data: dict[str, str]) -> Response[Any]:
        """终止项目 cannot be taken back: confirmed on a page that says what follows, with its reason."""
        lang = language(request)
        breach = data.get("breach") == "on"
        consequence = "fund.confirm.terminate.breach" if breach else "fund.confirm.terminate.consequence"
        page = Confirmation(
            title=translate(lang, "fund.confirm.terminate.title"),
            consequence=translate(lang, consequence),
            audience=translate(lang, "fund.confirm.terminate.audience"),
            action_url=f"/projects/{project_id}/act",
            back_url=f"/projects/{project_id}",
            back_label=translate(lang, "fund.confirm.back"),
            confirm_label=translate(lang, "fund.confirm.terminate.button"),
            hidden={"action": "terminate", "version": data.get("version", ""), "breach": data.get("breach", "")},
            fields=(BasisField("reason", translate(lang, "fund.confirm.terminate.reason"), long=True),),
        )
        ctx = context(request, basis_from(data))

        def terminate() -> None:
            ACTIONS["terminate"][1](system_of(request).funding, ctx, project_id, form_version(data), data)

        return confirm_then(request, page, data, terminate, f"/projects/{project_id}?done=terminate")

    # -- dashboards --------------------------------------------------------------------------------
    @get("/dashboards/", sync_to_thread=True)
    def dashboards(self, request: Request[Any, Any, Any]) -> Template:
        require_role(request.user, (*STAFF, Role.AUDITOR))
        system, lang = system_of(request), language(request)
        charts = []
        for key in DASHBOARDS:
            table = system.dashboards.table(key)
            title = translate(lang, f"dash.{key}")
            charts.append(
                {
                    "key": key,
                    "title": title,
                    "table": table,
                    "svg": bar_chart(table, title, lambda name: translate(lang, f"series.{name}")),
                }
            )
        return Template("dashboards.html", context={"charts": charts})

    # One handler per path: Litestar wraps a sync handler declared on two paths twice.
    @get("/dashboards/{key:str}/table.csv", sync_to_thread=True)
    def dashboard_csv(self, request: Request[Any, Any, Any], key: str) -> Response[bytes]:
        return _dashboard_table(request, key, "csv")

    @get("/dashboards/{key:str}/table.xlsx", sync_to_thread=True)
    def dashboard_xlsx(self, request: Request[Any, Any, Any], key: str) -> Response[bytes]:
        return _dashboard_table(request, key, "xlsx")


def _dashboard_table(request: Request[Any, Any, Any], key: str, fmt: Format) -> Response[bytes]:
    """A chart's figures as a file, headers in the page's language."""
    require_role(request.user, (*STAFF, Role.AUDITOR))
    if key not in DASHBOARDS:
        raise NotFoundException(f"no dashboard table {key}")
    table = system_of(request).dashboards.table(key)
    lang = language(request)
    header = [translate(lang, f"col.{c}") for c in table.columns]
    return table_download(key, translate(lang, f"dash.{key}"), header, table.rows, fmt)

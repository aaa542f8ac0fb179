"""Annual-report pages (zh-CN first): the organization drafts and submits its report; the
registrar gives the preliminary opinion, asks for correction or reviews. Every form carries
the version it was rendered from, so a stale form is refused with a clear message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Stream, Template

from application.errors import NotFound
from application.inspections import REPORT_SLOTS
from domain.documents import SLOTS
from domain.errors import DomainError, InvalidValue
from domain.inspection import AnnualReport, Outcome
from domain.provenance import Role
from interfaces.common.commands import context, system_of
from interfaces.common.documents import DocumentOut, FileName, Sha256, SlotKey, documents_out, download, receive
from interfaces.common.problems import domain_status
from interfaces.common.security import READERS_OF_HISTORY, STAFF, require_own_organization, require_role
from interfaces.web.confirm import BasisField, Confirmation, basis_from, confirm_then, effective_field
from interfaces.web.forms import Form, amount, form_version
from interfaces.web.i18n import language, message_for, translate

Year = Annotated[int, Parameter(ge=1990, le=2100)]


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _amount(form: dict[str, str], field: str) -> Decimal:
    return amount(form.get(field, ""), field)


def _count(form: dict[str, str], field: str) -> int:
    raw = form.get(field, "").strip()
    if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 12):
        raise InvalidValue(f"form.{field}", f"「{raw}」不是有效的人数", f"{field}: '{raw}' is not a whole number")
    return int(raw)


def report_from(form: dict[str, str]) -> AnnualReport:
    return AnnualReport(
        activities=form.get("activities", ""),
        income=_amount(form, "income"),
        expenditure=_amount(form, "expenditure"),
        net_assets=_amount(form, "net_assets"),
        staff=_count(form, "staff"),
        volunteers=_count(form, "volunteers"),
        party_organization=form.get("party_organization") == "on",
        major_changes=form.get("major_changes", ""),
        declarations=_lines(form.get("declarations", "")),
    )


# page action → the use case (each checks the stage; the roles are checked below); submitting is the
# report form's own button, so that what is submitted is what the form shows
ACTIONS: dict[str, tuple[tuple[Role, ...], Any]] = {
    "withdraw": ((*STAFF, Role.ORGANIZATION), lambda s, c, o, y, v, f: s.withdraw_report(c, o, y, v)),
    "opinion": (STAFF, lambda s, c, o, y, v, f: s.give_preliminary_opinion(c, o, y, v, f.get("opinion", ""))),
    "correction": (STAFF, lambda s, c, o, y, v, f: s.request_correction(c, o, y, v, _lines(f.get("reasons", "")))),
    "review": (
        STAFF,
        lambda s, c, o, y, v, f: s.review(c, o, y, v, _chosen_outcome(f), _lines(f.get("reasons", ""))),
    ),
    # 延期: the organization asks (or a registrar enters a request made on paper); a registrar decides
    "extension_request": (
        (*STAFF, Role.ORGANIZATION),
        lambda s, c, o, y, v, f: s.request_extension(c, o, y, v, _day(f, "until"), f.get("reason", "")),
    ),
    "extension_decision": (
        STAFF,
        lambda s, c, o, y, v, f: s.decide_extension(
            c, o, y, v, f.get("granted") == "yes", _day(f, "until") if f.get("granted") == "yes" else None, f.get("reasons", "")
        ),
    ),
}
EXTENSION_ACTIONS = ("extension_request", "extension_decision")


def _day(form: dict[str, str], field: str) -> date:
    raw = (form.get(field) or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidValue("form.day", "请填写日期,如 2026-06-20", "Give a day such as 2026-06-20", missing=[field]) from None


def _chosen_outcome(form: dict[str, str]) -> Outcome:
    """Nothing is preselected: the registrar chooses the conclusion."""
    if form.get("outcome") not in ("pass", "basic_pass", "fail"):
        raise InvalidValue("inspection.outcome", "请选择年检结论", "Choose the conclusion", missing=["outcome"])
    return Outcome(form["outcome"])


class InspectionPages(Controller):
    include_in_schema = False

    @get("/organizations/{organization_id:uuid}/inspections/{year:int}", sync_to_thread=True)
    def page(self, request: Request[Any, Any, Any], organization_id: UUID, year: Year) -> Template:
        return self._page(request, organization_id, year, None, 200)

    def _page(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        year: int,
        error: str | None,
        status: int,
        form: dict[str, str] | None = None,
    ) -> Template:
        return report_page(request, organization_id, year, error, status, form)

    @post("/organizations/{organization_id:uuid}/inspections/{year:int}/report", sync_to_thread=True, status_code=303)
    def save(self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: Form) -> Response[Any]:
        """One form, two buttons: 保存草稿 saves the draft; 提交报告 submits exactly what the form
        shows (drafted and submitted in one command). Refused, the form comes back as typed."""
        _filer(request, organization_id, (*STAFF, Role.ORGANIZATION))
        version = int(data["version"]) if data.get("version", "").isdecimal() else None
        inspections, ctx = system_of(request).inspections, context(request)
        try:
            if data.get("intent") == "submit":
                inspections.submit_report(ctx, organization_id, year, version, report_from(data))
            else:
                inspections.draft_report(ctx, organization_id, year, version, report_from(data))
        except DomainError as e:
            return report_page(request, organization_id, year, message_for(request, e), domain_status(e), data, field_of(e))
        saved = "submitted" if data.get("intent") == "submit" else "1"
        return Redirect(f"/organizations/{organization_id}/inspections/{year}?saved={saved}", status_code=303)

    @post("/organizations/{organization_id:uuid}/inspections/{year:int}/act", sync_to_thread=True, status_code=303)
    def act(self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: Form) -> Response[Any]:
        roles, action = ACTIONS.get(data.get("action", ""), ((), None))
        _filer(request, organization_id, roles)
        if data.get("action") == "review":
            return self._conclude(request, organization_id, year, data)
        try:
            if action is None:
                raise DomainError("form.invalid", "表单内容不完整", "The form is incomplete")
            action(system_of(request).inspections, context(request), organization_id, year, form_version(data), data)
        except DomainError as e:  # the extension forms come back as typed
            typed = data if data.get("action") in EXTENSION_ACTIONS else None
            return report_page(request, organization_id, year, message_for(request, e), domain_status(e), extension_form=typed)
        return Redirect(f"/organizations/{organization_id}/inspections/{year}?saved=1", status_code=303)

    def _conclude(self, request: Request[Any, Any, Any], organization_id: UUID, year: int, data: dict[str, str]) -> Response[Any]:
        """年检结论: confirmed on a page saying what the outcome brings and that the public sees it, with its 文号."""
        page = _conclusion_confirmation(request, organization_id, year, data)
        ctx = context(request, basis_from(data))

        def conclude() -> None:
            ACTIONS["review"][1](system_of(request).inspections, ctx, organization_id, year, form_version(data), data)

        return confirm_then(request, page, data, conclude, f"/organizations/{organization_id}/inspections/{year}?done=review")


def _conclusion_confirmation(
    request: Request[Any, Any, Any], organization_id: UUID, year: int, form: dict[str, str]
) -> Confirmation:
    lang = language(request)
    outcome = form.get("outcome") if form.get("outcome") in ("pass", "basic_pass", "fail") else "unchosen"
    return Confirmation(
        title=translate(lang, "insp.confirm.title", year=year),
        consequence=translate(lang, f"insp.confirm.{outcome}"),
        audience=translate(lang, "insp.confirm.audience"),
        action_url=f"/organizations/{organization_id}/inspections/{year}/act",
        back_url=f"/organizations/{organization_id}/inspections/{year}",
        back_label=translate(lang, "insp.confirm.back"),
        confirm_label=translate(lang, "insp.confirm.button"),
        hidden={"action": "review", "version": form.get("version", ""), "outcome": form.get("outcome", "")},
        fields=(
            BasisField("document_no", translate(lang, "field.document_no"), maxlength=100),
            BasisField("reasons", translate(lang, "insp.confirm.reasons"), required=outcome != "pass", long=True),
            effective_field(lang),
        ),
    )


REPORT_FIELDS = ("activities", "income", "expenditure", "net_assets", "staff", "volunteers")


def field_of(error: DomainError) -> str | None:
    """The form field a refusal is about (shown beside it), if it is about one."""
    named = error.details.get("field") or error.code.split(".", 1)[-1]
    if error.code == "report.activities_empty":
        named = "activities"
    return named if named in REPORT_FIELDS else None


def report_page(
    request: Request[Any, Any, Any],
    organization_id: UUID,
    year: int,
    error: str | None,
    status: int,
    form: dict[str, str] | None = None,
    error_field: str | None = None,
    extension_form: dict[str, str] | None = None,
) -> Template:
    _reader(request, organization_id)
    system = system_of(request)
    org = system.organizations.organization(organization_id)
    try:
        inspection = system.inspections.inspection(organization_id, year)
    except NotFound:
        inspection = None  # nothing filed yet: an empty form (if a campaign covers the year)
    try:
        required = system.inspections.required_documents(organization_id, year)
    except NotFound:
        required = ()  # no campaign covers the year
    docs = documents_out(required, inspection.documents if inspection else (), inspection.version if inspection else None)
    filing = system.inspections.filing(organization_id, year)
    preview = next((d for d in docs.documents if d.sha256 == request.query_params.get("preview") and d.previewable), None)
    return Template(
        "inspection.html",
        status_code=status,
        context={
            "org": org,
            "year": year,
            "i": inspection,
            "error": error,
            "form": form,
            "error_field": error_field,
            "filing": filing,
            "saved": request.query_params.get("saved") if request.query_params.get("saved") in ("1", "submitted") else None,
            "done": request.query_params.get("done") == "review",
            "is_staff": request.user.role in STAFF,
            "may_file": request.user.role in (*STAFF, Role.ORGANIZATION),
            "docs": docs,
            "preview": preview,
            "slots": [SLOTS[k] for k in REPORT_SLOTS],
            "ext": extension_form or {},
            "today": system.store.today(org.profile.division_code),
        },
    )


class InspectionDocumentPages(Controller):
    """The report page's documents: upload (XHR with a progress bar, drag-and-drop), download,
    preview and withdrawal, with the session and the CSRF token like every page."""

    include_in_schema = False
    path = "/organizations/{organization_id:uuid}/inspections/{year:int}/documents"

    @post("/", request_max_body_size=None, status_code=201)
    async def upload(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        year: Year,
        slot: SlotKey,
        name: FileName = "",
    ) -> DocumentOut:
        _filer(request, organization_id, (*STAFF, Role.ORGANIZATION))
        system, ctx = system_of(request), context(request)
        await anyio.to_thread.run_sync(lambda: system.inspections.check_attach(ctx, organization_id, year, slot))
        spooled = await receive(request)
        try:
            inspection, ref = await anyio.to_thread.run_sync(
                lambda: system.inspections.attach_document(ctx, organization_id, year, None, slot, spooled, file_name=name)
            )
        finally:
            spooled.discard()
        return DocumentOut.of(
            next(a for a in reversed(inspection.documents) if a.document.sha256 == ref.sha256 and a.slot == slot)
        )

    @get("/{sha256:str}", sync_to_thread=True)
    def document(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, sha256: Sha256, inline: bool = False
    ) -> Stream:
        _reader(request, organization_id)
        return download(request, system_of(request).inspections.document(organization_id, year, sha256), inline)

    @post("/{sha256:str}/withdrawal", sync_to_thread=True, status_code=303)
    def withdraw(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, sha256: Sha256, data: Form
    ) -> Response[Any]:
        _filer(request, organization_id, (*STAFF, Role.ORGANIZATION))
        try:
            system_of(request).inspections.withdraw_document(
                context(request),
                organization_id,
                year,
                form_version(data),
                data.get("slot", ""),
                sha256,
                reason=data.get("reason", ""),
            )
        except DomainError as e:
            return report_page(request, organization_id, year, message_for(request, e), domain_status(e))
        return Redirect(f"/organizations/{organization_id}/inspections/{year}?saved=1", status_code=303)


def _reader(request: Request[Any, Any, Any], organization_id: UUID) -> None:
    require_role(request.user, READERS_OF_HISTORY)
    require_own_organization(request.user, organization_id)


def _filer(request: Request[Any, Any, Any], organization_id: UUID, roles: tuple[Role, ...]) -> None:
    _reader(request, organization_id)
    require_role(request.user, roles)

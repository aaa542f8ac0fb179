"""投诉举报 on the pages: anyone files a complaint about an organization from its public card (no
sign-in), keeps the reference and follows the complaint by it; the registry lists complaints
(those waiting first, with the day their triage is due), triages and answers each on its page;
investigations show on the organization's page and close there with their finding."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Stream, Template

from application.errors import NotFound
from application.queries.complaints import ComplaintQuery
from domain.complaints import Finding, Triage
from domain.errors import DomainError, InvalidValue
from domain.provenance import Role
from interfaces.common.commands import context, system_of
from interfaces.common.documents import Sha256, download
from interfaces.common.problems import domain_status
from interfaces.common.security import STAFF, require_role
from interfaces.web.forms import Form
from interfaces.web.i18n import message_for
from interfaces.web.params import choice, page_number

Reference = Annotated[str, Parameter(max_length=40)]
FIELDS = ("name", "contact", "content")


def _version(form: dict[str, str]) -> int:
    if not form.get("version", "").isdecimal():
        raise InvalidValue("form.invalid", "表单内容不完整", "The form is incomplete")
    return int(form["version"])


class ComplaintPages(Controller):
    include_in_schema = False

    # -- the public: file and follow up ------------------------------------------------------------
    @get("/public/complaints/new", sync_to_thread=True)
    def form(self, request: Request[Any, Any, Any], organization: UUID) -> Template:
        return self._form(request, organization)

    @staticmethod
    def _form(
        request: Request[Any, Any, Any], organization: UUID, form: dict[str, str] | None = None, error: DomainError | None = None
    ) -> Template:
        entry = system_of(request).public.card(organization).organization
        field = str(error.details.get("field", "")) if error else ""
        return Template(
            "complaint_form.html",
            status_code=domain_status(error) if error else 200,
            context={
                "org": entry,
                "form": form or {},
                "error": message_for(request, error) if error else None,
                "error_field": field if field in FIELDS else None,
            },
        )

    @post("/public/complaints/new", sync_to_thread=True, status_code=303)
    def file(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        try:
            organization = UUID(data.get("organization", ""))
        except ValueError:
            raise NotFound("organization", data.get("organization", "")[:40]) from None
        address = request.client.host if request.client else None
        try:
            reference = system_of(request).complaints.file(
                context(request),
                organization,
                data.get("name", ""),
                data.get("contact", ""),
                data.get("content", ""),
                address=address,
            )
        except DomainError as e:  # the form again, as typed
            return self._form(request, organization, data, e)
        return Redirect(f"/public/complaints/{reference}?filed=1", status_code=303)

    @get("/public/complaints", sync_to_thread=True)
    def lookup(self, request: Request[Any, Any, Any], reference: Reference = "") -> Response[Any]:
        typed = reference.strip().upper()
        if typed:
            return Redirect(f"/public/complaints/{typed}", status_code=303)
        return Template("complaint_state.html", context={"c": None, "reference": ""})

    @get("/public/complaints/{reference:str}", sync_to_thread=True)
    def state(self, request: Request[Any, Any, Any], reference: Reference) -> Template:
        try:
            found = system_of(request).complaints.state(reference)
        except NotFound:
            return Template("complaint_state.html", status_code=404, context={"c": None, "reference": reference, "unknown": True})
        return Template(
            "complaint_state.html",
            context={
                "c": found,
                "reference": found.reference,
                "filed": request.query_params.get("filed") == "1",
                "saved": request.query_params.get("saved") == "1",
            },
        )

    # -- the registry: list, triage, answer ----------------------------------------------------------
    @get("/supervision/", sync_to_thread=True)
    def supervision(self, request: Request[Any, Any, Any]) -> Template:
        """监督检查: complaints waiting (for the registry) and random inspections, one menu entry."""
        require_role(request.user, (*STAFF, Role.AUDITOR))
        may_triage = request.user.role in STAFF
        waiting = system_of(request).complaints.search(ComplaintQuery("received")).total if may_triage else 0
        return Template("supervision.html", context={"may_triage": may_triage, "waiting": waiting})

    @get("/complaints", sync_to_thread=True)
    def complaints(self, request: Request[Any, Any, Any]) -> Template:
        require_role(request.user, STAFF)
        params = request.query_params
        stage: Any = choice(params, "state", ("received", "triaged", "answered"))
        result = system_of(request).complaints.search(ComplaintQuery(stage, None, page_number(params.get("page")), 20))
        return Template(
            "complaints.html",
            context={
                "result": result,
                "stage": stage,
                "today": system_of(request).store.today(),
                "page_link": lambda n: f"/complaints?page={n}" + (f"&state={stage}" if stage else ""),
            },
        )

    @get("/complaints/{complaint_id:uuid}", sync_to_thread=True)
    def complaint(self, request: Request[Any, Any, Any], complaint_id: UUID) -> Template:
        return self._complaint(request, complaint_id)

    @staticmethod
    def _complaint(
        request: Request[Any, Any, Any],
        complaint_id: UUID,
        error: DomainError | None = None,
        form: dict[str, str] | None = None,
    ) -> Template:
        require_role(request.user, STAFF)
        system = system_of(request)
        found = system.complaints.complaint(complaint_id)
        org = system.organizations.organization(found.organization_id)
        periods = system.rules.for_division(org.profile.division_code, system.store.today()).complaints
        return Template(
            "complaint.html",
            status_code=domain_status(error) if error else 200,
            context={
                "c": found,
                "org": org,
                "periods": periods,
                "error": message_for(request, error) if error else None,
                "form": form or {},
                "done": request.query_params.get("done"),
                "today": system.store.today(),
            },
        )

    @get("/complaints/{complaint_id:uuid}/documents/{sha256:str}", sync_to_thread=True)
    def document(self, request: Request[Any, Any, Any], complaint_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        """The complainant's material, for the registry (downloaded, never rendered)."""
        require_role(request.user, STAFF)
        return download(request, system_of(request).complaints.document(context(request), complaint_id, sha256), inline)

    @post("/complaints/{complaint_id:uuid}/triage", sync_to_thread=True, status_code=303)
    def triage(self, request: Request[Any, Any, Any], complaint_id: UUID, data: Form) -> Response[Any]:
        require_role(request.user, STAFF)
        try:
            if data.get("decision") not in [t.value for t in Triage]:
                raise InvalidValue("complaint.decision", "请选择受理决定", "Choose the decision", missing=["decision"])
            system_of(request).complaints.triage(
                context(request),
                complaint_id,
                _version(data),
                Triage(data["decision"]),
                data.get("reasons", ""),
                data.get("referred_to") or None,
                data.get("investigation_number") or None,
            )
        except DomainError as e:
            return self._complaint(request, complaint_id, e, data)
        return Redirect(f"/complaints/{complaint_id}?done=triage", status_code=303)

    @post("/complaints/{complaint_id:uuid}/answer", sync_to_thread=True, status_code=303)
    def answer(self, request: Request[Any, Any, Any], complaint_id: UUID, data: Form) -> Response[Any]:
        require_role(request.user, STAFF)
        try:
            system_of(request).complaints.answer(context(request), complaint_id, _version(data), data.get("answer", ""))
        except DomainError as e:
            return self._complaint(request, complaint_id, e, data)
        return Redirect(f"/complaints/{complaint_id}?done=answer", status_code=303)

    @get("/organizations/{organization_id:uuid}/investigations/closure", sync_to_thread=True)
    def closure(self, request: Request[Any, Any, Any], organization_id: UUID, number: str = "") -> Template:
        return self._closure(request, organization_id, {"number": number})

    @staticmethod
    def _closure(
        request: Request[Any, Any, Any], organization_id: UUID, form: dict[str, str], error: DomainError | None = None
    ) -> Template:
        require_role(request.user, STAFF)
        org = system_of(request).organizations.organization(organization_id)
        found = next((i for i in org.investigations if i.number == form.get("number")), None)
        if found is None:
            raise NotFound("investigation", form.get("number", "")[:60])
        return Template(
            "investigation_close.html",
            status_code=domain_status(error) if error else 200,
            context={"org": org, "i": found, "form": form, "error": message_for(request, error) if error else None},
        )

    @post("/organizations/{organization_id:uuid}/investigations/closure", sync_to_thread=True, status_code=303)
    def close(self, request: Request[Any, Any, Any], organization_id: UUID, data: Form) -> Response[Any]:
        """调查终结 with its finding; a refusal shows the form again as typed."""
        require_role(request.user, STAFF)
        try:
            if data.get("finding") not in [f.value for f in Finding]:
                raise InvalidValue("investigation.finding", "请选择调查结论", "Choose the finding", missing=["finding"])
            system_of(request).complaints.close_investigation(
                context(request),
                organization_id,
                _version(data),
                data.get("number", ""),
                Finding(data["finding"]),
                data.get("penalty_decision_no") or None,
                data.get("reasons", ""),
            )
        except DomainError as e:
            return self._closure(request, organization_id, data, e)
        return Redirect(f"/organizations/{organization_id}?saved=1", status_code=303)

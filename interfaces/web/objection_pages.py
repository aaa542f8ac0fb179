"""异议 on the pages: anyone objects to a result under announcement (no sign-in), keeps the
reference, adds material and looks the decision up by it; the case's chair or a registrar decides
each objection on the case page, after a confirmation."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from application.errors import NotFound
from domain.errors import DomainError, InvalidValue
from domain.provenance import Role
from interfaces.common.commands import context, system_of
from interfaces.common.documents import DocumentOut, FileName, documents_out, receive
from interfaces.common.problems import domain_status
from interfaces.common.security import STAFF, Principal, require_role
from interfaces.web.confirm import BasisField, Confirmation, confirm_then
from interfaces.web.forms import Form
from interfaces.web.i18n import language, message_for, translate

Reference = Annotated[str, Parameter(max_length=40)]
FIELDS = ("objector", "contact", "grounds")


def _announced(request: Request[Any, Any, Any], evaluation_id: UUID) -> Any:
    found = next((a for a in system_of(request).announcements.grades() if a.case_id == evaluation_id), None)
    if found is None:
        raise NotFound("announcement", str(evaluation_id))
    return found


class ObjectionPages(Controller):
    include_in_schema = False

    @get("/public/announcements/{evaluation_id:uuid}/objection", sync_to_thread=True)
    def form(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Template:
        return self._form(request, evaluation_id)

    @staticmethod
    def _form(
        request: Request[Any, Any, Any],
        evaluation_id: UUID,
        form: dict[str, str] | None = None,
        error: DomainError | None = None,
    ) -> Template:
        field = str(error.details.get("field", "")) if error else ""
        return Template(
            "objection_form.html",
            status_code=domain_status(error) if error else 200,
            context={
                "a": _announced(request, evaluation_id),
                "form": form or {},
                "error": message_for(request, error) if error else None,
                "error_field": field if field in FIELDS else None,
            },
        )

    @post("/public/announcements/{evaluation_id:uuid}/objection", sync_to_thread=True, status_code=303)
    def file(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: Form) -> Response[Any]:
        address = request.client.host if request.client else None
        try:
            reference = system_of(request).objections.file(
                context(request),
                evaluation_id,
                data.get("objector", ""),
                data.get("contact", ""),
                data.get("grounds", ""),
                address,
            )
        except DomainError as e:
            return self._form(request, evaluation_id, data, e)
        return Redirect(f"/public/objections/{reference}?filed=1", status_code=303)

    @get("/public/objections", sync_to_thread=True)
    def lookup(self, request: Request[Any, Any, Any], reference: Reference = "") -> Response[Any]:
        """The look-up form; a reference typed (spaces, lower case and all) leads to its page."""
        typed = reference.strip().upper()
        if typed:
            return Redirect(f"/public/objections/{typed}", status_code=303)
        return Template("objection_state.html", context={"o": None, "reference": ""})

    @get("/public/objections/{reference:str}", sync_to_thread=True)
    def state(self, request: Request[Any, Any, Any], reference: Reference) -> Template:
        objections = system_of(request).objections
        try:
            found = objections.state(reference)
        except NotFound:
            return Template("objection_state.html", status_code=404, context={"o": None, "reference": reference, "unknown": True})
        evaluation = system_of(request).evaluations.evaluation(found.case_id)
        mine = tuple(a for a in evaluation.documents if a.subject == f"objection:{found.reference}")
        return Template(
            "objection_state.html",
            context={
                "o": found,
                "reference": found.reference,
                "filed": request.query_params.get("filed") == "1",
                "saved": request.query_params.get("saved") == "1",
                "docs": documents_out((), mine, None),
            },
        )

    @post("/public/objections/{reference:str}/documents", request_max_body_size=None, status_code=201)
    async def upload(self, request: Request[Any, Any, Any], reference: Reference, name: FileName = "") -> DocumentOut:
        """The objector's material, while the objection is open (the body is the file)."""
        objections, ctx = system_of(request).objections, context(request)
        if (await anyio.to_thread.run_sync(lambda: objections.state(reference))).state != "open":
            raise NotFound("objection", reference[:40])  # decided: nothing more is taken, and nothing is read
        upload = await receive(request)
        try:
            attached = await anyio.to_thread.run_sync(lambda: objections.attach(ctx, reference, upload, name))
        finally:
            upload.discard()
        return DocumentOut.of(attached)

    @post("/evaluations/{evaluation_id:uuid}/objections/{reference:str}", sync_to_thread=True, status_code=303)
    def decide(self, request: Request[Any, Any, Any], evaluation_id: UUID, reference: Reference, data: Form) -> Response[Any]:
        principal: Principal = request.user
        require_role(principal, (*STAFF, Role.CHAIR))
        lang = language(request)
        outcome = data.get("outcome", "")
        upheld = outcome == "upheld"
        page = Confirmation(
            title=translate(lang, "obj.confirm.title", reference=reference),
            consequence=translate(lang, f"obj.confirm.{outcome}"),
            audience=translate(lang, "obj.confirm.audience"),
            action_url=f"/evaluations/{evaluation_id}/objections/{reference}",
            back_url=f"/evaluations/{evaluation_id}",
            back_label=translate(lang, "eval.confirm.back"),
            confirm_label=translate(lang, "obj.confirm.button"),
            hidden={"outcome": outcome},
            fields=(BasisField("reasons", translate(lang, "obj.reasons"), long=True, maxlength=5000),),
        )
        if outcome not in ("upheld", "dismissed"):
            raise InvalidValue("objection.outcome", "请选择异议是否成立", "Choose whether the objection is upheld")
        return confirm_then(
            request,
            page,
            data,
            lambda: system_of(request).objections.decide(
                context(request), evaluation_id, reference, upheld, data.get("reasons", "")
            ),
            f"/evaluations/{evaluation_id}?done=objection",
        )

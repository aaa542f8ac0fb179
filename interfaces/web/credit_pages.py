"""信用记录: an organization's credit record as its people and the registrar use it — listings
with their grounds, penalties with their decision letters, removal requests with their grounds —
and the acts on it: the registrar records a penalty (with its decision and a confirmation) or
verifies that an obligation is met; the organization asks to be removed from a list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Stream, Template

from domain.credit import CreditList, CreditRecord, Penalty, PenaltyKind, checked_penalty
from domain.documents import SLOTS
from domain.errors import DomainError, InvalidValue
from domain.periods import Period
from domain.provenance import Role
from interfaces.common.commands import context, system_of
from interfaces.common.documents import (
    DocumentOut,
    FileName,
    Sha256,
    SlotKey,
    attach_received,
    documents_out,
    download,
)
from interfaces.common.problems import domain_status
from interfaces.common.security import READERS_OF_HISTORY, STAFF, Principal, require_own_organization, require_role
from interfaces.web.confirm import BasisField, Confirmation, confirm_then, confirmation_page, confirmed
from interfaces.web.forms import Form, amount
from interfaces.web.i18n import language, message_for, translate

CreditSubject = Annotated[str, Parameter(max_length=200, description="penalty:<文号> 或 removal:abnormal|serious")]
PENALTY_FIELDS = ("kind", "decision_no", "decided_on", "reason", "amount_cny", "suspended_from", "suspended_until")
_DONE = ("penalty", "removal_requested", "verified", "saved", "objection_filed", "objection_decided")


def _reader(request: Request[Any, Any, Any], organization_id: UUID) -> Principal:
    principal: Principal = request.user
    require_role(principal, READERS_OF_HISTORY)
    require_own_organization(principal, organization_id)
    return principal


def _page_url(organization_id: UUID) -> str:
    return f"/organizations/{organization_id}/credit"


def credit_page(
    request: Request[Any, Any, Any],
    organization_id: UUID,
    error: str | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
    error_field: str | None = None,
) -> Template:
    principal = _reader(request, organization_id)
    system = system_of(request)
    org = system.organizations.organization(organization_id)
    record = system.credit.record_of(organization_id)
    lang = language(request)
    attached = record.documents if record else ()
    docs = documents_out((), attached, record.version if record else None)
    preview = next((d for d in docs.documents if d.sha256 == request.query_params.get("preview") and d.previewable), None)
    current = [listing for listing in (record.listings if record else ()) if listing.removed_on is None]
    return Template(
        "credit.html",
        status_code=status,
        context={
            "org": org,
            "record": record,
            "recording": system.credit.penalty_recording(organization_id) if record and record.penalties else {},
            "current": current,
            "past": [listing for listing in (record.listings if record else ()) if listing.removed_on is not None],
            "objections": record.objections if record else (),
            "period_label": _period_label(
                system.credit.rule_set_for(org, system.store.today()).credit.objection_verification, lang
            ),
            "letters": {a.subject for a in attached if a.slot == "decision_letter" and not a.withdrawn},
            "is_staff": principal.role in STAFF,
            "is_own": principal.role is Role.ORGANIZATION,
            "may_file": principal.role in (*STAFF, Role.ORGANIZATION),
            "kinds": [k.value for k in PenaltyKind],
            "error": error,
            "error_field": error_field,
            "form": form or {},
            "done": _done(request),
            "docs": docs,
            "preview": preview,
            "slots": _slots(record, principal, lang),
            "subject_names": _subject_names(record, lang),
            "today": system.store.today(),
        },
    )


def _period_label(period: Period, lang: str) -> str:
    """'5个工作日' / '5 working days': a deadline says which days it counts."""
    return translate(lang, f"period.{period.unit.value}", days=period.days)


def _done(request: Request[Any, Any, Any]) -> str | None:
    """What the page says happened: an act's own message, or a saved upload (the upload script's `saved=1`)."""
    done = request.query_params.get("done")
    return done if done in _DONE else "saved" if request.query_params.get("saved") == "1" else None


def _slots(record: CreditRecord | None, principal: Principal, lang: str) -> list[dict[str, str]]:
    """What this person may attach here: the registrar a decision letter per penalty; the
    organization (and the registrar) the grounds of a removal request per current listing."""
    if record is None or principal.role not in (*STAFF, Role.ORGANIZATION):
        return []
    names = _subject_names(record, lang)
    found = []
    if principal.role in STAFF:
        for p in record.penalties:
            subject = f"penalty:{p.decision_no}"
            found.append(_slot("decision_letter", subject, names[subject]))
    for listing in record.listings:
        if listing.removed_on is None:
            subject = f"removal:{listing.list_name.value}"
            found.append(_slot("removal_grounds", subject, names[subject]))
    for objection in record.objections:
        if objection.open:
            subject = f"objection:{objection.reference}"
            found.append(_slot("objection_grounds", subject, names[subject]))
    return found


def _slot(key: str, subject: str, name: tuple[str, str]) -> dict[str, str]:
    kind = SLOTS[key]
    return {"key": key, "subject": subject, "zh": f"{kind.zh} · {name[0]}", "en": f"{kind.en} · {name[1]}"}


def _subject_names(record: CreditRecord | None, lang: str) -> dict[str, tuple[str, str]]:
    if record is None:
        return {}
    names = {f"penalty:{p.decision_no}": (p.decision_no, p.decision_no) for p in record.penalties}
    names |= {f"objection:{o.reference}": (f"异议 {o.reference}", f"objection {o.reference}") for o in record.objections}
    for credit_list in CreditList:
        names[f"removal:{credit_list.value}"] = (
            translate("zh", "credit.removal_of", list=translate("zh", f"list.{credit_list.value}")),
            translate("en", "credit.removal_of", list=translate("en", f"list.{credit_list.value}")),
        )
    return names


def _day(raw: str | None, field: str) -> date | None:
    if not raw or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidValue(f"form.{field}", f"「{raw[:40]}」不是有效的日期", f"'{raw[:40]}' is not a date", field=field) from None


def penalty_from(form: dict[str, str]) -> Penalty:
    """The penalty as typed on the form; the domain checks what it needs (decision number, grounds …)."""
    kind = form.get("kind", "")
    if kind not in {k.value for k in PenaltyKind}:
        raise InvalidValue("penalty.kind", "请选择处罚种类", "Choose the kind of penalty", field="kind")
    decided_on = _day(form.get("decided_on"), "decided_on")
    if decided_on is None:
        raise InvalidValue("penalty.decided_on", "请填写处罚决定日期", "The date of the decision is required", field="decided_on")
    raw_amount = form.get("amount_cny", "").strip()
    return Penalty(
        kind=PenaltyKind(kind),
        decision_no=form.get("decision_no", ""),
        decided_on=decided_on,
        reason=form.get("reason", ""),
        amount_cny=amount(raw_amount, "amount_cny") if raw_amount else None,
        suspended_from=_day(form.get("suspended_from"), "suspended_from"),
        suspended_until=_day(form.get("suspended_until"), "suspended_until"),
    )


def _field_of(error: DomainError) -> str | None:
    named = str(error.details.get("field") or error.code.split(".", 1)[-1])
    aliases = {"decision_no": "decision_no", "reason": "reason", "amount": "amount_cny", "suspension_dates": "suspended_from"}
    named = aliases.get(named, named)
    return named if named in PENALTY_FIELDS else None


def _penalty_confirmation(
    request: Request[Any, Any, Any], organization_id: UUID, name: str, form: dict[str, str]
) -> Confirmation:
    lang = language(request)
    return Confirmation(
        title=translate(lang, "credit.confirm.title", name=name),
        consequence=translate(
            lang,
            "credit.confirm.consequence",
            kind=translate(lang, f"penalty.{form.get('kind', '')}"),
            decision_no=form.get("decision_no", "").strip(),
            decided_on=form.get("decided_on", ""),
            reason=form.get("reason", "").strip()[:200],
        ),
        audience=translate(lang, "credit.confirm.audience"),
        action_url=f"/organizations/{organization_id}/credit/penalties",
        back_url=_page_url(organization_id),
        back_label=translate(lang, "credit.confirm.back"),
        confirm_label=translate(lang, "credit.confirm.button"),
        hidden={k: form.get(k, "") for k in PENALTY_FIELDS},
    )


class CreditPages(Controller):
    include_in_schema = False

    @get("/organizations/{organization_id:uuid}/credit", sync_to_thread=True)
    def page(self, request: Request[Any, Any, Any], organization_id: UUID) -> Template:
        return credit_page(request, organization_id)

    @post("/organizations/{organization_id:uuid}/credit/penalties", sync_to_thread=True, status_code=303)
    def record_penalty(self, request: Request[Any, Any, Any], organization_id: UUID, data: Form) -> Response[Any]:
        """The penalty form, then a confirmation that says what follows (the public card, the lists), then the record."""
        principal = _reader(request, organization_id)
        require_role(principal, STAFF)
        system = system_of(request)
        try:
            penalty = checked_penalty(penalty_from(data), system.store.today())  # refused before the confirmation, not after
            if not confirmed(data):
                name = system.organizations.organization(organization_id).profile.name
                return confirmation_page(_penalty_confirmation(request, organization_id, name, data), data)
            system.credit.record_penalty(context(request), organization_id, penalty)
        except DomainError as e:
            return credit_page(request, organization_id, message_for(request, e), domain_status(e), data, _field_of(e))
        return Redirect(f"{_page_url(organization_id)}?done=penalty", status_code=303)

    @post("/organizations/{organization_id:uuid}/credit/removal", sync_to_thread=True, status_code=303)
    def request_removal(self, request: Request[Any, Any, Any], organization_id: UUID, data: Form) -> Response[Any]:
        """The organization (or the registrar for it) asks to be removed from a list, once its obligation is met."""
        principal = _reader(request, organization_id)
        require_role(principal, (*STAFF, Role.ORGANIZATION))
        return self._on_list(request, organization_id, data, "request_removal", "removal_requested")

    @post("/organizations/{organization_id:uuid}/credit/verification", sync_to_thread=True, status_code=303)
    def verify(self, request: Request[Any, Any, Any], organization_id: UUID, data: Form) -> Response[Any]:
        """The registrar confirms the obligation behind a listing is met (what the system can check, it checks)."""
        require_role(_reader(request, organization_id), STAFF)
        return self._on_list(request, organization_id, data, "verify_obligation", "verified")

    @staticmethod
    def _on_list(
        request: Request[Any, Any, Any], organization_id: UUID, data: dict[str, str], act: str, done: str
    ) -> Response[Any]:
        credit = system_of(request).credit
        try:
            credit_list = CreditList(data.get("list_name", ""))
        except ValueError:
            return credit_page(request, organization_id, translate(language(request), "credit.choose_list"), 400)
        try:
            getattr(credit, act)(context(request), organization_id, credit_list)
        except DomainError as e:
            return credit_page(request, organization_id, message_for(request, e), domain_status(e))
        return Redirect(f"{_page_url(organization_id)}?done={done}", status_code=303)


class CreditObjectionPages(Controller):
    """异议 on the credit page: the organization disputes a listing; the registrar decides after a confirmation."""

    include_in_schema = False
    path = "/organizations/{organization_id:uuid}/credit/objections"

    @post("/", sync_to_thread=True, status_code=303)
    def file(self, request: Request[Any, Any, Any], organization_id: UUID, data: Form) -> Response[Any]:
        require_role(_reader(request, organization_id), (*STAFF, Role.ORGANIZATION))
        try:
            credit_list = CreditList(data.get("list_name", ""))
            system_of(request).credit.file_objection(context(request), organization_id, credit_list, data.get("grounds", ""))
        except ValueError:
            return credit_page(request, organization_id, translate(language(request), "credit.choose_list"), 400)
        except DomainError as e:
            return credit_page(request, organization_id, message_for(request, e), domain_status(e), data)
        return Redirect(f"{_page_url(organization_id)}?done=objection_filed", status_code=303)

    @post("/{reference:str}", sync_to_thread=True, status_code=303)
    def decide(self, request: Request[Any, Any, Any], organization_id: UUID, reference: str, data: Form) -> Response[Any]:
        require_role(_reader(request, organization_id), STAFF)
        lang, outcome = language(request), data.get("outcome", "")
        if outcome not in ("upheld", "dismissed"):
            raise InvalidValue("objection.outcome", "请选择异议是否成立", "Choose whether the objection is upheld")
        page = Confirmation(
            title=translate(lang, "obj.confirm.title", reference=reference[:40]),
            consequence=translate(lang, f"credit.objection_confirm.{outcome}"),
            audience=translate(lang, "credit.objection_confirm.audience"),
            action_url=f"/organizations/{organization_id}/credit/objections/{reference[:40]}",
            back_url=_page_url(organization_id),
            back_label=translate(lang, "credit.confirm.back"),
            confirm_label=translate(lang, "obj.confirm.button"),
            hidden={"outcome": outcome},
            fields=(BasisField("reasons", translate(lang, "obj.reasons"), long=True, maxlength=5000),),
        )
        return confirm_then(
            request,
            page,
            data,
            lambda: system_of(request).credit.decide_objection(
                context(request), organization_id, reference, outcome == "upheld", data.get("reasons", "")
            ),
            f"{_page_url(organization_id)}?done=objection_decided",
        )


class CreditDocumentPages(Controller):
    """The credit page's documents: decision letters and removal grounds (upload with a progress
    bar, download, preview, withdrawal), with the session and the CSRF token like every page."""

    include_in_schema = False
    path = "/organizations/{organization_id:uuid}/credit/documents"

    @post("/", request_max_body_size=None, status_code=201)
    async def upload(
        self, request: Request[Any, Any, Any], organization_id: UUID, subject: CreditSubject, slot: SlotKey, name: FileName = ""
    ) -> DocumentOut:
        require_role(_reader(request, organization_id), (*STAFF, Role.ORGANIZATION))
        system, ctx = system_of(request), context(request)
        attached = await attach_received(
            request,
            lambda: system.credit.check_attach(ctx, organization_id, subject, slot),
            lambda upload: system.credit.attach_document(ctx, organization_id, subject, slot, upload, name),
            subject,
        )
        return DocumentOut.of(attached)

    @get("/{sha256:str}", sync_to_thread=True)
    def document(self, request: Request[Any, Any, Any], organization_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        _reader(request, organization_id)
        return download(request, system_of(request).credit.document(organization_id, sha256), inline)

    @post("/{sha256:str}/withdrawal", sync_to_thread=True, status_code=303)
    def withdraw(self, request: Request[Any, Any, Any], organization_id: UUID, sha256: Sha256, data: Form) -> Response[Any]:
        require_role(_reader(request, organization_id), (*STAFF, Role.ORGANIZATION))
        try:
            system_of(request).credit.withdraw_document(
                context(request), organization_id, data.get("subject", ""), data.get("slot", ""), sha256, data.get("reason", "")
            )
        except DomainError as e:
            return credit_page(request, organization_id, message_for(request, e), domain_status(e))
        return Redirect(f"{_page_url(organization_id)}?done=saved", status_code=303)

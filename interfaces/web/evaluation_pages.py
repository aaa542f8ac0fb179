"""Pages for evaluation panels (zh-CN first): my assignments, the case page with the score
form, the chair's panel view and actions, the organization's application and appeal, and
the explanation. Every form carries the case version it was rendered from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Stream, Template

from application.desk import Desk
from application.explanations import explain
from application.queries.cases import CaseRow
from domain.documents import SLOTS
from domain.drafts import BONUS, TypedSheet, typed_number
from domain.errors import DomainError, InvalidValue
from domain.evaluation import Evaluation
from domain.provenance import Role
from domain.rules import RuleSet, ScoringScheme
from domain.scoring import IndicatorScore
from interfaces.common.case_access import require_case_access, reveals_names
from interfaces.common.commands import context, system_of
from interfaces.common.documents import (
    DocumentOut,
    EvaluationSubject,
    FileName,
    Sha256,
    SlotKey,
    attach_received,
    documents_out,
    download,
)
from interfaces.common.exports import Format, table_download
from interfaces.common.problems import domain_status
from interfaces.common.security import SIGNED_IN, STAFF, Principal, require_role
from interfaces.web.confirm import BasisField, Confirmation, basis_from, confirm_then, effective_field
from interfaces.web.forms import Form
from interfaces.web.i18n import language, message_for, translate

# Steps that cannot be taken back: each is confirmed on a page saying what happens and who sees it,
# with the fields it needs (a withdrawal its reason, an appeal its grounds, a finalization its decision's number).
CONFIRMED: dict[str, tuple[str, ...]] = {
    "close_scoring": (),
    "compute_result": (),
    "open_announcement": (),
    "finalize": ("document_no", "effective_on"),
    "withdraw": ("reason",),
    "file_appeal": ("grounds",),
    "decide_appeal": ("decision",),
    "declare_recusal": ("note",),
}

OPTIONAL = ("document_no", "effective_on")

# page action → the use case it calls (each use case checks who may)
ACTIONS: dict[str, Any] = {
    "check_eligibility": lambda d, c, id, v, f: d.check_eligibility(c, id, v),
    "close_scoring": lambda d, c, id, v, f: d.close_scoring(c, id, v),
    "compute_result": lambda d, c, id, v, f: d.compute_result(c, id, v),
    "open_announcement": lambda d, c, id, v, f: d.open_announcement(c, id, v),
    "decide_appeal": lambda d, c, id, v, f: d.decide_appeal(
        c, id, v, _outcome(f) == "upheld", f.get("decision", ""), revised_from_form(d.evaluation(id), f)
    ),
    "finalize": lambda d, c, id, v, f: d.finalize(c, id, v),
    "withdraw": lambda d, c, id, v, f: d.withdraw(c, id, v, f.get("reason", "")),
    "submit_application": lambda d, c, id, v, f: d.submit_application(
        c, id, v, typed_number(f.get("self_assessment") or None), f.get("statement", "")
    ),
    "file_appeal": lambda d, c, id, v, f: d.file_appeal(c, id, v, f.get("grounds", "")),
    "extend_appeal": lambda d, c, id, v, f: d.extend_appeal_decision(c, id, v, _day(f, "until"), f.get("reasons", "")),
    "assign_panel": lambda d, c, id, v, f: d.assign_panel(
        c, id, v, [UUID(k.removeprefix("expert:")) for k in f if k.startswith("expert:")]
    ),
    "replace_member": lambda d, c, id, v, f: d.replace_member(
        c, id, v, UUID(f.get("expert_id", "")), UUID(f.get("replacement_id", "")), f.get("reason", "")
    ),
    "declare_recusal": lambda d, c, id, v, f: d.declare_conflict(c, id, None, UUID(f.get("expert_id", "")), f.get("note", "")),
    "force_recusal": lambda d, c, id, v, f: d.force_recusal(c, id, v, UUID(f.get("expert_id", "")), f.get("grounds", "")),
    "request_recusal": lambda d, c, id, v, f: d.request_recusal(c, id, v, UUID(f.get("expert_id", "")), f.get("reasons", "")),
    "grant_recusal": lambda d, c, id, v, f: d.decide_recusal_request(
        c, id, v, UUID(f.get("expert_id", "")), True, f.get("reasons", "")
    ),
    "refuse_recusal": lambda d, c, id, v, f: d.decide_recusal_request(
        c, id, v, UUID(f.get("expert_id", "")), False, f.get("reasons", "")
    ),
}


def _cases_seen(request: Request[Any, Any, Any]) -> list[CaseRow]:
    """An evaluator's assignments, a chair's cases, an organization's own, staff and auditors all."""
    principal = _signed_in(request)
    cases = system_of(request).cases
    if principal.role is Role.EVALUATOR:
        return cases.assignments(principal.user_id)
    if principal.role is Role.CHAIR:
        return cases.cases(chair_user_id=principal.user_id)
    if principal.role is Role.ORGANIZATION:
        return cases.cases(subject_id=principal.organization_id)
    return cases.cases()


def _signed_in(request: Request[Any, Any, Any]) -> Principal:
    principal: Principal = request.user
    require_role(principal, SIGNED_IN)
    return principal


def typed_sheet(form: dict[str, str]) -> TypedSheet:
    """The score form's fields (`points:<key>`, `comment:<key>`, `bonus`) as the sheet typed."""
    points = {name.removeprefix("points:"): raw for name, raw in form.items() if name.startswith("points:")}
    return TypedSheet(points, {key: form.get(f"comment:{key}", "") for key in points}, form.get("bonus", ""))


def field_of(key: str) -> str:
    """The form field a refusal belongs beside."""
    return key if key == BONUS else f"points:{key}"


def _day(form: dict[str, str], field: str) -> date:
    try:
        return date.fromisoformat((form.get(field) or "").strip())
    except ValueError:
        raise InvalidValue("form.day", "请填写日期,如 2026-06-20", "Give a day such as 2026-06-20", missing=[field]) from None


def _outcome(form: dict[str, str]) -> str:
    outcome = form.get("outcome", "")
    if outcome not in ("upheld", "dismissed"):
        raise InvalidValue(
            "appeal.outcome", "请选择复核决定:支持或不支持", "Choose the decision: upheld or dismissed", missing=["outcome"]
        )
    return outcome


def revised_from_form(evaluation: Evaluation, form: dict[str, str]) -> dict[UUID, tuple[IndicatorScore, ...]]:
    """The counted sheets the chair changed (`revise:<expert>:<indicator>` fields), each whole with its comments;
    sheets left as they were are not revised."""
    revised: dict[UUID, tuple[IndicatorScore, ...]] = {}
    for expert_id in evaluation.submitted:
        sheet = evaluation.drafts[expert_id]
        scores = tuple(
            IndicatorScore(s.key, _revised(form.get(f"revise:{expert_id}:{s.key}"), s.points), s.comment) for s in sheet.scores
        )
        if scores != sheet.scores:
            revised[expert_id] = scores
    return revised


def _revised(raw: str | None, points: Decimal) -> Decimal:
    typed = typed_number(raw)
    return points if typed is None else typed  # a revised 0 is a score, not "unchanged"


def _documents_view(request: Request[Any, Any, Any], evaluation: Evaluation, scheme: ScoringScheme) -> dict[str, Any]:
    """The case's documents for whoever may read them: the list, each indicator's supporting
    material beside it on the score form, a preview, and (for the organization and staff, while
    the case takes them) the upload zone's slots."""
    system = system_of(request)
    try:
        readable = system.evaluations.documents_of(context(request), evaluation.id)
    except DomainError:
        return {"docs": None, "indicator_docs": {}}
    docs = documents_out((), readable.documents, readable.version)
    beside: dict[str, list[Any]] = {}
    for d in docs.documents:
        if d.subject.startswith("indicator:") and not d.withdrawn:
            beside.setdefault(d.subject.removeprefix("indicator:"), []).append(d)
    names = {"self_assessment": ("自评报告", "self-assessment"), "appeal": ("复核申请", "appeal")}
    names |= {f"indicator:{i.key}": (i.zh, i.en) for i in scheme.indicators}
    slots: list[dict[str, str]] = []
    if request.user.role in (Role.ORGANIZATION, *STAFF) and evaluation.kind.value == "grade":
        subjects = [
            ("self_assessment", "self_assessment"),
            *((f"indicator:{i.key}", "supporting") for i in scheme.indicators),
            ("appeal", "appeal_grounds"),
        ]
        for subject, slot_key in subjects:
            try:
                evaluation.check_can_attach(subject)
            except DomainError:
                continue
            zh, en = names[subject]
            kind = SLOTS[slot_key]
            slots.append(
                {
                    "key": slot_key,
                    "subject": subject,
                    "zh": kind.zh if subject == slot_key else f"{kind.zh} · {zh}",
                    "en": kind.en if subject == slot_key else f"{kind.en} · {en}",
                }
            )
    preview = next((d for d in docs.documents if d.sha256 == request.query_params.get("preview") and d.previewable), None)
    return {
        "docs": docs,
        "indicator_docs": beside,
        "subject_names": names,
        "slots": slots,
        "preview": preview,
        "docs_editable": bool(slots),
        "page_url": f"/evaluations/{evaluation.id}",
        "doc_base": f"/evaluations/{evaluation.id}/documents",
    }


class EvaluationDocumentPages(Controller):
    """The case page's documents: upload (progress bar, drag-and-drop), download and preview, withdrawal."""

    include_in_schema = False
    path = "/evaluations/{evaluation_id:uuid}/documents"

    @post("/", request_max_body_size=None, status_code=201)
    async def upload(
        self, request: Request[Any, Any, Any], evaluation_id: UUID, subject: EvaluationSubject, slot: SlotKey, name: FileName = ""
    ) -> DocumentOut:
        _signed_in(request)
        system, ctx = system_of(request), context(request)
        return DocumentOut.of(
            await attach_received(
                request,
                lambda: system.evaluations.check_attach(ctx, evaluation_id, subject, slot),
                lambda upload: system.evaluations.attach_document(ctx, evaluation_id, subject, slot, upload, name),
                subject,
            )
        )

    @get("/{sha256:str}", sync_to_thread=True)
    def document(self, request: Request[Any, Any, Any], evaluation_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        _signed_in(request)
        return download(request, system_of(request).evaluations.document(context(request), evaluation_id, sha256), inline)

    @post("/{sha256:str}/withdrawal", sync_to_thread=True, status_code=303)
    def withdraw(self, request: Request[Any, Any, Any], evaluation_id: UUID, sha256: Sha256, data: Form) -> Response[Any]:
        _signed_in(request)
        system_of(request).evaluations.withdraw_document(
            context(request), evaluation_id, data.get("subject", ""), data.get("slot", ""), sha256, data.get("reason", "")
        )
        return Redirect(f"/evaluations/{evaluation_id}?saved=1", status_code=303)


class EvaluationPages(Controller):
    include_in_schema = False

    @get("/evaluations", sync_to_thread=True)
    def index(self, request: Request[Any, Any, Any]) -> Template:
        rows = _cases_seen(request)
        return Template("evaluations.html", context={"rows": rows, "today": system_of(request).store.today()})

    @get("/evaluations/download", sync_to_thread=True)
    def download(self, request: Request[Any, Any, Any], format: Format = "xlsx") -> Response[bytes]:
        """The cases this person sees, with their stage and results, as on the list."""
        lang = language(request)
        rows = [
            [
                c.subject_name or str(c.subject_id),
                translate(lang, f"eval.kind.{c.kind}"),
                translate(lang, f"stage.{c.stage}"),
                c.scoring_deadline,
                c.result or "",
                c.total if c.total is not None else "",
            ]
            for c in _cases_seen(request)
        ]
        keys = ("eval.subject", "eval.kind", "eval.stage", "eval.deadline", "eval.result", "ann.total")
        title = translate(lang, "nav.evaluations")
        return table_download("evaluations", title, [translate(lang, k) for k in keys], rows, format)

    @get("/evaluations/{evaluation_id:uuid}", sync_to_thread=True)
    def case(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Template:
        return self._case(request, evaluation_id, None, 200)

    def _case(
        self,
        request: Request[Any, Any, Any],
        evaluation_id: UUID,
        error: str | None,
        status: int,
        form: dict[str, str] | None = None,
        field_errors: dict[str, str] | None = None,
    ) -> Template:
        principal = _signed_in(request)
        system = system_of(request)
        evaluation: Evaluation = system.evaluations.evaluation(evaluation_id)
        require_case_access(principal, evaluation, system_of(request).evaluations.subject_organization(evaluation))
        rule_set = system.evaluations.rule_set_of(evaluation)
        scheme = rule_set.evaluation.scheme_for(evaluation.subject_type)
        active = evaluation.active_members()
        seat = next((m for m in active if m.user_id == principal.user_id), None)
        draft = evaluation.drafts.get(seat.expert_id) if seat else None
        values = form or (
            {f"points:{s.key}": str(s.points) for s in draft.scores}
            | {f"comment:{s.key}": s.comment for s in draft.scores}
            | {"bonus": str(draft.bonus)}
            if draft
            else {}
        )
        is_chair = principal.role in STAFF or principal.user_id == evaluation.chair_user_id
        chair_view = self._chair_view(system, evaluation, rule_set, scheme, form or {}) if is_chair else {}
        documents = _documents_view(request, evaluation, scheme)
        return Template(
            "evaluation.html",
            context={
                "e": evaluation,
                "subject": system.register_view.get(evaluation.subject_id),
                "rule_set": rule_set,
                "eligibility_due": system.evaluations.eligibility_due(evaluation),
                "appeal_due": system.evaluations.appeal_due(evaluation) if is_chair else None,
                "typed": form or {},
                "today": system.store.today(),
                "project": None if evaluation.kind.value == "grade" else system.funding.project(evaluation.subject_id),
                "scheme": scheme,
                "seat": seat,
                "submitted": bool(seat and seat.expert_id in evaluation.submitted),
                "values": values,
                "field_errors": field_errors or {},
                "error": error,
                "is_chair": is_chair,
                "is_staff": principal.role in STAFF,
                "is_subject": principal.role is Role.ORGANIZATION
                and principal.organization_id == system.evaluations.subject_organization(evaluation),
                "members": system.cases.members(evaluation_id),
                "names": reveals_names(principal, evaluation),
                "saved": request.query_params.get("saved") == "1",
                "done": request.query_params.get("done")
                if request.query_params.get("done") in (*CONFIRMED, "objection")
                else None,
                "show_result": system.evaluations.sight(context(request), evaluation).result,  # sealed scores
                **chair_view,
                **documents,
            },
            status_code=status,
        )

    @staticmethod
    def _chair_view(
        system: Desk, evaluation: Evaluation, rule_set: RuleSet, scheme: ScoringScheme, form: dict[str, str]
    ) -> dict[str, Any]:
        """What the chair sees beyond the members: the pool with each expert's conflicts (before
        assigning or replacing), how far the active panel is below the minimum, changed sheets,
        and (once scoring has closed) totals far from the median."""
        desk = system.evaluations
        seated = {m.expert_id for m in evaluation.panel}
        pool = [x for x in system.cases.experts() if x.id not in seated]
        picking = evaluation.stage.value in ("eligible", "scoring", "scoring_closed")
        found = desk.conflicts(evaluation, [desk.expert(x.id) for x in pool]) if picking else {}
        sealed = desk.scores_sealed(evaluation)
        names = {m.expert_id: m.name for m in evaluation.panel}
        return {
            "pool": pool,
            "pool_conflicts": found,
            "chosen": {k.removeprefix("expert:") for k in form if k.startswith("expert:")},
            "shortfall": evaluation.panel_shortfall(rule_set.evaluation.min_panel_size) if evaluation.panel else 0,
            "min_panel": rule_set.evaluation.min_panel_size,
            "active": len(evaluation.active_members()),
            "replaceable": [m for m in evaluation.panel if m.expert_id not in evaluation.replaced],
            "replaced_by": {old: names.get(new, "") for old, new in evaluation.replaced.items()},
            "members_by_id": names,
            "sheet_changes": desk.sheet_changes(evaluation),
            "sealed": sealed,
            "tz": ZoneInfo(rule_set.timezone),
            "flagged": {} if sealed or not evaluation.panel else desk.outliers(evaluation),
            "indicator_names": {i.key: (i.zh, i.en) for i in scheme.indicators} | {"bonus": ("加分", "Bonus points")},
        }

    @post("/evaluations/{evaluation_id:uuid}/act", sync_to_thread=True, status_code=303)
    def act(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: Form) -> Response[Any]:
        _signed_in(request)
        name = data.get("action", "")
        if name in CONFIRMED:
            return self._confirmed_step(request, evaluation_id, name, data)
        action = ACTIONS.get(name)
        try:
            if action is None or not data.get("version", "").isdecimal():
                raise InvalidValue("form.invalid", "表单内容不完整", "The form is incomplete")
            action(system_of(request).evaluations, context(request), evaluation_id, int(data["version"]), data)
        except (DomainError, ValueError) as e:
            error = e if isinstance(e, DomainError) else InvalidValue("form.invalid", "表单内容无效", "The form is not valid")
            chosen = {k: v for k, v in data.items() if k.startswith("expert:")}  # the panel form keeps its ticks
            if name == "extend_appeal":  # and the extension its day and reasons
                chosen = {k: data.get(k, "") for k in ("action", "until", "reasons")}
            return self._case(request, evaluation_id, message_for(request, error), domain_status(error), form=chosen or None)
        return Redirect(f"/evaluations/{evaluation_id}?saved=1", status_code=303)

    def _confirmed_step(
        self, request: Request[Any, Any, Any], evaluation_id: UUID, name: str, data: dict[str, str]
    ) -> Response[Any]:
        evaluation: Evaluation = system_of(request).evaluations.evaluation(evaluation_id)

        def step() -> None:
            if not data.get("version", "").isdecimal():
                raise InvalidValue("form.invalid", "表单内容不完整", "The form is incomplete")
            missing = [f for f in CONFIRMED[name] if f not in OPTIONAL and not data.get(f, "").strip()]
            if missing:
                raise InvalidValue(
                    "form.required", "请填写必填项后再确认", "Fill in the required field before confirming", missing=missing
                )
            ctx = context(request, basis_from(data))
            ACTIONS[name](system_of(request).evaluations, ctx, evaluation_id, int(data["version"]), data)

        page = _step_confirmation(request, evaluation, name, data)
        # a member who leaves the panel no longer sees the case: their worklist says it is done
        done = "/work?done=recused" if name == "declare_recusal" else f"/evaluations/{evaluation_id}?done={name}"
        return confirm_then(request, page, data, step, done)

    @post("/evaluations/{evaluation_id:uuid}/sheet", sync_to_thread=True, status_code=303)
    def sheet(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: Form) -> Response[Any]:
        """Save the draft (the form's auto-save posts here too, with X-Autosave) or submit it. A draft may be
        incomplete, and an invalid value is refused for its field alone: the valid ones are saved (an invalid
        field keeps its last saved value) and each refusal is told beside its field; nothing typed is lost."""
        _signed_in(request)
        desk, ctx = system_of(request).evaluations, context(request)
        autosave = request.headers.get("x-autosave") == "1"
        problems: dict[str, DomainError] = {}
        try:
            _, part = desk.save_typed_draft(ctx, evaluation_id, typed_sheet(data))
            problems = {field_of(key): problem for key, problem in part.problems.items()}
            if data.get("intent") == "submit" and not autosave:
                if problems:
                    raise InvalidValue(
                        "sheet.invalid_fields", "有评分不符合要求,请先修改标出的项目", "Correct the marked scores first"
                    )
                desk.submit_sheet(ctx, evaluation_id, None)
        except DomainError as e:
            if autosave:
                return Response({"saved": False, "message": message_for(request, e)}, status_code=domain_status(e))
            errors = {k: message_for(request, v) for k, v in problems.items()}
            return self._case(request, evaluation_id, message_for(request, e), domain_status(e), form=data, field_errors=errors)
        errors = {k: message_for(request, v) for k, v in problems.items()}
        if autosave:
            return Response({"saved": True, "errors": errors}, status_code=200)
        if errors:  # the valid part is saved; the page again, with the refused values kept and marked
            partly = DomainError(
                "sheet.partly_saved", "其余评分已保存;标出的项目未保存,请修改", "The rest is saved; the marked scores are not"
            )
            return self._case(request, evaluation_id, message_for(request, partly), 422, form=data, field_errors=errors)
        return Redirect(f"/evaluations/{evaluation_id}?saved=1", status_code=303)

    @get("/evaluations/{evaluation_id:uuid}/explanation", sync_to_thread=True)
    def explanation(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Template:
        principal = _signed_in(request)
        evaluation = system_of(request).evaluations.evaluation(evaluation_id)
        require_case_access(principal, evaluation, system_of(request).evaluations.subject_organization(evaluation))
        desk = system_of(request).evaluations
        sight = desk.sight(context(request), evaluation)
        return Template(
            "explanation.html", context={"x": explain(desk, evaluation_id, reveals_names(principal, evaluation), sight)}
        )

    @post("/organizations/{organization_id:uuid}/evaluations", sync_to_thread=True, status_code=303)
    def open_case(self, request: Request[Any, Any, Any], organization_id: UUID, data: Form) -> Response[Any]:
        principal = _signed_in(request)
        require_role(principal, STAFF)
        system = system_of(request)
        try:
            deadline = date.fromisoformat(data.get("scoring_deadline", ""))
            case = system.evaluations.open_grade_evaluation(
                context(request), organization_id, deadline, data.get("chair_user_id", "")
            )
        except ValueError:
            return Redirect(f"/organizations/{organization_id}?error=deadline", status_code=303)
        return Redirect(f"/evaluations/{case.id}", status_code=303)


def _step_confirmation(request: Request[Any, Any, Any], evaluation: Evaluation, name: str, form: dict[str, str]) -> Confirmation:
    lang = language(request)
    # an appeal's decision carries its outcome and the revised scores through the confirmation
    carried = {k: v for k, v in form.items() if k == "outcome" or k.startswith("revise:")} if name == "decide_appeal" else {}
    if name == "declare_recusal":
        carried = {"expert_id": form.get("expert_id", "")}
    variant = (
        f"{name}.{form.get('outcome')}" if name == "decide_appeal" and form.get("outcome") in ("upheld", "dismissed") else name
    )
    labels = {
        "document_no": BasisField("document_no", translate(lang, "field.document_no"), required=False, maxlength=100),
        "effective_on": effective_field(lang),
        "reason": BasisField("reason", translate(lang, "eval.withdraw_reason"), long=True),
        "grounds": BasisField("grounds", translate(lang, "eval.grounds"), long=True, maxlength=5000),
        "decision": BasisField("decision", translate(lang, "eval.appeal_reasons"), long=True, maxlength=5000),
        "note": BasisField("note", translate(lang, "eval.conflict_reason"), long=True),
    }
    return Confirmation(
        title=translate(lang, f"eval.confirm.{name}.title"),
        consequence=translate(lang, f"eval.confirm.{variant}.consequence"),
        audience=translate(lang, f"eval.confirm.{name}.audience"),
        action_url=f"/evaluations/{evaluation.id}/act",
        back_url=f"/evaluations/{evaluation.id}",
        back_label=translate(lang, "eval.confirm.back"),
        confirm_label=translate(lang, f"eval.confirm.{name}.button"),
        hidden={"action": name, "version": str(evaluation.version), **carried},
        fields=tuple(labels[f] for f in CONFIRMED[name]),
    )

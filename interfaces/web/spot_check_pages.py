"""双随机抽查 pages: the registrar previews a year's draw for a division (the candidate list, its
hash and how many each group gives), confirms it — it cannot be redone — and follows each check
through its steps; the check's team and the organization checked use the case page too."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Stream, Template

from application.queries.spot_checks import SpotCheckQuery
from domain.errors import DomainError, InvalidValue
from domain.provenance import Basis, Role
from domain.spot_check import Conclusion, SpotCheck, Stage
from interfaces.common.commands import context, system_of
from interfaces.common.documents import Sha256, download
from interfaces.common.problems import domain_status
from interfaces.common.security import STAFF, Principal, require_role
from interfaces.web.confirm import BasisField, Confirmation, confirm_then, confirmation_page, confirmed
from interfaces.web.forms import Form
from interfaces.web.i18n import language, message_for, translate
from interfaces.web.params import page_number

READERS = (*STAFF, Role.AUDITOR)
CASE_READERS = (*STAFF, Role.AUDITOR, Role.EVALUATOR, Role.CHAIR, Role.ORGANIZATION)
STEPS = ("notice", "material", "findings", "conclusion", "rectification")


def _complained(raw: str) -> list[UUID]:
    found = []
    for word in raw.replace(",", " ").replace(",", " ").split():
        try:
            found.append(UUID(word))
        except ValueError:
            raise InvalidValue(
                "spot_check.complained_id",
                f"被投诉组织应填写其编号(每行一个):{word[:40]}",
                f"Name each organization complained about by its id, one a line: {word[:40]}",
            ) from None
    return found


def _year(raw: str | None) -> int:
    try:
        return int((raw or "").strip())
    except ValueError:
        raise InvalidValue("spot_check.year", "年度应为数字,如 2026", "A year is a number such as 2026") from None


def _start(
    request: Request[Any, Any, Any], error: str | None = None, form: dict[str, str] | None = None, status: int = 200
) -> Template:
    desk = system_of(request).spot_checks
    today = system_of(request).store.today()
    params = request.query_params
    return Template(
        "spot_checks.html",
        context={
            "error": error,
            "form": form or {"year": str(today.year)},
            "today": today,
            "draws": desk.draws(),
            "checks": desk.checks(SpotCheckQuery(open_only=True, page=page_number(params.get("page")), per_page=20)),
            "page_link": lambda n: f"/spot-checks/?page={n}",
            "tz": ZoneInfo(system_of(request).rules.for_division("", today).timezone),
        },
        status_code=status,
    )


def _draw_confirmation(request: Request[Any, Any, Any], form: dict[str, str]) -> Confirmation:
    """What the draw will be made from and what follows: the list's hash and each group's count, published with the seed."""
    lang = language(request)
    preview = system_of(request).spot_checks.preview(
        _year(form.get("year")), form.get("division_prefix", "").strip(), _complained(form.get("complained", ""))
    )
    groups = ";".join(
        translate(
            lang, "spot.preview_group", group=translate(lang, f"spot_check_group.{g}"), candidates=n, drawn=preview.quotas[g]
        )
        for g, n in preview.groups.items()
    )
    c = preview.candidates
    return Confirmation(
        title=translate(lang, "spot.confirm.title", year=c.year, division=c.division_prefix),
        consequence=translate(
            lang,
            "spot.confirm.consequence",
            groups=groups,
            inspectors=len(c.inspectors),
            per_check=c.inspectors_per_check,
            sha256=preview.sha256,
            rule_set=c.rule_set,
            report_year=preview.report_year,
        ),
        audience=translate(lang, "spot.confirm.audience"),
        action_url="/spot-checks/draws",
        back_url="/spot-checks",
        back_label=translate(lang, "spot.title"),
        confirm_label=translate(lang, "spot.confirm.button"),
        hidden={**{k: form.get(k, "") for k in ("year", "division_prefix", "complained")}, "sha256": preview.sha256},
        fields=(
            BasisField(
                "document_no",
                translate(lang, "field.document_no"),
                maxlength=100,
                hint=translate(lang, "spot.confirm.document_hint"),
            ),
            BasisField("reason", translate(lang, "confirm.grounds"), required=False, long=True),
        ),
    )


def _readable(request: Request[Any, Any, Any], check: SpotCheck) -> Principal:
    principal: Principal = request.user
    require_role(principal, CASE_READERS)
    if principal.role not in READERS and not system_of(request).spot_checks.relations(context(request), check):
        require_role(principal, READERS)  # 403: not on this check's team, not the organization checked
    return principal


def case_page(
    request: Request[Any, Any, Any],
    check_id: UUID,
    error: str | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Template:
    system = system_of(request)
    check = system.spot_checks.spot_check(check_id)
    principal = _readable(request, check)
    relations = system.spot_checks.relations(context(request), check)
    staff = principal.role in STAFF
    on_team = staff or (bool(relations) and principal.role is not Role.ORGANIZATION)
    may = {
        "notice": on_team and check.stage is Stage.DRAWN,
        "material": (on_team or principal.role is Role.ORGANIZATION) and check.stage in (Stage.NOTIFIED, Stage.INSPECTED),
        "findings": on_team and check.stage is Stage.NOTIFIED,
        "conclusion": staff and check.stage is Stage.INSPECTED,
        "rectification": staff and check.stage is Stage.CONCLUDED and check.conclusion is Conclusion.RECTIFICATION_ORDERED,
    }
    name = system.register_view.names([check.organization_id]).get(check.organization_id, str(check.organization_id))
    return Template(
        "spot_check.html",
        context={
            "check": check,
            "name": name,
            "may": may,
            "error": error,
            "form": form or {},
            "done": request.query_params.get("done") if request.query_params.get("done") in STEPS else None,
            "history": system.spot_checks.history(check_id),
            "conclusions": [c.value for c in Conclusion],
            "show_findings": principal.role is not Role.ORGANIZATION,
            "tz": ZoneInfo(system.rules.get(check.rule_set.id, check.rule_set.version).timezone),
        },
        status_code=status,
    )


class SpotCheckPages(Controller):
    path = "/spot-checks"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def start(self, request: Request[Any, Any, Any]) -> Template:
        require_role(request.user, READERS)
        return _start(request)

    @get("/preview", sync_to_thread=True)
    def preview(self, request: Request[Any, Any, Any]) -> Template:
        """The confirmation before the draw: what it will be made from, and that it cannot be redone."""
        require_role(request.user, STAFF)
        form = {k: request.query_params.get(k) or "" for k in ("year", "division_prefix", "complained")}
        try:
            return confirmation_page(_draw_confirmation(request, form), form)
        except DomainError as e:
            return _start(request, message_for(request, e), form, domain_status(e))

    @post("/draws", sync_to_thread=True, status_code=303)
    def draw(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        require_role(request.user, STAFF)
        system = system_of(request)
        try:
            page = _draw_confirmation(request, data)
        except DomainError as e:
            return _start(request, message_for(request, e), data, domain_status(e))
        made: list[UUID] = []

        def act() -> None:
            basis = Basis((data.get("document_no") or "").strip() or None, (data.get("reason") or "").strip() or None)
            ctx = context(request, basis)
            drawn, _checks = system.spot_checks.draw(
                ctx,
                _year(data.get("year")),
                data.get("division_prefix", "").strip(),
                _complained(data.get("complained", "")),
                data.get("sha256") or None,
            )
            made.append(drawn.id)

        if not confirmed(data):
            return confirmation_page(page, data)
        response = confirm_then(request, page, data, act, "/spot-checks")
        return Redirect(f"/spot-checks/draws/{made[0]}", status_code=303) if made else response

    @get("/draw", sync_to_thread=True)
    def find(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """A recorded draw by its year and division."""
        require_role(request.user, READERS)
        form = {k: request.query_params.get(k) or "" for k in ("year", "division_prefix")}
        try:
            made = system_of(request).spot_checks.draw_of(_year(form["year"]), form["division_prefix"].strip())
        except DomainError as e:
            return _start(request, message_for(request, e), form, domain_status(e))
        return Redirect(f"/spot-checks/draws/{made.id}", status_code=303)

    @get("/draws/{draw_id:uuid}", sync_to_thread=True)
    def draw_page(self, request: Request[Any, Any, Any], draw_id: UUID) -> Template:
        require_role(request.user, READERS)
        desk = system_of(request).spot_checks
        made = desk.draw_record(draw_id)
        return Template(
            "spot_check_draw.html",
            context={
                "d": desk.published(made),
                "checks": {c.organization_id: c for c in desk.checks_of(made)},
                "tz": ZoneInfo(desk.rule_set_for(made.division_prefix).timezone),
            },
        )

    @get("/{check_id:uuid}/documents/{sha256:str}", sync_to_thread=True)
    def document(self, request: Request[Any, Any, Any], check_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        """A material's file from the case page (the page's session, not the API's token)."""
        require_role(request.user, CASE_READERS)
        return download(request, system_of(request).spot_checks.document(context(request), check_id, sha256), inline)

    @get("/{check_id:uuid}", sync_to_thread=True)
    def case(self, request: Request[Any, Any, Any], check_id: UUID) -> Template:
        return case_page(request, check_id)

    @post("/{check_id:uuid}/{step:str}", sync_to_thread=True, status_code=303)
    def step(self, request: Request[Any, Any, Any], check_id: UUID, step: str, data: Form) -> Response[Any]:
        """One step of the check; the conclusion after a confirmation (it is published on the public card)."""
        desk = system_of(request).spot_checks
        check = desk.spot_check(check_id)
        _readable(request, check)
        if step not in STEPS:
            return case_page(request, check_id, translate(language(request), "spot.unknown_step"), 404)
        basis = Basis((data.get("document_no") or "").strip() or None, (data.get("reason") or "").strip() or None)
        ctx = context(request, basis)
        version = int(data["version"]) if (data.get("version") or "").isdecimal() else None
        done = f"/spot-checks/{check_id}?done={step}"
        if step == "conclusion":
            lang = language(request)
            page = Confirmation(
                title=translate(lang, "spot.conclude.title"),
                consequence=translate(
                    lang,
                    "spot.conclude.consequence",
                    conclusion=translate(lang, f"spot_check_conclusion.{data.get('conclusion', '')}"),
                ),
                audience=translate(lang, "spot.conclude.audience"),
                action_url=f"/spot-checks/{check_id}/conclusion",
                back_url=f"/spot-checks/{check_id}",
                back_label=translate(lang, "spot.case"),
                confirm_label=translate(lang, "spot.conclude.button"),
                hidden={k: data.get(k, "") for k in ("conclusion", "reasons", "rectification_deadline", "version")},
                fields=(BasisField("document_no", translate(lang, "field.document_no"), maxlength=100),),
            )
            try:
                conclusion = Conclusion(data.get("conclusion", ""))
                deadline = date.fromisoformat(data["rectification_deadline"]) if data.get("rectification_deadline") else None
            except ValueError:
                return case_page(request, check_id, translate(lang, "spot.conclusion_form"), 422, data)
            return confirm_then(
                request,
                page,
                data,
                lambda: desk.conclude(ctx, check_id, version, conclusion, data.get("reasons", ""), deadline),
                done,
            )
        try:
            if step == "notice":
                desk.notify(ctx, check_id, version)
            elif step == "material":
                desk.add_material(ctx, check_id, version, data.get("title", ""), data.get("note", ""))
            elif step == "findings":
                desk.record_findings(ctx, check_id, version, data.get("findings", ""))
            else:
                desk.confirm_rectification(ctx, check_id, version, data.get("note", ""))
        except DomainError as e:
            return case_page(request, check_id, message_for(request, e), domain_status(e), data)
        return Redirect(done, status_code=303)

"""Auditor pages (审计): the integrity chain, the register as of an instant, any aggregate's
timeline with what each event changed and its state as of an instant, and links from a rating to
the explanation of the case that decided it. Times typed without an offset are Beijing time."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from application.audit import parse_event_types
from application.errors import NotFound
from application.queries.register import RegisterAsOfQuery
from domain.errors import InvalidValue
from domain.organization import Status
from domain.provenance import Role
from domain.rules import GRADE_ORDER
from interfaces.common.case_access import CASE_ROLES
from interfaces.common.commands import system_of
from interfaces.common.security import require_role
from interfaces.web.params import choice, page_number

AUDITORS = (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR)
BEIJING = ZoneInfo("Asia/Shanghai")


def instant(raw: str | None) -> datetime | None:
    """A time from a form: "2026-06-01T09:00" is Beijing time; one with an offset is taken as given."""
    if not raw or not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidValue(
            "audit.time", f"时间格式应为 2026-06-01T09:00:{raw}", f"A time looks like 2026-06-01T09:00: {raw}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def day_of(raw: str | None) -> date | None:
    """A day from a form (2026-06-01)."""
    if not raw or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidValue(
            "audit.day", f"日期格式应为 2026-06-01:{raw[:40]}", f"A day looks like 2026-06-01: {raw[:40]}"
        ) from None


class AuditPages(Controller):
    include_in_schema = False

    @get("/audit/", sync_to_thread=True)
    def home(self, request: Request[Any, Any, Any], verify: bool = False) -> Template:
        require_role(request.user, AUDITORS)
        chain = system_of(request).integrity
        return Template(
            "audit.html",
            context={
                "result": chain.verify() if verify else None,
                "checkpoints": chain.checkpoints()[-10:],
            },
        )

    @get("/audit/lookup", sync_to_thread=True)
    def lookup(self, request: Request[Any, Any, Any], id: str = "") -> Redirect:
        """The look-up form: an id typed or pasted (with spaces or braces) → its timeline."""
        require_role(request.user, AUDITORS)
        try:
            aggregate_id = UUID(id.strip().strip("{}"))
        except ValueError:
            raise InvalidValue("audit.id", f"不是有效的编号:{id[:60]}", f"Not a valid id: {id[:60]}") from None
        return Redirect(f"/audit/aggregates/{aggregate_id}", status_code=303)

    @get("/audit/register", sync_to_thread=True)
    def register(self, request: Request[Any, Any, Any]) -> Template:
        """A bad time shows the message over the register as it stands now (400)."""
        require_role(request.user, AUDITORS)
        system, params = system_of(request), request.query_params
        chosen: dict[str, Any] = {  # each value one of its choices (choice refuses others)
            "status": choice(params, "status", (s.value for s in Status)),
            "grade": choice(params, "grade", (*GRADE_ORDER, "none")),
            "credit_status": choice(params, "credit_status", ("none", "abnormal", "serious")),
            "district": params.get("district") or None,
        }
        error = None
        now = system.clock.now()
        try:  # "on": the day in effect (an older link's "at" gives its day); "known_at": as the system knew it then
            known_at = instant(params.get("known_at"))
            on = day_of(params.get("on")) or (instant(params.get("at")) or known_at or now).astimezone(BEIJING).date()
        except InvalidValue as e:
            error, known_at, on = e, None, now.astimezone(BEIJING).date()
        result = system.audit.register_as_of(
            RegisterAsOfQuery(effective_on=on, known_at=known_at, page=page_number(params.get("page")), per_page=50, **chosen)
        )
        keep = {k: v for k, v in {**chosen, "on": on.isoformat(), "known_at": params.get("known_at")}.items() if v}
        return Template(
            "audit_register.html",
            status_code=400 if error else 200,
            context={
                "result": result,
                "on": on,
                "known_at": known_at,
                "known_text": (params.get("known_at") or "")[:16] if known_at else "",
                "timeline_at": datetime.combine(on, time(23, 59, 59), BEIJING),
                "chosen": chosen,
                "error": error,
                "districts": system.register_view.districts(),
                "tz": BEIJING,
                "page_link": lambda n: "/audit/register?" + urlencode({**keep, "page": n}),
            },
        )

    @get("/audit/aggregates/{aggregate_id:uuid}", sync_to_thread=True)
    def timeline(self, request: Request[Any, Any, Any], aggregate_id: UUID) -> Template:
        """Unknown id → 404 page; a bad time → 400 with the unfiltered timeline; an instant before
        the aggregate existed → the message in place of the state."""
        require_role(request.user, AUDITORS)
        system, params = system_of(request), request.query_params
        audit = system.audit
        types = parse_event_types(params.get("event_type"))
        error: Exception | None = None
        try:
            since, until, at = (instant(params.get(k)) for k in ("since", "until", "at"))
        except InvalidValue as e:
            error, since, until, at = e, None, None, None
        entries, all_types = audit.timeline_and_types(aggregate_id, types, since, until)
        state = None
        if at is not None:
            try:
                state = audit.state_at(aggregate_id, at)
            except NotFound as e:
                error = e
        return Template(
            "audit_timeline.html",
            status_code=400 if isinstance(error, InvalidValue) else 200,
            context={
                "aggregate_id": aggregate_id,
                "entries": entries,
                "state": state,
                "error": error,
                "tz": BEIJING,
                "names": {u.id: u.display_name for u in system.accounts.users()},
                "form": {k: params.get(k) or "" for k in ("event_type", "since", "until", "at")},
                "all_types": all_types,
            },
        )

    @get("/organizations/{organization_id:uuid}/grade-explanation", sync_to_thread=True)
    def grade(self, request: Request[Any, Any, Any], organization_id: UUID) -> Redirect:
        require_role(request.user, CASE_ROLES)
        at = instant(request.query_params.get("at"))
        evaluation_id = system_of(request).audit.grade_evaluation(organization_id, at)
        return Redirect(f"/evaluations/{evaluation_id}/explanation", status_code=303)

    @get("/projects/{project_id:uuid}/stars-explanation", sync_to_thread=True)
    def stars(self, request: Request[Any, Any, Any], project_id: UUID) -> Redirect:
        require_role(request.user, CASE_ROLES)
        evaluation_id = system_of(request).audit.stars_evaluation(project_id)
        return Redirect(f"/evaluations/{evaluation_id}/explanation", status_code=303)

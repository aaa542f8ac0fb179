"""Server-rendered pages (Jinja2), zh-CN first. Forms post with a CSRF token; changes carry
the version the person saw, so a stale form is refused with a clear message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from application.desk import Desk
from application.errors import BadCredentials, NotFound, TooManyAttempts
from application.queries.register import RegisterQuery
from application.register_import import COLUMNS, ledger_row
from domain.errors import DomainError, InvalidValue
from domain.organization import OrganizationType, Profile, Status, Track
from domain.provenance import Role
from interfaces.common.commands import context, system_of
from interfaces.common.exports import Format, table_download
from interfaces.common.problems import domain_status
from interfaces.common.security import (
    SESSION_COOKIE,
    SIGNED_IN,
    STAFF,
    Principal,
    SessionCookie,
    require_own_organization,
    require_role,
)
from interfaces.web.confirm import Confirmation, basis_fields, basis_from, confirm_then, confirmation_page
from interfaces.web.forms import Form
from interfaces.web.i18n import LANG_COOKIE, LANGS, language, message_for, translate
from interfaces.web.params import choice, page_number

_SORTS = ("name", "registered_on", "district", "status", "updated_at")
_CHANGES = {
    "name": lambda r, c, id, v, value: r.rename(c, id, v, value),
    "address": lambda r, c, id, v, value: r.change_address(c, id, v, value),
    "legal_representative": lambda r, c, id, v, value: r.change_legal_representative(c, id, v, value),
}
_ACTIONS = {
    "suspend": lambda r, c, id, v: r.suspend(c, id, v),
    "resume": lambda r, c, id, v: r.resume(c, id, v),
    "deregister": lambda r, c, id, v: r.deregister(c, id, v),
    "revoke": lambda r, c, id, v: r.revoke(c, id, v),
    "correct": lambda r, c, id, v: r.correct_last_decision(c, id, v),
}
# Acts that stand on a written decision and are confirmed on a page of their own before they are recorded.
_DECISIONS = ("suspend", "deregister", "revoke", "correct")


def _staff_page(request: Request[Any, Any, Any]) -> None:
    require_role(request.user, STAFF)


class PageController(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        """Each role lands on its own worklist; the public on the public register."""
        principal: Principal = request.user
        return Redirect("/public/" if principal.role is Role.PUBLIC else "/work")

    @get("/favicon.ico")
    async def favicon(self) -> Redirect:
        """Browsers and bookmarks ask for this path whatever the page says; the icon is an SVG."""
        return Redirect("/static/favicon.svg", status_code=301)

    @get("/lang/{code:str}")
    async def switch_language(self, request: Request[Any, Any, Any], code: str) -> Redirect:
        back = request.headers.get("referer") or "/register"
        response = Redirect(back if back.startswith(("/", str(request.base_url))) else "/register")
        response.set_cookie(LANG_COOKIE, code if code in LANGS else "zh", max_age=365 * 86400, samesite="lax")
        return response

    @get("/api-docs")
    async def api_docs(self, request: Request[Any, Any, Any]) -> Template:
        """The API, read from the OpenAPI document: one line per operation."""
        spec = request.app.openapi_schema.to_schema()
        operations = [
            {
                "method": method.upper(),
                "path": path,
                "id": op.get("operationId", ""),
                "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "tag": (op.get("tags") or ["system"])[0],
            }
            for path, item in spec["paths"].items()
            for method, op in item.items()
        ]
        operations.sort(key=lambda o: (o["tag"], o["path"], o["method"]))
        return Template("api_docs.html", context={"operations": operations, "title": spec["info"]["title"]})

    @get("/login")
    async def login_form(self, next: str = "/") -> Template:
        return Template("login.html", context={"next": _safe_next(next), "error": None})

    @post("/login", sync_to_thread=True, status_code=303)
    def login(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        next_ = _safe_next(data.get("next", "/"))
        try:
            address = request.client.host if request.client else None
            session = system_of(request).accounts.login(data.get("username", ""), data.get("password", ""), address)
        except (BadCredentials, TooManyAttempts) as e:
            return Template("login.html", context={"next": next_, "error": message_for(request, e)}, status_code=domain_status(e))
        response = Redirect(next_, status_code=303)
        cookie: SessionCookie = request.app.state.session_cookie
        response.set_cookie(
            SESSION_COOKIE, session.token, httponly=True, secure=cookie.secure, samesite="lax", max_age=cookie.max_age_seconds
        )
        return response

    @post("/logout", sync_to_thread=True, status_code=303)
    def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        principal: Principal = request.user
        if principal.token:
            system_of(request).accounts.logout(principal.token)
        response = Redirect("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @get("/register/download", sync_to_thread=True)
    def register_download(
        self, request: Request[Any, Any, Any], format: Format = "xlsx", layout: Literal["list", "ledger"] = "list"
    ) -> Response[bytes]:
        """The register as filtered on the page, every matching organization, as .xlsx or CSV; in the
        ledger layout (台账格式), its registered organizations in the import template's columns."""
        require_role(request.user, SIGNED_IN)
        filters, sort = _register_filters(request.query_params)
        view, lang = system_of(request).register_view, language(request)
        if layout == "ledger":
            return _ledger_download(view, {**filters, "track": "registered"}, sort, format)

        def rows() -> Iterator[list[Any]]:
            page = 1
            while True:
                found = view.search(_register_query(filters, sort, page, EXPORT_PAGE))
                for o in found.items:
                    yield [
                        o.name,
                        o.code or o.filing_no,
                        translate(lang, f"org_type.{o.org_type}"),
                        translate(lang, f"track.{o.track}"),
                        translate(lang, f"status.{o.status}"),
                        o.district,
                        o.registered_on,
                        o.grade or "",
                        o.grade_valid_until,
                        translate(lang, f"credit.{o.credit_status}"),
                    ]
                if page >= found.pages:
                    return
                page += 1

        header = [translate(lang, f"export.register.{c}") for c in REGISTER_COLUMNS]
        return table_download("register", translate(lang, "export.register.title"), header, rows(), format)

    @get("/register", sync_to_thread=True)
    def register(self, request: Request[Any, Any, Any]) -> Template:
        params = request.query_params
        filters, sort = _register_filters(params)
        result = system_of(request).register_view.search(_register_query(filters, sort, page_number(params.get("page")), 20))
        keep = {k: v for k, v in {**filters, "sort": sort}.items() if v}
        return Template(
            "register.html",
            context={
                "result": result,
                "filters": filters,
                "sort": sort,
                "sorts": _SORTS,
                "org_types": [t.value for t in OrganizationType],
                "districts": _districts(request),
                "page_link": lambda n: "/register?" + urlencode({**keep, "page": n}),
            },
        )

    @get("/organizations/new")
    async def new_form(self, request: Request[Any, Any, Any]) -> Template:
        _staff_page(request)
        return Template("new.html", context={"error": None, "form": {}, "org_types": [t.value for t in OrganizationType]})

    @post("/organizations/new", sync_to_thread=True, status_code=303)
    def create(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        _staff_page(request)
        organizations = system_of(request).organizations
        try:
            profile = Profile(
                name=data.get("name", ""),
                org_type=_org_type(data.get("org_type", "social_association")),
                legal_representative=data.get("legal_representative", ""),
                address=data.get("address", ""),
                division_code=data.get("division_code", "").strip(),
                district=data.get("district", ""),
                supervising_unit=data.get("supervising_unit") or None,
                is_hub=data.get("is_hub") == "on",
                public_benefit=data.get("public_benefit") == "on",
                community_level=data.get("community_level") == "on",
            )
            ctx = context(request)
            if data.get("track") == "filed":
                org = organizations.file_organization(ctx, profile, data.get("filing_no", ""), data.get("filed_with", ""))
            else:
                org = organizations.register_organization(ctx, profile, data.get("code", ""))
        except DomainError as e:
            return Template(
                "new.html",
                context={"error": message_for(request, e), "form": data, "org_types": [t.value for t in OrganizationType]},
                status_code=domain_status(e),
            )
        return Redirect(f"/organizations/{org.id}?saved=1", status_code=303)

    @get("/organizations/{organization_id:uuid}", sync_to_thread=True)
    def detail(self, request: Request[Any, Any, Any], organization_id: UUID) -> Template:
        return self._detail(request, organization_id, None, 200)

    def _detail(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        error: str | None,
        status: int,
        form: dict[str, str] | None = None,
    ) -> Template:
        system = system_of(request)
        org = system.organizations.organization(organization_id)
        principal: Principal = request.user
        may_see_history = principal.role in (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR) or (
            principal.role is Role.ORGANIZATION and principal.organization_id == organization_id
        )
        history = list(reversed(system.organizations.history(organization_id))) if may_see_history else None
        hub = system.register_view.get(org.hub_id) if org.hub_id else None
        entry = system.register_view.get(organization_id)
        return Template(
            "organization.html",
            context={
                "org": org,
                "history": history,
                "hub": hub,
                "entry": entry,
                "error": error,
                "is_staff": principal.role in STAFF,
                "saved": request.query_params.get("saved") == "1",
                "done": request.query_params.get("done") if request.query_params.get("done") in _ACTIONS else None,
                "form": form or {},
                "changes": list(_CHANGES),
                "decisions": [
                    a
                    for a in _DECISIONS
                    if (a != "suspend" or org.status is Status.ACTIVE)
                    and not (a == "revoke" and org.track is Track.FILED)
                    and a != "correct"
                ],
                "certificate": system.certificates.current(organization_id) if may_see_history else None,
                "cases": system.cases.cases(subject_id=organization_id) if may_see_history else [],
                "inspections": system.compliance.inspections_of(organization_id) if may_see_history else [],
                "open_year": open_report_year(system, org) if may_see_history else None,
                "chairs": [u for u in system.accounts.users() if u.role == "chair"] if principal.role in STAFF else [],
                "names": {u.id: u.display_name for u in system.accounts.users()} if history else {},
                "tz": ZoneInfo(system.rules.for_division(org.profile.division_code, org.created_on.date()).timezone),
            },
            status_code=status,
        )

    @post("/organizations/{organization_id:uuid}/change", sync_to_thread=True, status_code=303)
    def change(self, request: Request[Any, Any, Any], organization_id: UUID, data: Form) -> Response[Any]:
        return self._act(request, organization_id, data, _CHANGES.get(data.get("field", "")), data.get("value", ""))

    @get("/organizations/{organization_id:uuid}/status/{action:str}", sync_to_thread=True)
    def confirm_status(self, request: Request[Any, Any, Any], organization_id: UUID, action: str) -> Template:
        """The page that asks for the decision's basis and confirmation before 停止活动, 注销 or 撤销登记."""
        _staff_page(request)
        if action not in _DECISIONS:
            raise NotFound("page", action)
        org = system_of(request).organizations.organization(organization_id)
        return confirmation_page(_status_confirmation(request, org, action), {"version": str(org.version)})

    @post("/organizations/{organization_id:uuid}/status", sync_to_thread=True, status_code=303)
    def status(self, request: Request[Any, Any, Any], organization_id: UUID, data: Form) -> Response[Any]:
        action = data.get("action", "")
        if action in _DECISIONS:
            return self._decide(request, organization_id, action, data)
        return self._act(request, organization_id, data, _ACTIONS.get(action), done=action)

    def _decide(self, request: Request[Any, Any, Any], organization_id: UUID, action: str, data: dict[str, str]) -> Response[Any]:
        _staff_page(request)
        org = system_of(request).organizations.organization(organization_id)

        def decide() -> None:
            if not data.get("version", "").isdecimal():
                raise DomainError("form.invalid", "表单内容不完整", "The form is incomplete")
            ctx = context(request, basis_from(data))
            _ACTIONS[action](system_of(request).organizations, ctx, organization_id, int(data["version"]))

        page = _status_confirmation(request, org, action)
        return confirm_then(request, page, data, decide, f"/organizations/{organization_id}?done={action}")

    def _act(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        data: dict[str, str],
        act: Any,
        *value: str,
        done: str | None = None,
    ) -> Response[Any]:
        _staff_page(request)
        require_own_organization(request.user, organization_id)
        try:
            basis = basis_from(data)
            if act is None or not data.get("version", "").isdecimal():
                raise DomainError("form.invalid", "表单内容不完整", "The form is incomplete")
            act(system_of(request).organizations, context(request, basis), organization_id, int(data["version"]), *value)
        except DomainError as e:  # the page again, with what was typed
            return self._detail(request, organization_id, message_for(request, e), domain_status(e), form=data)
        return Redirect(f"/organizations/{organization_id}?{'done=' + done if done else 'saved=1'}", status_code=303)


def _status_confirmation(request: Request[Any, Any, Any], org: Any, action: str) -> Confirmation:
    lang = language(request)
    mark = org.last_decision
    named = {"decision": (mark.zh if lang == "zh" else mark.en), "day": mark.on.isoformat()} if mark else {}
    return Confirmation(
        title=translate(lang, f"org.confirm.{action}.title", name=org.profile.name),
        consequence=translate(lang, f"org.confirm.{action}.consequence", **named),
        audience=translate(lang, "org.confirm.audience"),
        action_url=f"/organizations/{org.id}/status",
        back_url=f"/organizations/{org.id}",
        back_label=translate(lang, "org.confirm.back"),
        confirm_label=translate(lang, f"org.confirm.button.{action}"),
        hidden={"action": action, "version": str(org.version)},
        fields=basis_fields(lang, translate(lang, "org.confirm.document_hint")),
        irreversible=action != "suspend",
    )


def _org_type(raw: str) -> OrganizationType:
    try:
        return OrganizationType(raw)
    except ValueError:
        raise InvalidValue("form.org_type", "请选择组织类型", "Choose the type of organization", field="org_type") from None


def _safe_next(target: str) -> str:
    """Only local paths: the login form must not redirect elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _districts(request: Request[Any, Any, Any]) -> list[str]:
    return system_of(request).register_view.districts()


def open_report_year(system: Desk, org: Any) -> int | None:
    """Last year's report, if it is still to be filed (the rule lives in Inspections.open_report_year)."""
    year: int | None = system.inspections.open_report_year(org.id)
    return year


def _ledger_download(view: Any, filters: dict[str, Any], sort: str, format: Format) -> Response[bytes]:
    def rows() -> Iterator[list[Any]]:
        page = 1
        while True:
            found = view.search(_register_query(filters, sort, page, EXPORT_PAGE))
            yield from (ledger_row(o) for o in found.items)
            if page >= found.pages:
                return
            page += 1

    header = [zh for _key, zh, _en, _required in COLUMNS]
    return table_download("register-ledger", "登记名册(台账格式)", header, rows(), format)


REGISTER_COLUMNS = ("name", "code", "org_type", "track", "status", "district", "registered_on", "grade", "valid_until", "credit")
EXPORT_PAGE = 200  # the register's largest page


def _register_filters(params: Any) -> tuple[dict[str, Any], Any]:
    """The register page's filters and sort, each value one of its choices (an empty one is any)."""
    sort: Any = params.get("sort") if params.get("sort") in _SORTS else "name"  # one of the query's sorts
    filters = {
        "q": params.get("q") or None,
        "district": params.get("district") or None,
        "org_type": choice(params, "org_type", (t.value for t in OrganizationType)),
        "track": choice(params, "track", (t.value for t in Track)),
        "status": choice(params, "status", (s.value for s in Status)),
    }
    return filters, sort


def _register_query(filters: dict[str, Any], sort: Any, page: int, per_page: int) -> RegisterQuery:
    return RegisterQuery(
        text=filters["q"],
        org_type=filters["org_type"],
        track=filters["track"],
        status=filters["status"],
        district=filters["district"],
        sort=sort,
        page=page,
        per_page=per_page,
    )

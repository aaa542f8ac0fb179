"""Public disclosure pages (信息公示), no sign-in: search, an organization's card, the credit lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.params import Parameter
from litestar.response import Template

from application.public import CSV_COLUMNS
from application.queries.compliance import ListingQuery
from application.queries.register import RegisterQuery
from interfaces.common.commands import system_of
from interfaces.common.exports import Format, table_download
from interfaces.web.i18n import language, translate

ListName = Literal["abnormal", "serious"]
Text = Annotated[str | None, Parameter(max_length=100)]


def pager(base: str, params: dict[str, Any]) -> Any:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return lambda page: f"{base}?{urlencode({**kept, 'page': page})}"


class PublicPages(Controller):
    path = "/public"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def search(
        self,
        request: Request[Any, Any, Any],
        q: Text = None,
        district: Text = None,
        credit_status: Literal["none", "abnormal", "serious"] | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        query = RegisterQuery(text=q, district=district, credit_status=credit_status, page=page, per_page=20)
        system = system_of(request)
        result = system.public.search(query)
        filters = {"q": q, "district": district, "credit_status": credit_status}
        return Template(
            "public_search.html",
            context={
                "result": result,
                "filters": filters,
                "districts": system.register_view.districts(),
                "page_link": pager("/public/", filters),
            },
        )

    @get("/organizations/{organization_id:uuid}", sync_to_thread=True)
    def card(self, request: Request[Any, Any, Any], organization_id: UUID) -> Template:
        system = system_of(request)
        card = system.public.card(organization_id)
        certificate = system.organizations.organization(organization_id).current_certificate
        standing = certificate if certificate and certificate.standing_on(card.as_of) is None else None
        return Template(
            "public_card.html",
            context={"card": card, "documents": system.evidence.of(organization_id), "certificate": standing},
        )

    @get("/spot-checks/{draw_id:uuid}", sync_to_thread=True)
    def spot_check_draw(self, request: Request[Any, Any, Any], draw_id: UUID) -> Template:
        """A random-inspection draw as published: seed, candidate list and its hash, selection, how to rerun it."""
        desk = system_of(request).spot_checks
        made = desk.draw_record(draw_id)
        tz = ZoneInfo(desk.rule_set_for(made.division_prefix).timezone)  # drawn at, in the locality's time
        return Template("public_spot_check_draw.html", context={"d": desk.published(made), "tz": tz})

    @get("/lists/{list_name:str}", sync_to_thread=True)
    def listing(
        self,
        request: Request[Any, Any, Any],
        list_name: ListName,
        q: Text = None,
        district: Text = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        result = system_of(request).public.listings(
            ListingQuery(list_name=list_name, text=q, district=district, page=page, per_page=50)
        )
        filters = {"q": q, "district": district}
        return Template(
            "public_list.html",
            context={
                "list_name": list_name,
                "result": result,
                "filters": filters,
                "page_link": pager(f"/public/lists/{list_name}", filters),
            },
        )

    @get("/lists/{list_name:str}/download", sync_to_thread=True)
    def download(
        self,
        request: Request[Any, Any, Any],
        list_name: ListName,
        q: Text = None,
        district: Text = None,
        format: Format = "csv",
    ) -> Response[bytes]:
        """The list as filtered on the page, grounds in the page's language, as CSV or .xlsx."""
        lang = language(request)
        rows = system_of(request).public.listing_rows(
            list_name, True, lambda code: translate(lang, f"ground.{code}"), text=q, district=district
        )
        header = list(CSV_COLUMNS.get(lang, CSV_COLUMNS["zh"]))
        return table_download(f"{list_name}-list", translate(lang, f"list.{list_name}"), header, rows, format)

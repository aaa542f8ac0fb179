"""公示 pages, no sign-in: grade results under announcement and past ones, each year's inspection
results by locality, funded projects, the log's checkpoints with how to check them, and an Atom feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from xml.sax.saxutils import escape

from litestar import Controller, Request, Response, get
from litestar.params import Parameter
from litestar.response import Template

from application.queries.compliance import InspectionResultQuery
from interfaces.common.commands import system_of
from interfaces.common.exports import Format, table_download
from interfaces.web.i18n import language, translate
from interfaces.web.public_pages import pager

Year = Annotated[int | None, Parameter(ge=2000, le=2100)]
Text = Annotated[str | None, Parameter(max_length=50)]
Outcome = Literal["pass", "basic_pass", "fail", "missed"]
FEED_ENTRIES = 50


class AnnouncementPages(Controller):
    path = "/public"
    include_in_schema = False

    @get("/announcements", sync_to_thread=True)
    def announcements(
        self,
        request: Request[Any, Any, Any],
        year: Year = None,
        district: Text = None,
        outcome: Outcome | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        public = system_of(request).announcements
        years = public.inspection_years()
        shown_year = year if year is not None else (years[0] if years else None)
        results = (
            public.inspection_results(InspectionResultQuery(shown_year, district or None, outcome, page, 50))
            if shown_year is not None
            else None
        )
        filters = {"year": shown_year, "district": district, "outcome": outcome}
        return Template(
            "public_announcements.html",
            context={
                "grades": public.grades(),
                "years": years,
                "year": shown_year,
                "results": results,
                "filters": filters,
                "districts": system_of(request).register_view.districts(),
                "rounds": public.funded_projects(),
                "page_link": pager("/public/announcements", filters),
            },
        )

    @get("/announcements/inspections/download", sync_to_thread=True)
    def inspections_download(
        self,
        request: Request[Any, Any, Any],
        year: Annotated[int, Parameter(ge=2000, le=2100)],
        district: Text = None,
        outcome: Outcome | None = None,
        format: Format = "xlsx",
    ) -> Response[bytes]:
        """A year's inspection results as filtered on the page, outcomes in words."""
        public, lang = system_of(request).announcements, language(request)

        def rows() -> Iterator[list[Any]]:
            page = 1
            while True:
                found = public.inspection_results(InspectionResultQuery(year, district or None, outcome, page, 500))
                for r in found.items:
                    yield [r.name, r.code, r.district, r.report_year, translate(lang, f"outcome.{r.outcome}")]
                if page >= found.pages:
                    return
                page += 1

        header = [
            translate(lang, k) for k in ("field.name", "field.code", "field.district", "field.report_year", "field.outcome")
        ]
        return table_download(f"inspections-{year}", translate(lang, "ann.inspections", year=year), header, rows(), format)

    @get("/announcements/projects/download", sync_to_thread=True)
    def projects_download(self, request: Request[Any, Any, Any], format: Format = "xlsx") -> Response[bytes]:
        lang = language(request)
        rows = [
            [r.title, p.organization_name, p.title, p.district, p.awarded, p.stars or ""]
            for r in system_of(request).announcements.funded_projects()
            for p in r.projects
        ]
        keys = ("ann.round", "field.name", "ann.project", "field.district", "ann.awarded", "ann.stars")
        return table_download(
            "funded-projects", translate(lang, "ann.projects"), [translate(lang, k) for k in keys], rows, format
        )

    @get("/checkpoints", sync_to_thread=True)
    def checkpoints(self, request: Request[Any, Any, Any]) -> Template:
        return Template("public_checkpoints.html", context={"checkpoints": system_of(request).announcements.checkpoints()})

    @get("/announcements.atom", sync_to_thread=True)
    def feed(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """Atom (RFC 4287): new grade announcements and the log's checkpoints, newest first."""
        base = str(request.base_url).rstrip("/")
        entries = system_of(request).announcements.feed(FEED_ENTRIES)
        zh = language(request) == "zh"
        updated = max((e.at for e in entries), default=datetime(2026, 1, 1, tzinfo=UTC))
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{escape('星级台账 · 信息公示' if zh else 'StarLedger · public announcements')}</title>",
            f"<id>{escape(base)}/public/announcements</id>",
            f'<link rel="alternate" href="{escape(base)}/public/announcements"/>',
            f'<link rel="self" href="{escape(base)}/public/announcements.atom"/>',
            f"<updated>{updated.isoformat()}</updated>",
            "<author><name>StarLedger</name></author>",
        ]
        for e in entries:
            parts += [
                "<entry>",
                f"<id>{escape(base)}/public/{escape(e.id)}</id>",
                f"<title>{escape(e.title_zh if zh else e.title_en)}</title>",
                f'<link rel="alternate" href="{escape(base + e.link)}"/>',
                f"<updated>{e.at.isoformat()}</updated>",
                "</entry>",
            ]
        parts.append("</feed>")
        return Response("\n".join(parts).encode(), media_type="application/atom+xml; charset=utf-8")

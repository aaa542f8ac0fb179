"""台账导入 on a page: the registrar chooses the bureau's spreadsheet, sees every row's problem
(a dry run, nothing written), and imports once the file is clean; importing again creates nothing.
The file travels as the request body (an upload with a progress bar), never as a form field."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from application.register_import import COLUMNS
from domain.errors import DomainError
from interfaces.common.commands import context, system_of
from interfaces.common.documents import FileName
from interfaces.common.problems import domain_status
from interfaces.common.security import STAFF, require_role
from interfaces.common.spreadsheets import read_register, template_bytes
from interfaces.web.i18n import message_for

MAX_FILE_BYTES = 50 * 1024 * 1024  # a 100,000-row register is a few MB


class ImportPages(Controller):
    path = "/organizations/import"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def form(self, request: Request[Any, Any, Any]) -> Template:
        require_role(request.user, STAFF)
        return Template("import.html", context={"columns": COLUMNS})

    @get("/template.xlsx", sync_to_thread=True)
    def template(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        require_role(request.user, STAFF)
        return Response(
            template_bytes(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f"attachment; filename=\"register-template.xlsx\"; filename*=UTF-8''{quote('登记名册导入模板.xlsx')}"
            },
        )

    @post("/", request_max_body_size=MAX_FILE_BYTES, status_code=200)
    async def run(
        self,
        request: Request[Any, Any, Any],
        name: FileName = "",
        dry_run: Annotated[bool, Parameter(description="check only")] = True,
    ) -> Template:
        """The report as a page fragment: what would be (or was) created, what is there already, each row's problem."""
        require_role(request.user, STAFF)
        body = await request.body()
        ctx = context(request)

        def run() -> Any:
            rows = read_register(body, name or "upload")
            return system_of(request).register_import.import_rows(ctx, rows.rows, name or "upload", dry_run=dry_run)

        try:
            report = await anyio.to_thread.run_sync(run)
        except DomainError as e:
            return Template("_import_report.html", context={"error": message_for(request, e)}, status_code=domain_status(e))
        return Template("_import_report.html", context={"report": report, "dry_run": dry_run, "error": None})

"""Tables handed out as CSV files, by the API and the pages alike."""

from __future__ import annotations

from litestar import Response

DASHBOARDS = ("grades", "inspections", "listings", "funds", "stars", "subsidies")  # the dashboard tables, by key


def csv_download(body: str, list_name: str) -> Response[str]:
    return Response(
        body,
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types itself
        headers={"Content-Disposition": f'attachment; filename="{list_name}-list.csv"'},
    )

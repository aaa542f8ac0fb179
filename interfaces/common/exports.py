"""Tables handed out as files, by the API and the pages alike: CSV (UTF-8 with a BOM) or Excel
(.xlsx, openpyxl, written row by row). In both, a text cell is text: one beginning with = + - @
is never read as a formula (application/exports.py for CSV; the cell's type for xlsx)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal
from urllib.parse import quote
from uuid import UUID

from litestar import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from application.exports import csv_text

DASHBOARDS = ("grades", "inspections", "listings", "funds", "stars", "subsidies")  # the dashboard tables, by key
Format = Literal["csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_download(body: str, list_name: str) -> Response[str]:
    return Response(
        body,
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types itself
        headers={"Content-Disposition": f'attachment; filename="{list_name}-list.csv"'},
    )


def table_download(
    file_stem: str, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], fmt: Format
) -> Response[bytes]:
    """A list as the person filtered it, as a file named in ASCII and (RFC 5987) in Chinese."""
    if fmt == "xlsx":
        body, media_type = xlsx_bytes(title, header, rows), XLSX
    else:
        body, media_type = csv_text(header, ([_plain(v) for v in row] for row in rows)).encode(), "text/csv"
    ascii_name = f"{file_stem}.{fmt}"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(f'{title}.{fmt}')}"
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = _cell(sheet, name)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet: Any, value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # text, even when it begins with =: never a formula
        return cell
    return WriteOnlyCell(sheet, value=value)


def _plain(value: Any) -> Any:
    """What a spreadsheet cell holds: numbers and dates as they are, the rest as text."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):  # an aware time: as the text people read (a cell has no zone)
        return value.isoformat(timespec="minutes")
    if isinstance(value, (bool, int, Decimal, date, str)):
        return value
    if isinstance(value, UUID):
        return str(value)
    return str(value)


def _sheet_title(title: str) -> str:
    cleaned = "".join(c for c in title if c not in "[]:*?/\\")
    return cleaned[:31] or "Sheet"

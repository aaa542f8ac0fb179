"""Reading a register kept in a spreadsheet: .xlsx (openpyxl, read-only, row by row) or CSV
(UTF-8, with or without a BOM). What is not one, has macros, lacks the headers or is too long is
refused with a sentence that says so, before any row is read."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook

from application.register_import import COLUMNS, EXAMPLE, MAX_ROWS, header_problems
from domain.errors import InvalidValue


@dataclass(frozen=True)
class Rows:
    headers: list[str]
    total: int
    rows: Iterator[dict[str, Any]]


def read_register(data: bytes, file_name: str) -> Rows:
    rows = _xlsx(data) if data[:4] == b"PK\x03\x04" else _csv(data, file_name)  # an .xlsx is a ZIP
    missing = header_problems(rows.headers)
    if missing:
        raise InvalidValue(
            "import.headers",
            f"表头缺少以下列:{'、'.join(missing)}(请使用导入模板)",
            f"The header row lacks: {', '.join(missing)} (use the import template)",
            missing=missing,
        )
    if rows.total > MAX_ROWS:
        raise InvalidValue(
            "import.too_many_rows",
            f"文件有{rows.total:,}行,一次最多导入{MAX_ROWS:,}行,请拆分后导入",
            f"The file has {rows.total:,} rows; at most {MAX_ROWS:,} per import: split it",
        )
    return rows


def _xlsx(data: bytes) -> Rows:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        raise _not_a_spreadsheet() from None
    if "xl/workbook.xml" not in names:
        raise _not_a_spreadsheet()
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise InvalidValue(
            "import.macros",
            "文件含有宏,出于安全原因不予导入;请另存为不含宏的 .xlsx",
            "The file holds macros: save it as a plain .xlsx",
        )
    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    values = sheet.iter_rows(values_only=True)
    headers = [str(h).strip() if h is not None else "" for h in next(values, ())]
    total = max(0, (sheet.max_row or 1) - 1)
    return Rows(headers, total, (dict(zip(headers, row, strict=False)) for row in values))


def _csv(data: bytes, file_name: str) -> Rows:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_a_spreadsheet(file_name) from None
    if "\x00" in text:
        raise _not_a_spreadsheet(file_name)
    lines = text.splitlines()
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    return Rows(headers, max(0, len(lines) - 1), (dict(r) for r in reader))


def _not_a_spreadsheet(file_name: str = "") -> InvalidValue:
    return InvalidValue(
        "import.not_a_spreadsheet",
        f"{file_name or '该文件'}不是 .xlsx 或 UTF-8 编码的 CSV 文件",
        f"{file_name or 'The file'} is not an .xlsx file nor a UTF-8 CSV",
    )


def template_bytes() -> bytes:
    """The import template: the headers in Chinese, and one example row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "登记名册"
    sheet.append([zh for _key, zh, _en, _req in COLUMNS])
    sheet.append(list(EXAMPLE))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

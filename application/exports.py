"""CSV exports that a spreadsheet program can open safely: a text cell beginning with = + - @, a tab
or a carriage return would be read as a formula (=HYPERLINK(...), =cmd|' /C calc'!A0, @SUM(...)),
so it is written with a leading apostrophe, which spreadsheets show as text. Numbers and dates are
written as they are. Every CSV the system writes goes through `csv_text`."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_PLAIN = re.compile(r"^[+-]?(\d+(\.\d+)?)?$")  # "-5", "+3.5" or a lone "-" compute nothing


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN.match(value):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose text cells cannot start a formula."""

    def __init__(self, out: Any) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """UTF-8 with a BOM, so spreadsheet programs read the Chinese right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = SafeWriter(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()

"""台账导入 on both stores: a generated register file checked (dry run: nothing written), imported,
and imported again (nothing new); a file with one bad row of each kind; files that are not a
register refused before any row is read."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from application.context import system_context
from application.register_import import COLUMNS
from domain.errors import InvalidValue
from domain.uscc import complete_code
from interfaces.common.spreadsheets import read_register

ROWS = 2_000  # 10,000 (a county's register) took 31 s on SQLite and 36 s on PostgreSQL: measured, not run each time
HEADERS = [zh for _k, zh, _e, _r in COLUMNS]


def row(n: int, **changes: str) -> list[str]:
    values = {
        "名称": f"铜陵市第{n}号社区服务社",
        "类型": "民办非企业单位" if n % 2 else "社会团体",
        "统一社会信用代码": complete_code(f"5{2 if n % 2 else 1}340711MJ{n:07d}"),  # the type digit matches the type
        "法定代表人": "赵六",
        "住所": f"铜陵市郊区幸福路{n}号",
        "行政区划代码": "340711",
        "所属区县": "铜陵市郊区",
        "业务主管单位": "",
        "登记日期": "2019-04-01",
    }
    return [{**values, **changes}.get(h, "") for h in HEADERS]


def xlsx(rows: list[list[str]], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    book.active.append(headers)
    for r in rows:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(system: Any, data: bytes, dry_run: bool) -> Any:
    rows = read_register(data, "郊区台账.xlsx")
    return system.register_import.import_rows(system_context("test", "import"), rows.rows, "郊区台账.xlsx", dry_run=dry_run)


def events(system: Any) -> int:
    return int(system.store.recorder.max_notification_id() or 0)


def test_a_register_file_is_checked_then_imported_once(system: Any) -> None:
    data = xlsx([row(n) for n in range(1, ROWS + 1)])
    before = events(system)
    checked = run(system, data, dry_run=True)
    assert (checked.rows, checked.created, checked.problems) == (ROWS, ROWS, []) and events(system) == before
    started = time.perf_counter()
    imported = run(system, data, dry_run=False)
    print(f"imported {ROWS} rows in {time.perf_counter() - started:.1f} s")
    assert (imported.created, imported.already, imported.problems) == (ROWS, [], [])
    again = run(system, data, dry_run=False)
    assert (again.created, len(again.already)) == (0, ROWS)  # nothing twice
    code = complete_code(f"52340711MJ{7:07d}")  # 7: odd, 民办非企业单位
    org = system.organizations.organization_by_code(code)
    assert org.profile.name == "铜陵市第7号社区服务社" and str(org.registered_on) == "2019-04-01"
    [registered] = system.organizations.history(org.id)[:1]
    assert registered.document_no == "郊区台账.xlsx" and "第8行" in (registered.reason or "")  # the file and row as basis


def test_every_bad_row_is_named_with_what_is_wrong_and_nothing_of_it_is_written(system: Any) -> None:
    good = row(1)
    wrong_check = complete_code("52340711MJ0000002")[:17] + ("0" if complete_code("52340711MJ0000002")[17] != "0" else "1")
    rows = [
        good,
        row(2, 统一社会信用代码=wrong_check),
        row(3, 统一社会信用代码=good[2]),  # duplicates row 2 of the file
        row(4, 行政区划代码="990711"),
        row(5, 类型="股份公司"),
        row(6, 登记日期="2019-13-01"),
        row(7, 名称=""),
    ]
    report = run(system, xlsx(rows), dry_run=False)
    by_row = {p.row: p for p in report.problems}
    assert report.created == 1 and sorted(by_row) == [3, 4, 5, 6, 7, 8]
    assert f"应为 {complete_code('52340711MJ0000002')[17]}" in by_row[3].zh
    assert "第2行" in by_row[4].zh and "990711" in by_row[5].zh and "股份公司" in by_row[6].zh
    assert "2019-13-01" in by_row[7].zh and by_row[8].column == "名称"
    assert run(system, xlsx([good]), dry_run=True).already == [2]  # in the register now


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7 not a sheet \x00\x01", "import.not_a_spreadsheet"),
        ("名称,类型\n甲,社会团体\n".encode(), "import.headers"),
        (b"", "import.headers"),
    ],
)
def test_what_is_not_a_register_file_is_refused_before_any_row(data: bytes, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        read_register(data, "x")
    assert refused.value.code == code and refused.value.message_zh and refused.value.message_en


def test_a_workbook_with_macros_or_too_many_rows_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([row(1)]))) as source, zipfile.ZipFile(out, "w") as macro:
        for item in source.infolist():
            macro.writestr(item, source.read(item))
        macro.writestr("xl/vbaProject.bin", b"macro")
    with pytest.raises(InvalidValue, match="macros"):
        read_register(out.getvalue(), "m.xlsm")
    lines = io.StringIO()
    writer = csv.writer(lines)
    writer.writerow(HEADERS)
    writer.writerows([[""] * len(HEADERS)] * 100_001)
    with pytest.raises(InvalidValue) as refused:
        read_register(lines.getvalue().encode(), "big.csv")
    assert refused.value.code == "import.too_many_rows" and "100,001" in refused.value.message_en

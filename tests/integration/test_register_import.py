"""台账导入 on both stores: a generated register file checked (dry run: nothing written), imported,
and imported again (nothing new); a file with one bad row of each kind; files that are not a
register refused before any row is read."""

from __future__ import annotations

import csv
import io
import re
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

ROWS = 10_000  # a county's register
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


def test_what_the_old_system_knew_comes_in_as_migrated_facts_in_effect_from_their_days(system: Any) -> None:
    from datetime import date

    from application.queries.register import RegisterAsOfQuery
    from domain.credit import CreditList, credit_record_id

    graded = row(
        1,
        现有等级="3A",
        等级有效期起="2024-01-01",
        等级有效期至="2028-12-31",
        等级决定文号="铜民评〔2023〕5号",
        列入活动异常名录日期="2025-03-10",
        活动异常名录决定文号="铜民异〔2025〕2号",
    )
    serious = row(2, 列入严重违法失信名单日期="2024-08-01", 严重违法失信名单决定文号="铜民失〔2024〕1号")
    report = run(system, xlsx([graded, serious, row(3)]), dry_run=False)
    assert (report.created, report.problems) == (3, [])

    org = system.organizations.organization_by_code(graded[2])
    assert (org.grade, str(org.grade_valid_until), org.grade_evaluation_id) == ("3A", "2028-12-31", None)
    record = system.store.repository.get(credit_record_id(org.id))
    listing = record.current(CreditList.ABNORMAL)
    assert listing.listed_on == date(2025, 3, 10) and listing.grounds[0].ref == "铜民异〔2025〕2号"
    migrated = next(e for e in system.store.events.get(org.id) if type(e).__name__ == "GradeMigrated")
    assert migrated.provenance.basis.document_no == "郊区台账.xlsx" and "第2行" in (migrated.provenance.basis.reason or "")

    # the register as in effect on past days shows the history entered today
    def line(on: date, code: str) -> Any:
        page = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, per_page=500))
        return next(r for r in page.items if r.id == system.organizations.organization_by_code(code).id)

    assert (line(date(2023, 6, 1), graded[2]).grade, line(date(2023, 6, 1), graded[2]).credit_status) == (None, "none")
    assert (line(date(2024, 6, 1), graded[2]).grade, line(date(2024, 6, 1), graded[2]).credit_status) == ("3A", "none")
    assert line(date(2025, 6, 1), graded[2]).credit_status == "abnormal"
    assert line(date(2024, 9, 1), serious[2]).credit_status == "serious"
    assert line(date(2024, 7, 1), serious[2]).credit_status == "none"


def test_a_history_that_does_not_hang_together_is_named_row_by_row(system: Any) -> None:
    rows = [
        row(1, 现有等级="6A", 等级有效期起="2024-01-01", 等级有效期至="2028-12-31", 等级决定文号="x"),
        row(2, 现有等级="3A", 等级有效期起="2024-01-01"),  # no end, no number
        row(3, 现有等级="3A", 等级有效期起="2019-01-01", 等级有效期至="2023-12-31", 等级决定文号="x"),  # ran out
        row(4, 列入活动异常名录日期="2025-03-10"),  # no number
        row(5, 列入严重违法失信名单日期="2018-01-01", 严重违法失信名单决定文号="x"),  # before the registration
        row(6, 列入活动异常名录日期="2099-01-01", 活动异常名录决定文号="x"),  # after today
    ]
    report = run(system, xlsx(rows), dry_run=True)
    by_row: dict[int, list[str]] = {}
    for p in report.problems:
        by_row.setdefault(p.row, []).append(f"{p.column}:{p.zh}")
    assert sorted(by_row) == [2, 3, 4, 5, 6, 7], by_row
    assert "6A" in by_row[2][0]
    assert {c.split(":")[0] for c in by_row[3]} == {"等级有效期至", "等级决定文号"}
    assert "到期" in by_row[4][0] and by_row[5][0].startswith("活动异常名录决定文号")
    assert "早于登记日期" in by_row[6][0] and "晚于今天" in by_row[7][0]


@pytest.mark.usefixtures("demo")  # its accounts, to sign in
def test_the_register_exported_in_the_ledger_layout_imports_again_as_it_was(system: Any, tmp_path: Any) -> None:
    from litestar.testing import TestClient

    from application.demo import DEMO_PASSWORD
    from application.queries.register import RegisterQuery
    from infra.wiring import build_system, load_settings
    from interfaces.app import create_app

    rows = [
        row(1, 现有等级="4A", 等级有效期起="2024-01-01", 等级有效期至="2028-12-31", 等级决定文号="铜民评〔2023〕9号"),
        row(2, 列入活动异常名录日期="2025-03-10", 活动异常名录决定文号="铜民异〔2025〕2号", 业务主管单位="铜陵市民政局"),
        row(3),
    ]
    assert run(system, xlsx(rows), dry_run=False).created == 3
    with TestClient(create_app(system)) as client:
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "registrar", "password": DEMO_PASSWORD, "_csrf_token": csrf})
        exported = client.get("/register/download", params={"format": "xlsx", "layout": "ledger", "q": "社区服务社"})
    assert exported.status_code == 200, exported.text

    def lines(s: Any) -> list[tuple[Any, ...]]:
        found = s.register_view.search(RegisterQuery(text="社区服务社", per_page=100)).items
        return sorted(
            (
                o.code,
                o.name,
                o.org_type,
                o.address,
                o.legal_representative,
                o.district,
                o.supervising_unit,
                o.registered_on,
                o.grade,
                o.grade_valid_from,
                o.grade_valid_until,
                o.credit_status,
                o.credit_since,
            )
            for o in found
        )

    settings = load_settings(data_dir=tmp_path / "fresh", database_url="", scheduler=False, secret_key="test-secret")
    fresh = build_system(settings)
    try:
        report = fresh.register_import.import_rows(
            system_context("test", "reimport"), read_register(exported.content, "export.xlsx").rows, "export.xlsx", dry_run=False
        )
        assert (report.created, report.problems) == (3, [])
        assert lines(fresh) == lines(system)
    finally:
        fresh.close()

"""登记名册导入: a bureau's register (台账) kept in a spreadsheet, brought in row by row. A dry run
lists every row's problem without writing; the real run registers each good row with the file and
row as its basis, and is idempotent: a row whose credit code is in the register already creates
nothing (so running the same file twice creates nothing twice)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from application.context import CommandContext
from application.errors import NotFound
from application.organizations import Organizations
from application.rights import command
from application.usecases import UseCases
from domain.errors import DomainError, InvalidValue
from domain.organization import OrganizationType, Profile
from domain.provenance import Basis
from domain.uscc import complete_code, validate_code

# The template's columns: (key, Chinese header, English header, required)
COLUMNS: tuple[tuple[str, str, str, bool], ...] = (
    ("name", "名称", "Name", True),
    ("org_type", "类型", "Type", True),
    ("code", "统一社会信用代码", "Unified social credit code", True),
    ("legal_representative", "法定代表人", "Legal representative", True),
    ("address", "住所", "Address", True),
    ("division_code", "行政区划代码", "Division code", True),
    ("district", "所属区县", "District", True),
    ("supervising_unit", "业务主管单位", "Supervising unit", False),
    ("registered_on", "登记日期", "Registered on", True),
)
ORG_TYPES = {
    "社会团体": OrganizationType.SOCIAL_ASSOCIATION,
    "民办非企业单位": OrganizationType.PRIVATE_NON_ENTERPRISE,
    "社会服务机构": OrganizationType.PRIVATE_NON_ENTERPRISE,
    "基金会": OrganizationType.FOUNDATION,
    **{t.value: t for t in OrganizationType},
}
EXAMPLE = (
    "铜陵市示例志愿者协会",
    "社会团体",
    complete_code("51340711MJA000000"),
    "张三",
    "铜陵市郊区示例路1号",
    "340711",
    "铜陵市郊区",
    "",
    "2021-03-01",
)
MAX_ROWS = 100_000
# GB/T 2260: the provinces' two-digit codes (a division code begins with one)
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
_NS = UUID("6a0e4d55-7c1e-4b8a-9a43-2f1d5b0c9e11")


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str  # the Chinese header, or "" for the whole row
    zh: str
    en: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0  # in a dry run: would be created
    already: list[int] = field(default_factory=list)  # rows whose organization is in the register: nothing created
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def header_problems(headers: Iterable[str]) -> list[str]:
    """The required headers the file lacks (by their Chinese names)."""
    present = {h.strip() for h in headers if h}
    return [zh for key, zh, en, required in COLUMNS if required and zh not in present and key not in present]


class RegisterImport(UseCases):
    def __init__(self, *args: Any, organizations: Organizations, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = organizations

    @command("register_import.import_rows")
    def import_rows(
        self,
        ctx: CommandContext,
        rows: Iterable[Mapping[str, str]],
        source: str,
        *,
        dry_run: bool,
        progress: Callable[[int, int], None] | None = None,
        total: int = 0,
    ) -> ImportReport:
        """`rows` by header (Chinese, or the column keys); row numbers count from 2, under the header."""
        report, seen = ImportReport(), dict[str, int]()
        for number, raw in enumerate(rows, start=2):
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise InvalidValue("import.too_many_rows", f"一次最多导入{MAX_ROWS:,}行", f"At most {MAX_ROWS:,} rows per import")
            self._row(ctx, number, _by_key(raw), source, dry_run, report, seen)
            if progress and (report.rows % 200 == 0):
                progress(report.rows, total or report.rows)
        if progress:
            progress(report.rows, total or report.rows)
        return report

    def _row(
        self,
        ctx: CommandContext,
        number: int,
        row: dict[str, str],
        source: str,
        dry_run: bool,
        report: ImportReport,
        seen: dict[str, int],
    ) -> None:
        if not any(row.values()):
            report.rows -= 1  # an empty line is no row
            return
        problems = _check(number, row)
        code = row.get("code", "").strip().upper()
        if not problems and code in seen:
            problems.append(RowProblem(number, "统一社会信用代码", f"与第{seen[code]}行重复", f"duplicates row {seen[code]}"))
        seen.setdefault(code, number)
        if not problems:
            problems += self._division_problems(number, row)
        if problems:
            report.problems += problems
            return
        if self._in_register(code):
            report.already.append(number)
            return
        if dry_run:
            report.created += 1
            return
        try:
            self._register(ctx, number, row, source)
            report.created += 1
        except DomainError as e:  # refused by the aggregate (a name too long …): the row's problem, nothing written
            report.problems.append(RowProblem(number, "", e.message_zh, e.message_en))

    def _division_problems(self, number: int, row: dict[str, str]) -> list[RowProblem]:
        try:
            self.rules.for_division(
                row["division_code"].strip(), self.store.today()
            )  # today: old registrations predate rule sets
        except DomainError:
            division = row["division_code"].strip()
            return [RowProblem(number, "行政区划代码", f"没有适用于{division}的规则", f"no rule set covers division {division}")]
        return []

    def _in_register(self, code: str) -> bool:
        try:
            self.organizations.organization_by_code(code)
        except NotFound:
            return False
        return True

    def _register(self, ctx: CommandContext, number: int, row: dict[str, str], source: str) -> None:
        code = validate_code(row["code"])
        profile = Profile(
            row["name"],
            ORG_TYPES[row["org_type"].strip()],
            row["legal_representative"],
            row["address"],
            row["division_code"].strip(),
            row["district"],
            row.get("supervising_unit", "").strip() or None,
        )
        migrated = replace(
            ctx, basis=Basis(source[:100], f"自台账导入,第{number}行 / imported from the register file, row {number}")
        )
        self.organizations.register_organization(
            migrated, profile, code, date.fromisoformat(row["registered_on"]), organization_id=uuid5(_NS, code)
        )


def _by_key(raw: Mapping[str, str]) -> dict[str, str]:
    headers = {zh: key for key, zh, _en, _req in COLUMNS} | {key: key for key, *_ in COLUMNS}
    return {headers[h.strip()]: _text(v) for h, v in raw.items() if h and h.strip() in headers}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _check(number: int, row: dict[str, str]) -> list[RowProblem]:
    found = []
    for key, zh, en, required in COLUMNS:
        if required and not row.get(key, "").strip():
            found.append(RowProblem(number, zh, f"{zh}不能为空", f"{en} is empty"))
    if row.get("code", "").strip():
        try:
            validate_code(row["code"])
        except InvalidValue as e:
            found.append(RowProblem(number, "统一社会信用代码", e.message_zh, e.message_en))
    kind = row.get("org_type", "").strip()
    if kind and kind not in ORG_TYPES:
        found.append(
            RowProblem(
                number, "类型", f"未知的类型「{kind[:20]}」(社会团体、民办非企业单位或基金会)", f"unknown type '{kind[:20]}'"
            )
        )
    division = row.get("division_code", "").strip()
    if division and not (len(division) == 6 and division.isdecimal()):
        found.append(RowProblem(number, "行政区划代码", "行政区划代码应为6位数字", "a division code has 6 digits"))
    elif division and division[:2] not in PROVINCES:
        found.append(
            RowProblem(number, "行政区划代码", f"未知的行政区划代码{division}(省级代码有误)", f"unknown division {division}")
        )
    day = row.get("registered_on", "").strip()
    if day:
        try:
            on = date.fromisoformat(day.replace("/", "-"))
            row["registered_on"] = on.isoformat()
        except ValueError:
            found.append(
                RowProblem(number, "登记日期", f"「{day[:20]}」不是有效日期(如 2021-03-01)", f"'{day[:20]}' is not a date")
            )
    return found

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
from application.errors import StaleVersion
from application.organizations import MigratedGrade, MigratedListing, Organizations
from application.queries.register import RegisterEntry
from application.rights import command
from application.usecases import UseCases
from domain.credit import CreditList
from domain.errors import DomainError, InvalidValue
from domain.organization import OrganizationType, Profile
from domain.provenance import Basis
from domain.rules import GRADE_ORDER
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
    # what the old system knew, brought over as migrated facts (each in effect from its own day)
    ("grade", "现有等级", "Current grade", False),
    ("grade_valid_from", "等级有效期起", "Grade valid from", False),
    ("grade_valid_until", "等级有效期至", "Grade valid until", False),
    ("grade_document_no", "等级决定文号", "Grade decision number", False),
    ("abnormal_listed_on", "列入活动异常名录日期", "On the abnormal-activity list since", False),
    ("abnormal_document_no", "活动异常名录决定文号", "Abnormal listing decision number", False),
    ("serious_listed_on", "列入严重违法失信名单日期", "On the serious-dishonesty list since", False),
    ("serious_document_no", "严重违法失信名单决定文号", "Serious listing decision number", False),
)
# the migrated facts' day columns, by key: (Chinese header, English header)
DAY_COLUMNS = {key: (zh, en) for key, zh, en, _ in COLUMNS if key.endswith(("_on", "_from", "_until"))}
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
    "3A",
    "2024-01-01",
    "2028-12-31",
    "铜民评〔2023〕5号",
    "",
    "",
    "",
    "",
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


_TYPE_LABELS = {
    OrganizationType.SOCIAL_ASSOCIATION: "社会团体",
    OrganizationType.PRIVATE_NON_ENTERPRISE: "民办非企业单位",
    OrganizationType.FOUNDATION: "基金会",
}


def ledger_row(entry: RegisterEntry) -> list[str]:
    """A registered organization in the template's columns, so an exported register imports again
    (elsewhere, or into a fresh system) with its grade and listings as migrated facts."""
    kind = OrganizationType(entry.org_type)
    values = {
        "name": entry.name,
        "org_type": _TYPE_LABELS.get(kind, kind.value),
        "code": entry.code or "",
        "legal_representative": entry.legal_representative,
        "address": entry.address,
        "division_code": entry.division_code,
        "district": entry.district,
        "supervising_unit": entry.supervising_unit or "",
        "registered_on": entry.registered_on,
        "grade": entry.grade or "",
        "grade_valid_from": entry.grade_valid_from if entry.grade else None,
        "grade_valid_until": entry.grade_valid_until if entry.grade else None,
        "grade_document_no": entry.grade_document_no or "" if entry.grade else "",
        "abnormal_listed_on": entry.abnormal_since,
        "abnormal_document_no": entry.abnormal_document_no or "",
        "serious_listed_on": entry.serious_since,
        "serious_document_no": entry.serious_document_no or "",
    }
    return [_text(values[key]) for key, *_ in COLUMNS]


def header_problems(headers: Iterable[str]) -> list[str]:
    """The required headers the file lacks (by their Chinese names)."""
    present = {h.strip() for h in headers if h}
    return [zh for key, zh, en, required in COLUMNS if required and zh not in present and key not in present]


IMPORT_CHUNK = 200  # rows saved in one transaction


@dataclass
class Pending:
    """A good row, decided: its aggregates to save, and how to decide it again after a collision."""

    number: int
    code: str
    decide: Callable[[], list[Any]]
    aggregates: list[Any] = field(default_factory=list)


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
        """`rows` by header (Chinese, or the column keys); row numbers count from 2, under the header.
        Good rows are decided as they come and saved a chunk at a time, each chunk in one transaction
        (one commit per row was most of an import's time)."""
        report, seen, pending = ImportReport(), dict[str, int](), list[Pending]()
        for number, raw in enumerate(rows, start=2):
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise InvalidValue("import.too_many_rows", f"一次最多导入{MAX_ROWS:,}行", f"At most {MAX_ROWS:,} rows per import")
            decided = self._row(ctx, number, _by_key(raw), source, dry_run, report, seen)
            if decided is not None:
                pending.append(decided)
            if len(pending) >= IMPORT_CHUNK:
                self._save_chunk(pending, report)
                pending = []
            if progress and (report.rows % 200 == 0):
                progress(report.rows, total or report.rows)
        self._save_chunk(pending, report)
        if progress:
            progress(report.rows, total or report.rows)
        return report

    def _save_chunk(self, pending: list[Pending], report: ImportReport) -> None:
        """Save the chunk's rows together; if another writer registered one of them meanwhile, each row
        alone: one that collides then is in the register already (or its code is taken)."""
        if not pending:
            return
        try:
            self._save(*(aggregate for row in pending for aggregate in row.aggregates))
            report.created += len(pending)
            return
        except StaleVersion:  # a failed save has taken the events out of the aggregates: decide anew
            pass
        for row in pending:
            try:
                self._save(*row.decide())
                report.created += 1
            except StaleVersion:
                if not self._in_register(row.code):
                    raise
                report.already.append(row.number)

    def _row(
        self,
        ctx: CommandContext,
        number: int,
        row: dict[str, str],
        source: str,
        dry_run: bool,
        report: ImportReport,
        seen: dict[str, int],
    ) -> Pending | None:
        """The row checked and decided (a dry run decides too, so it finds what the aggregates refuse)."""
        if not any(row.values()):
            report.rows -= 1  # an empty line is no row
            return None
        problems = _check(number, row)
        code = row.get("code", "").strip().upper()
        if not problems and code in seen:
            problems.append(RowProblem(number, "统一社会信用代码", f"与第{seen[code]}行重复", f"duplicates row {seen[code]}"))
        seen.setdefault(code, number)
        if not problems:
            problems += self._division_problems(number, row)
            problems += _history_problems(number, row, self.store.today(row["division_code"].strip()))
        if problems:
            report.problems += problems
            return None
        if self._in_register(code):
            report.already.append(number)
            return None

        def decide() -> list[Any]:
            return self._registration(ctx, number, row, source)

        try:
            aggregates = decide()
        except DomainError as e:  # refused by the aggregate (a name too long …): the row's problem, nothing written
            report.problems.append(RowProblem(number, "", e.message_zh, e.message_en))
            return None
        if dry_run:
            report.created += 1
            return None
        return Pending(number, code, decide, aggregates)

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
        return self.organizations.code_taken(code)

    def _registration(self, ctx: CommandContext, number: int, row: dict[str, str], source: str) -> list[Any]:
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
        grade = None
        if row.get("grade", "").strip():
            grade = MigratedGrade(
                row["grade"].strip().upper(),
                date.fromisoformat(row["grade_valid_from"]),
                date.fromisoformat(row["grade_valid_until"]),
                row["grade_document_no"],
            )
        listings = [
            MigratedListing(
                list_name, date.fromisoformat(row[f"{list_name.value}_listed_on"]), row[f"{list_name.value}_document_no"]
            )
            for list_name in CreditList
            if row.get(f"{list_name.value}_listed_on")
        ]
        return list(
            self.organizations.register_with_history(
                migrated, profile, code, date.fromisoformat(row["registered_on"]), uuid5(_NS, code), grade, listings
            )
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
    for key, (zh, _en) in DAY_COLUMNS.items():
        day = row.get(key, "").strip()
        if not day:
            continue
        try:
            row[key] = date.fromisoformat(day.replace("/", "-")).isoformat()
        except ValueError:
            found.append(RowProblem(number, zh, f"「{day[:20]}」不是有效日期(如 2021-03-01)", f"'{day[:20]}' is not a date"))
    return found


def _history_problems(number: int, row: dict[str, str], today: date) -> list[RowProblem]:
    """What the old system knew must hang together: a grade with its validity and number, still in
    force; a listing with its number; nothing before the registration or after today."""
    found: list[RowProblem] = []

    def problem(key: str, zh: str, en: str) -> None:
        header = next(h for k, h, _e, _r in COLUMNS if k == key)
        found.append(RowProblem(number, header, zh, en))

    grade = row.get("grade", "").strip().upper()
    grade_parts = ("grade_valid_from", "grade_valid_until", "grade_document_no")
    if grade and grade not in GRADE_ORDER:
        problem("grade", f"等级应为1A至5A,而不是「{grade[:10]}」", f"a grade is 1A to 5A, not '{grade[:10]}'")
    elif grade:
        for key in grade_parts:
            if not row.get(key, "").strip():
                problem(key, "填写了现有等级时不能为空", "is needed with a current grade")
        until = row.get("grade_valid_until", "")
        if until and until < today.isoformat():
            problem("grade_valid_until", f"等级已于{until}到期,现有等级应留空", f"the grade ran out on {until}; leave it empty")
        if until and row.get("grade_valid_from", "") > until:
            problem("grade_valid_until", "等级有效期结束早于开始", "the validity ends before it starts")
    elif any(row.get(key, "").strip() for key in grade_parts):
        problem("grade", "填写了等级有效期或文号,却没有等级", "a grade's validity or number is given without the grade")
    for list_name in ("abnormal", "serious"):
        on, number_key = row.get(f"{list_name}_listed_on", ""), f"{list_name}_document_no"
        if on and not row.get(number_key, "").strip():
            problem(number_key, "填写了列入日期时不能为空", "is needed with the listing's date")
        if not on and row.get(number_key, "").strip():
            problem(f"{list_name}_listed_on", "填写了决定文号,却没有列入日期", "a decision number is given without the date")
    registered = row.get("registered_on", "")
    for key, (zh, en) in DAY_COLUMNS.items():
        day = row.get(key, "")
        if not day or key == "grade_valid_until":
            continue
        if day > today.isoformat() and key != "grade_valid_from":
            problem(key, f"{zh}{day}晚于今天", f"{en} {day} is after today")
        elif key != "registered_on" and registered and day < registered:
            problem(key, f"{zh}{day}早于登记日期{registered}", f"{en} {day} is before the registration ({registered})")
    return found

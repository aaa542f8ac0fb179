"""The register through time (名册时点查询): for each organization, the intervals during which
its status, grade and credit status held, so "the register as of an instant" is one indexed
query instead of a replay of every aggregate. An interval starts at the event that began it
and ends at the next change (valid_to is NULL while it still holds)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import UUID

from application.queries.common import Page
from application.queries.register import RegisterAsOfQuery, RegisterLine
from infra.database import Tx
from infra.projections.base import Handler, Projection, paged
from infra.projections.register import LINE_CHANGES

NAME = "register_history"
# version: the organization's version when the interval began (its state there is one audit read away)
_TRACKED = (
    "name",
    "org_type",
    "track",
    "status",
    "district",
    "division_code",
    "grade",
    "grade_valid_until",
    "abnormal",
    "serious",
    "version",
)
_SORTS = {"name": "name", "district": "district", "status": "status", "grade": "grade", "valid_from": "valid_from"}


def instant(moment: datetime) -> str:
    """Fixed-width UTC text (microseconds always present), so instants compare as text on both databases."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) if text else None


class RegisterHistoryProjection(Projection):
    name = NAME
    version = 1
    tables: ClassVar[dict[str, str]] = {  # one row per organization and interval of unchanged status/grade/credit
        "sl_register_intervals": """
            organization_id TEXT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_to TEXT,
            name TEXT NOT NULL,
            org_type TEXT NOT NULL,
            track TEXT NOT NULL,
            status TEXT NOT NULL,
            district TEXT NOT NULL,
            division_code TEXT NOT NULL,
            grade TEXT,
            grade_valid_until TEXT,
            abnormal INTEGER NOT NULL,
            serious INTEGER NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (organization_id, valid_from)""",
        "sl_interval_credit": """
            credit_record_id TEXT PRIMARY KEY,
            organization_id TEXT NOT NULL""",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_span ON sl_register_intervals (valid_from, valid_to)",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_open ON sl_register_intervals (organization_id) WHERE valid_to IS NULL",
    )
    topic_prefixes = ("domain.organization:Organization.", "domain.credit:CreditRecord.")

    def define_handlers(self) -> dict[str, Handler]:
        return {
            "Registered": self._entered,
            "Filed": self._entered,
            "PromotedToRegistration": lambda tx, e: self._org(tx, e, track="registered"),
            "Renamed": lambda tx, e: self._org(tx, e, name=e.name),
            **{name: self._line_changed(columns) for name, columns in LINE_CHANGES.items()},
            "CreditRecord.Opened": lambda tx, e: tx.execute(
                "INSERT INTO sl_interval_credit (credit_record_id, organization_id) VALUES (?, ?)",
                (str(e.originator_id), str(e.organization_id)),
            ),
            "Listed": lambda tx, e: self._credit(tx, e, **{e.list_name.value: 1}),
            "Removed": lambda tx, e: self._credit(tx, e, **{e.list_name.value: 0}),
        }

    def _entered(self, tx: Tx, e: Any) -> None:
        p = e.profile
        tx.execute(
            "INSERT INTO sl_register_intervals (organization_id, valid_from, valid_to, name, org_type, track, status, "
            "district, division_code, grade, grade_valid_until, abnormal, serious, version) "
            "VALUES (?, ?, NULL, ?, ?, ?, 'active', ?, ?, NULL, NULL, 0, 0, ?)",
            (
                str(e.originator_id),
                instant(e.timestamp),
                p.name,
                p.org_type.value,
                "registered" if getattr(e, "code", None) else "filed",
                p.district,
                p.division_code,
                e.originator_version,
            ),
        )

    def _line_changed(self, columns: Callable[[Any], dict[str, Any]]) -> Handler:
        return lambda tx, e: self._org(tx, e, **columns(e))

    def _org(self, tx: Tx, e: Any, **changes: Any) -> None:
        self._change(tx, str(e.originator_id), e.timestamp, version=e.originator_version, **changes)

    def _credit(self, tx: Tx, e: Any, **changes: Any) -> None:
        owner = tx.execute(
            "SELECT organization_id FROM sl_interval_credit WHERE credit_record_id = ?", (str(e.originator_id),)
        ).scalar()
        if owner is not None:
            self._change(tx, owner, e.timestamp, **changes)

    def _change(self, tx: Tx, organization_id: str, at: datetime, **changes: Any) -> None:
        """End the open interval at this event and open the next one, unless nothing tracked changed.
        Events at the same instant amend the interval they opened (no zero-length intervals)."""
        row = tx.execute(
            f"SELECT valid_from, {', '.join(_TRACKED)} FROM sl_register_intervals WHERE organization_id = ? AND valid_to IS NULL",
            (organization_id,),
        ).one()
        if row is None:
            return
        values = {c: row[c] for c in _TRACKED}
        if all(values[k] == v for k, v in changes.items() if k != "version"):
            return
        values.update(changes)
        start = instant(at)
        if row["valid_from"] == start:
            assignments = ", ".join(f"{c} = ?" for c in _TRACKED)
            tx.execute(
                f"UPDATE sl_register_intervals SET {assignments} WHERE organization_id = ? AND valid_from = ?",
                (*values.values(), organization_id, start),
            )
            return
        tx.execute(
            "UPDATE sl_register_intervals SET valid_to = ? WHERE organization_id = ? AND valid_from = ?",
            (start, organization_id, row["valid_from"]),
        )
        tx.execute(
            f"INSERT INTO sl_register_intervals (organization_id, valid_from, valid_to, {', '.join(_TRACKED)}) "
            f"VALUES (?, ?, NULL, {', '.join('?' for _ in _TRACKED)})",
            (organization_id, start, *values.values()),
        )

    # -- queries ----------------------------------------------------------------
    def as_of(self, query: RegisterAsOfQuery) -> Page[RegisterLine]:
        at = instant(query.at)
        where = ["valid_from <= ?", "(valid_to IS NULL OR valid_to > ?)"]
        params: list[Any] = [at, at]
        for column, value in (("status", query.status), ("district", query.district), ("org_type", query.org_type)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if query.grade:
            where.append("grade IS NULL" if query.grade == "none" else "grade = ?")
            params.extend([] if query.grade == "none" else [query.grade])
        if query.credit_status:
            where.append(_CREDIT_FILTERS[query.credit_status])
        if query.division_prefix:
            where.append("division_code LIKE ?")
            params.append(f"{query.division_prefix}%")
        order = f"{_SORTS[query.sort]} {'DESC' if query.descending else 'ASC'}, organization_id"
        rows, total, page, per_page = paged(
            self.db, "*", f"sl_register_intervals WHERE {' AND '.join(where)}", params, order, query.page, query.per_page, 500
        )
        return Page(items=[_line(r) for r in rows], total=total, page=page, per_page=per_page)

    def intervals(self, organization_id: UUID) -> list[RegisterLine]:
        """Every interval of one organization, oldest first: its register line through time."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT * FROM sl_register_intervals WHERE organization_id = ? ORDER BY valid_from", (str(organization_id),)
            ).all()
        return [_line(r) for r in rows]


_CREDIT_FILTERS = {
    "serious": "serious = 1",
    "abnormal": "abnormal = 1 AND serious = 0",
    "none": "abnormal = 0 AND serious = 0",
}


def _line(row: dict[str, Any]) -> RegisterLine:
    credit = "serious" if row["serious"] else "abnormal" if row["abnormal"] else "none"
    return RegisterLine(
        id=UUID(row["organization_id"]),
        name=row["name"],
        org_type=row["org_type"],
        track=row["track"],
        status=row["status"],
        district=row["district"],
        division_code=row["division_code"],
        grade=row["grade"],
        grade_valid_until=date.fromisoformat(row["grade_valid_until"]) if row["grade_valid_until"] else None,
        credit_status=credit,
        version=int(row["version"]),
        valid_from=_moment(row["valid_from"]),  # type: ignore[arg-type]
        valid_to=_moment(row["valid_to"]),
    )

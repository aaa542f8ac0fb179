"""The register through time (名册时点查询), on two clocks. For each organization, the intervals
during which its status, grade and credit status held *in effect* (valid time, whole days in
Asia/Shanghai: decisions take effect on days), each row also carrying when it was *known*
(record time, instants). "The register in effect on D as known at K" is one indexed query:

- a row is known during [recorded_from, recorded_to): a change recorded later that rewrites
  history (a decision entered after a later one, a correction) retires the rows it changes and
  inserts their successors, so what was believed before stays readable;
- in the usual case, a change taking effect at or after the open interval's start, the open row
  is closed in place: `valid_to` is set and `closed_at` says since when that end was known
  (before `closed_at` the row read as still open). One row per interval, as before.

An event takes effect on the day it says (a registration's date, a listing's ground, a
provenance's `effective_on`), never later than the day it was recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast
from uuid import UUID

from application.queries.common import Page
from application.queries.register import RegisterAsOfQuery, RegisterLine
from infra.database import Tx
from infra.projections.base import Handler, Projection
from infra.projections.effective_days import effective_day
from infra.projections.register import LINE_CHANGES
from infra.projections.register_totals import RegisterTotalsProjection

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
_CLOCKS = "valid_from, valid_to, closed_at, recorded_from, recorded_to"
_BY_NAME = "sl_register_intervals_by_name"
# A filtered total is counted up to this many rows; beyond, the page says "more than" (an exact
# count of a million intervals on every page was what made the register slow).
COUNT_CAP = 10_000
_DENSE = 3_000  # this many rows in effect or more: walking the names finds a page soonest
_SORTS = {"name": "name", "district": "district", "status": "status", "grade": "grade", "valid_from": "valid_from"}


def instant(moment: datetime) -> str:
    """Fixed-width UTC text (microseconds always present), so instants compare as text on both databases."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) if text else None


class RegisterHistoryProjection(Projection):
    name = NAME
    version = 3
    tables: ClassVar[dict[str, str]] = {  # one row per organization, interval in effect, and span of knowledge
        "sl_register_intervals": """
            organization_id TEXT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_to TEXT,
            closed_at TEXT,
            recorded_from TEXT NOT NULL,
            recorded_to TEXT,
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
            PRIMARY KEY (organization_id, valid_from, recorded_from)""",
        "sl_interval_credit": """
            credit_record_id TEXT PRIMARY KEY,
            organization_id TEXT NOT NULL""",
    }
    # Each as-of query is answered from one index without touching rows it does not show: the two
    # clocks' columns ride in every index, so a row is judged in the index. A dense question (most
    # of the register) walks the names in order and stops after a page; a sparse one (a credit
    # list, a grade in a district, one district) ranges over the index that leads with its filter.
    indexes = (
        f"CREATE INDEX IF NOT EXISTS sl_register_intervals_valid ON sl_register_intervals ({_CLOCKS})",
        f"CREATE INDEX IF NOT EXISTS {_BY_NAME} ON sl_register_intervals (name, organization_id, {_CLOCKS}, "
        "status, district, org_type, grade, abnormal, serious)",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_serious ON sl_register_intervals "
        f"({_CLOCKS}, serious, name, organization_id) WHERE serious = 1",  # the filter's column too: SQLite reads it there
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_abnormal ON sl_register_intervals "
        f"({_CLOCKS}, abnormal, serious, name, organization_id) WHERE abnormal = 1 AND serious = 0",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_graded ON sl_register_intervals "
        f"(grade, district, {_CLOCKS}, name, organization_id) WHERE grade IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_district ON sl_register_intervals "
        f"(district, {_CLOCKS}, name, organization_id)",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_current ON sl_register_intervals (organization_id) "
        "WHERE recorded_to IS NULL",
    )
    reads = (RegisterTotalsProjection,)  # the unfiltered register's size on a day
    topic_prefixes = ("domain.organization:Organization.", "domain.credit:CreditRecord.")

    def define_handlers(self) -> dict[str, Handler]:
        return {
            "Registered": self._entered,
            "Filed": self._entered,
            "PromotedToRegistration": lambda tx, e: self._org(tx, e, "PromotedToRegistration", track="registered"),
            "Renamed": lambda tx, e: self._org(tx, e, "Renamed", name=e.name),
            **{name: self._line_changed(name, columns) for name, columns in LINE_CHANGES.items()},
            "CreditRecord.Opened": lambda tx, e: tx.execute(
                "INSERT INTO sl_interval_credit (credit_record_id, organization_id) VALUES (?, ?)",
                (str(e.originator_id), str(e.organization_id)),
            ),
            "Listed": lambda tx, e: self._credit(tx, e, "Listed", **{e.list_name.value: 1}),
            "Removed": lambda tx, e: self._credit(tx, e, "Removed", **{e.list_name.value: 0}),
        }

    def _entered(self, tx: Tx, e: Any) -> None:
        p = e.profile
        values = {
            "name": p.name,
            "org_type": p.org_type.value,
            "track": "registered" if getattr(e, "code", None) else "filed",
            "status": "active",
            "district": p.district,
            "division_code": p.division_code,
            "grade": None,
            "grade_valid_until": None,
            "abnormal": 0,
            "serious": 0,
            "version": e.originator_version,
        }
        day = effective_day(type(e).__name__, e)
        _insert(tx, str(e.originator_id), day.isoformat(), None, instant(e.timestamp), values)

    def _line_changed(self, event_name: str, columns: Callable[[Any], dict[str, Any]]) -> Handler:
        return lambda tx, e: self._org(tx, e, event_name, **columns(e))

    def _org(self, tx: Tx, e: Any, event_name: str, **changes: Any) -> None:
        day = effective_day(event_name, e)
        self._change(tx, str(e.originator_id), day, e.timestamp, version=e.originator_version, **changes)

    def _credit(self, tx: Tx, e: Any, event_name: str, **changes: Any) -> None:
        """The owner and its open interval in one query (a sweep lists or removes thousands)."""
        found = tx.execute(
            f"SELECT c.organization_id AS owner, i.valid_from, i.recorded_from, {', '.join('i.' + c for c in _TRACKED)} "
            "FROM sl_interval_credit c LEFT JOIN sl_register_intervals i ON i.organization_id = c.organization_id "
            "AND i.valid_to IS NULL AND i.recorded_to IS NULL WHERE c.credit_record_id = ?",
            (str(e.originator_id),),
        ).one()
        if found is None:
            return
        owner = found["owner"]
        if event_name == "Listed" and found["valid_from"] is not None and found[e.list_name.value]:
            return  # a ground on a list the organization is on joins that listing; its start stays
        row = found if found["valid_from"] is not None else None
        self._change(tx, owner, effective_day(event_name, e), e.timestamp, current=row, **changes)

    def _change(
        self, tx: Tx, organization_id: str, day: date, at: datetime, current: dict[str, Any] | None = None, **changes: Any
    ) -> None:
        """The usual case: the change takes effect at or after the open interval began, which is
        closed there (or amended, on its own first day) and followed by a new one. A change
        reaching further back rewrites the known history from its day on. `current`: the open
        interval, if the caller read it already."""
        row = (
            current
            or tx.execute(
                f"SELECT valid_from, recorded_from, {', '.join(_TRACKED)} FROM sl_register_intervals "
                "WHERE organization_id = ? AND valid_to IS NULL AND recorded_to IS NULL",
                (organization_id,),
            ).one()
        )
        if row is None:
            return
        start, recorded = day.isoformat(), instant(at)
        if start < row["valid_from"]:
            self._rewrite(tx, organization_id, start, recorded, changes)
            return
        values = {c: row[c] for c in _TRACKED}
        if all(values[k] == v for k, v in changes.items() if k != "version"):
            return
        values.update(changes)
        if start == row["valid_from"]:
            _retire(tx, organization_id, row, recorded)
        else:
            tx.execute(
                "UPDATE sl_register_intervals SET valid_to = ?, closed_at = ? "
                "WHERE organization_id = ? AND valid_from = ? AND recorded_from = ?",
                (start, recorded, organization_id, row["valid_from"], row["recorded_from"]),
            )
        _insert(tx, organization_id, start, None, recorded, values)

    def _rewrite(self, tx: Tx, organization_id: str, start: str, recorded: str, changes: dict[str, Any]) -> None:
        """Fold the known intervals' changes with this one in its place (after the changes of its
        day and before), then retire what differs and insert what is new: rows nobody's view
        changes are left as they are."""
        known = tx.execute(
            f"SELECT valid_from, valid_to, recorded_from, {', '.join(_TRACKED)} FROM sl_register_intervals "
            "WHERE organization_id = ? AND recorded_to IS NULL ORDER BY valid_from",
            (organization_id,),
        ).all()
        wanted = fold(_changes_of(known), max(start, known[0]["valid_from"]), changes)
        kept = set()
        for row in known:
            values = {c: row[c] for c in _TRACKED}
            same = next((w for w in wanted if w[0] == row["valid_from"] and w[2] == values), None)
            if same is not None and same[1] == row["valid_to"]:
                kept.add(same[0])
            elif same is not None and row["valid_to"] is None:  # only its end is new: closed in place
                tx.execute(
                    "UPDATE sl_register_intervals SET valid_to = ?, closed_at = ? "
                    "WHERE organization_id = ? AND valid_from = ? AND recorded_from = ?",
                    (same[1], recorded, organization_id, row["valid_from"], row["recorded_from"]),
                )
                kept.add(same[0])
            else:
                _retire(tx, organization_id, row, recorded)
        for valid_from, valid_to, values in wanted:
            if valid_from not in kept:
                _insert(tx, organization_id, valid_from, valid_to, recorded, values)

    # -- queries ----------------------------------------------------------------
    def as_of(self, query: RegisterAsOfQuery) -> Page[RegisterLine]:
        """The register in effect on a day as known at an instant (now by default). The total is
        exact for the whole register as known now (summed by day) and for up to COUNT_CAP rows;
        beyond, it is COUNT_CAP and `total_exact` is false."""
        where, params, end, filtered = _as_of_conditions(query)
        direction = "DESC" if query.descending else "ASC"  # one direction for both keys: the name index serves it
        order = f"{_SORTS[query.sort]} {direction}, organization_id {direction}"
        per_page, page = max(1, min(query.per_page, 500)), max(1, query.page)
        condition = " AND ".join(where)
        with self.db.transaction() as tx:
            if filtered or query.known_at is not None:
                total, exact = _counted(tx, condition, params)
            else:
                total, exact = self._totals.entered_by(query.effective_on, tx), True
            # SQLite plans without knowing how many rows a day holds: a dense page walks the names
            source = "sl_register_intervals"
            if tx.dialect == "sqlite" and query.sort == "name" and total >= _DENSE:
                source += f" INDEXED BY {_BY_NAME}"
            rows = tx.execute(
                f"SELECT *, {end} AS known_end FROM {source} WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
                (*params, per_page, (page - 1) * per_page),
            ).all()
        return Page(items=[_line(r) for r in rows], total=total, page=page, per_page=per_page, total_exact=exact)

    @property
    def _totals(self) -> RegisterTotalsProjection:
        return cast(RegisterTotalsProjection, self.upstream[0])

    def intervals(self, organization_id: UUID, known_at: datetime | None = None) -> list[RegisterLine]:
        """One organization's register line through time, as known at an instant (now by default), oldest first."""
        where, params, end = _known(known_at)
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT *, {end} AS known_end FROM sl_register_intervals WHERE organization_id = ? AND "
                f"{' AND '.join(where)} ORDER BY valid_from",
                (str(organization_id), *params),
            ).all()
        return [_line(r) for r in rows]

    def superseded(self, organization_id: UUID) -> list[RegisterLine]:
        """The intervals once believed and since rewritten (by a late entry or a correction), in the order they were."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT *, valid_to AS known_end FROM sl_register_intervals WHERE organization_id = ? AND recorded_to IS NOT NULL "
                "ORDER BY recorded_from, valid_from",
                (str(organization_id),),
            ).all()
        return [_line(r) for r in rows]


Timeline = list[tuple[str, dict[str, Any]]]  # (day it takes effect, the columns it changes), in order


def _changes_of(rows: list[dict[str, Any]]) -> Timeline:
    """The known intervals as the changes that made them: the first whole, then what differs."""
    changes: Timeline = []
    before: dict[str, Any] | None = None
    for row in rows:
        values = {c: row[c] for c in _TRACKED}
        delta = values if before is None else {c: v for c, v in values.items() if c == "version" or before[c] != v}
        changes.append((row["valid_from"], delta))
        before = values
    return changes


def fold(changes: Timeline, day: str, change: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The intervals (valid_from, valid_to, values) after inserting `change` on `day`, behind the
    changes of that day already known. A change that alters nothing tracked opens nothing; the
    changes of one day make one interval (what held at the end of that day)."""
    at = next((i for i, (d, _) in enumerate(changes) if d > day), len(changes))
    timeline = [*changes[:at], (day, change), *changes[at:]]
    starts: list[tuple[str, dict[str, Any]]] = []
    state: dict[str, Any] = {}
    for when, delta in timeline:
        after = {**state, **delta}
        if starts and starts[-1][0] == when:
            starts[-1] = (when, after)
        elif not starts or any(after[k] != state[k] for k in after if k != "version"):
            starts.append((when, after))
        state = after
    # a day whose changes undid each other leaves an interval equal to the one before it: merged
    merged: list[tuple[str, dict[str, Any]]] = []
    for when, values in starts:
        if merged and all(values[k] == merged[-1][1][k] for k in values if k != "version"):
            continue
        merged.append((when, values))
    return [(when, merged[i + 1][0] if i + 1 < len(merged) else None, values) for i, (when, values) in enumerate(merged)]


def _retire(tx: Tx, organization_id: str, row: dict[str, Any], recorded: str) -> None:
    """No longer believed from `recorded` on; a row recorded at that same instant was never seen: gone."""
    if row["recorded_from"] == recorded:
        tx.execute(
            "DELETE FROM sl_register_intervals WHERE organization_id = ? AND valid_from = ? AND recorded_from = ?",
            (organization_id, row["valid_from"], recorded),
        )
    else:
        tx.execute(
            "UPDATE sl_register_intervals SET recorded_to = ? WHERE organization_id = ? AND valid_from = ? AND recorded_from = ?",
            (recorded, organization_id, row["valid_from"], row["recorded_from"]),
        )


def _insert(tx: Tx, organization_id: str, valid_from: str, valid_to: str | None, recorded: str, values: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO sl_register_intervals (organization_id, valid_from, valid_to, closed_at, recorded_from, recorded_to, "
        f"{', '.join(_TRACKED)}) VALUES (?, ?, ?, ?, ?, NULL, {', '.join('?' for _ in _TRACKED)})",
        (organization_id, valid_from, valid_to, recorded if valid_to else None, recorded, *(values[c] for c in _TRACKED)),
    )


def _as_of_conditions(query: RegisterAsOfQuery) -> tuple[list[str], list[Any], str, bool]:
    """The query's conditions and parameters, the expression of a row's end as known then, and
    whether anything beyond the two clocks filters the rows."""
    day = query.effective_on.isoformat()
    where, params, end = _known(query.known_at)
    where += ["valid_from <= ?", f"({end} IS NULL OR {end} > ?)"]
    params += [day, day]
    clocks = len(where)
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
    return where, params, end, len(where) > clocks


def _counted(tx: Tx, condition: str, params: list[Any]) -> tuple[int, bool]:
    """The rows that meet the condition, counted up to COUNT_CAP: (count, whether it is exact)."""
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM sl_register_intervals WHERE {condition} LIMIT ?) AS c"
    counted = int(tx.execute(sql, (*params, COUNT_CAP + 1)).scalar())
    return min(counted, COUNT_CAP), counted <= COUNT_CAP


def _known(known_at: datetime | None) -> tuple[list[str], list[Any], str]:
    """Conditions for the rows known at an instant (now if None), and the expression of their end."""
    if known_at is None:
        return ["recorded_to IS NULL"], [], "valid_to"
    k = instant(known_at)
    return (
        ["recorded_from <= ?", "(recorded_to IS NULL OR recorded_to > ?)"],
        [k, k],
        f"(CASE WHEN closed_at <= '{k}' THEN valid_to END)",  # an end recorded later was not yet known
    )


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
        valid_from=date.fromisoformat(row["valid_from"]),
        valid_to=date.fromisoformat(row["known_end"]) if row["known_end"] else None,
        recorded_from=_moment(row["recorded_from"]),  # type: ignore[arg-type]
        recorded_to=_moment(row["recorded_to"]),
    )

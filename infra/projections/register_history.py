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
from functools import cached_property
from operator import itemgetter
from typing import Any, ClassVar, Protocol, cast
from uuid import UUID

from application.ports import Progress
from application.queries.common import Page
from application.queries.register import RegisterAsOfQuery, RegisterLine
from infra.database import Tx
from infra.projections.base import BulkProjection, Handler, in_slices
from infra.projections.effective_days import effective_day
from infra.projections.register import LINE_CHANGES
from infra.projections.register_totals import RegisterTotalsProjection, instant

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


# what the handlers read of the events (the bulk rebuild decodes only these; see MsgspecMapper.to_view)
_VIEW_FIELDS = frozenset(
    {"timestamp", "provenance", "profile", "code", "registered_on", "filed_on", "name", "level", "valid_until", "on"}
    | {"corrected_on", "status", "grade", "grade_valid_until", "organization_id", "list_name", "ground"}
)


def _moment(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) if text else None


class RegisterHistoryProjection(BulkProjection):
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
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_valid ON sl_register_intervals "
        f"({_CLOCKS}, status, org_type, grade, abnormal, serious, division_code)",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_status ON sl_register_intervals "
        f"(status, {_CLOCKS}, name, organization_id)",
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
    reads = (RegisterTotalsProjection,)  # the size of the register, or of a district, on a day on both clocks
    topic_prefixes = ("domain.organization:Organization.", "domain.credit:CreditRecord.")

    # Each handler decides against an IntervalStore: the tables themselves while live (and when
    # catching up), rows held in memory and written in bulk while rebuilding (see _Buffered).
    def define_handlers(self) -> dict[str, Handler]:
        return {name: _on_tables(change) for name, change in self.changes().items()}

    def changes(self) -> dict[str, Change]:
        return {
            "Registered": self._entered,
            "Filed": self._entered,
            "PromotedToRegistration": lambda s, e: self._org(s, e, "PromotedToRegistration", track="registered"),
            "Renamed": lambda s, e: self._org(s, e, "Renamed", name=e.name),
            **{name: self._line_changed(name, columns) for name, columns in LINE_CHANGES.items()},
            "CreditRecord.Opened": lambda s, e: s.add_credit(str(e.originator_id), str(e.organization_id)),
            "Listed": lambda s, e: self._credit(s, e, "Listed", **{e.list_name.value: 1}),
            "Removed": lambda s, e: self._credit(s, e, "Removed", **{e.list_name.value: 0}),
        }

    def _entered(self, store: IntervalStore, e: Any) -> None:
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
        store.insert(str(e.originator_id), day.isoformat(), None, instant(e.timestamp), values)

    def _line_changed(self, event_name: str, columns: Callable[[Any], dict[str, Any]]) -> Change:
        return lambda s, e: self._org(s, e, event_name, **columns(e))

    def _org(self, store: IntervalStore, e: Any, event_name: str, **changes: Any) -> None:
        day = effective_day(event_name, e)
        self._change(store, str(e.originator_id), day, e.timestamp, version=e.originator_version, **changes)

    def _credit(self, store: IntervalStore, e: Any, event_name: str, **changes: Any) -> None:
        found = store.owner_and_open(str(e.originator_id))
        if found is None:
            return
        owner, row = found
        if event_name == "Listed" and row is not None and row[e.list_name.value]:
            return  # a ground on a list the organization is on joins that listing; its start stays
        self._change(store, owner, effective_day(event_name, e), e.timestamp, current=row, **changes)

    def _change(
        self,
        store: IntervalStore,
        organization_id: str,
        day: date,
        at: datetime,
        current: dict[str, Any] | None = None,
        **changes: Any,
    ) -> None:
        """The usual case: the change takes effect at or after the open interval began, which is
        closed there (or amended, on its own first day) and followed by a new one. A change
        reaching further back rewrites the known history from its day on. `current`: the open
        interval, if the caller read it already."""
        row = current or store.open_row(organization_id)
        if row is None:
            return
        start, recorded = day.isoformat(), instant(at)
        if start < row["valid_from"]:
            self._rewrite(store, organization_id, start, recorded, changes)
            return
        values = {c: row[c] for c in _TRACKED}
        if all(values[k] == v for k, v in changes.items() if k != "version"):
            return
        values.update(changes)
        if start == row["valid_from"]:
            store.retire(organization_id, row, recorded)
        else:
            store.close(organization_id, row, start, recorded)
        store.insert(organization_id, start, None, recorded, values)

    def _rewrite(self, store: IntervalStore, organization_id: str, start: str, recorded: str, changes: dict[str, Any]) -> None:
        """Fold the known intervals' changes with this one in its place (after the changes of its
        day and before), then retire what differs and insert what is new: rows nobody's view
        changes are left as they are."""
        known = store.known_rows(organization_id)
        wanted = fold(_changes_of(known), max(start, known[0]["valid_from"]), changes)
        kept = set()
        for row in known:
            values = {c: row[c] for c in _TRACKED}
            same = next((w for w in wanted if w[0] == row["valid_from"] and w[2] == values), None)
            if same is not None and same[1] == row["valid_to"]:
                kept.add(same[0])
            elif same is not None and row["valid_to"] is None:  # only its end is new: closed in place
                store.close(organization_id, row, same[1], recorded)  # type: ignore[arg-type]
                kept.add(same[0])
            else:
                store.retire(organization_id, row, recorded)
        for valid_from, valid_to, values in wanted:
            if valid_from not in kept:
                store.insert(organization_id, valid_from, valid_to, recorded, values)

    def apply(self, tx: Tx, events: list[Any]) -> int:
        """A command's events, a sweep chunk's or a catch-up batch's, against one `_Batched` store:
        the open rows they change read in one or two queries, the new rows written together."""
        by_name = self._by_name
        handled = self.handled(events, by_name)
        if handled:
            store = _Batched(_Tables(tx))
            store.read_ahead(*_looked_up(handled))
            for change, event in handled:
                change(store, event)
            store.flush()
        return len(handled)

    @cached_property
    def _by_name(self) -> dict[str, Change]:
        return self.changes()

    # -- rebuilding in bulk ------------------------------------------------------
    def rebuild(self, progress: Progress | None = None) -> int:
        """The whole log folded in memory into fresh tables, swapped in, then caught up."""
        return self.rebuild_in_bulk(_Buffered(), _VIEW_FIELDS, progress)

    # -- queries ----------------------------------------------------------------
    def as_of(self, query: RegisterAsOfQuery) -> Page[RegisterLine]:
        """The register in effect on a day as known at an instant (now by default). The total is
        exact for the whole register or one district (summed by day) and for up to COUNT_CAP rows;
        beyond, it is COUNT_CAP and `total_exact` is false."""
        where, params, end = _as_of_conditions(query)
        direction = "DESC" if query.descending else "ASC"  # one direction for both keys: the name index serves it
        per_page, page = max(1, min(query.per_page, 500)), max(1, query.page)
        condition = " AND ".join(where)
        with self.db.transaction() as tx:
            sqlite = tx.dialect == "sqlite"
            if _summed(query):
                total, exact = self._totals.entered_by(query.effective_on, tx, query.known_at, query.district), True
            else:
                total, exact = _counted(tx, condition, params, query)
            dense = query.sort == "name" and total >= _DENSE
            source, key = "sl_register_intervals", _SORTS[query.sort]
            if sqlite:  # neither database can tell from its statistics how many rows a day holds: both are told
                source += f" INDEXED BY {_BY_NAME if dense else _narrowest(query)}"
            elif query.sort == "name" and not dense:  # not walked in name order (all names for a day with few rows)
                key += " || ''"  # but found through the filter's index, and sorted
            # The page's keys are found in the index alone, then only its rows are read: reading
            # every row that matched to sort them read a block per row (1,700 for 5A in a district).
            picked = (
                f"SELECT organization_id, valid_from, recorded_from FROM {source} WHERE {condition} "
                f"ORDER BY {key} {direction}, organization_id {direction} LIMIT ? OFFSET ?"
            )
            rows = tx.execute(
                f"SELECT r.*, {end} AS known_end FROM ({picked}) AS k JOIN sl_register_intervals AS r "
                "ON r.organization_id = k.organization_id AND r.valid_from = k.valid_from AND r.recorded_from = k.recorded_from "
                f"ORDER BY r.{_SORTS[query.sort]} {direction}, r.organization_id {direction}",
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


COLUMNS = ("organization_id", "valid_from", "valid_to", "closed_at", "recorded_from", "recorded_to", *_TRACKED)
_INSERT = f"INSERT INTO {{}} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
_OPEN = f"SELECT valid_from, recorded_from, {', '.join(_TRACKED)} FROM {{}} WHERE organization_id = ? AND valid_to IS NULL AND recorded_to IS NULL"


class IntervalStore(Protocol):
    """What the handlers read and write: an organization's open interval (valid_to and recorded_to
    unset) or all it knows now, a credit record's owner; an interval closed, retired or added."""

    def open_row(self, organization_id: str) -> dict[str, Any] | None: ...
    def owner_and_open(self, credit_record_id: str) -> tuple[str, dict[str, Any] | None] | None: ...
    def known_rows(self, organization_id: str) -> list[dict[str, Any]]: ...
    def close(self, organization_id: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None: ...
    def retire(self, organization_id: str, row: dict[str, Any], recorded: str) -> None: ...
    def insert(
        self, organization_id: str, valid_from: str, valid_to: str | None, recorded: str, values: dict[str, Any]
    ) -> None: ...
    def add_credit(self, credit_record_id: str, organization_id: str) -> None: ...


Change = Callable[[IntervalStore, Any], None]


def _on_tables(change: Change) -> Handler:
    return lambda tx, e: change(_Tables(tx), e)


class _Tables:
    """The intervals in the tables, one statement at a time: the live path and the catch-up."""

    def __init__(self, tx: Tx, intervals: str = "sl_register_intervals", credit: str = "sl_interval_credit") -> None:
        self.tx, self.intervals, self.credit = tx, intervals, credit

    def open_row(self, organization_id: str) -> dict[str, Any] | None:
        return self.tx.execute(_OPEN.format(self.intervals), (organization_id,)).one()

    def owner_and_open(self, credit_record_id: str) -> tuple[str, dict[str, Any] | None] | None:
        """The owner and its open interval in one query (a sweep lists or removes thousands)."""
        found = self.tx.execute(
            f"SELECT c.organization_id AS owner, i.valid_from, i.recorded_from, {', '.join('i.' + c for c in _TRACKED)} "
            f"FROM {self.credit} c LEFT JOIN {self.intervals} i ON i.organization_id = c.organization_id "
            "AND i.valid_to IS NULL AND i.recorded_to IS NULL WHERE c.credit_record_id = ?",
            (credit_record_id,),
        ).one()
        if found is None:
            return None
        return found["owner"], found if found["valid_from"] is not None else None

    def known_rows(self, organization_id: str) -> list[dict[str, Any]]:
        return self.tx.execute(
            f"SELECT valid_from, valid_to, recorded_from, {', '.join(_TRACKED)} FROM {self.intervals} "
            "WHERE organization_id = ? AND recorded_to IS NULL ORDER BY valid_from",
            (organization_id,),
        ).all()

    def close(self, organization_id: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None:
        self.tx.execute(
            f"UPDATE {self.intervals} SET valid_to = ?, closed_at = ? "
            "WHERE organization_id = ? AND valid_from = ? AND recorded_from = ?",
            (valid_to, closed_at, organization_id, row["valid_from"], row["recorded_from"]),
        )

    def retire(self, organization_id: str, row: dict[str, Any], recorded: str) -> None:
        """No longer believed from `recorded` on; a row recorded at that same instant was never seen: gone."""
        if row["recorded_from"] == recorded:
            self.tx.execute(
                f"DELETE FROM {self.intervals} WHERE organization_id = ? AND valid_from = ? AND recorded_from = ?",
                (organization_id, row["valid_from"], recorded),
            )
        else:
            self.tx.execute(
                f"UPDATE {self.intervals} SET recorded_to = ? WHERE organization_id = ? AND valid_from = ? AND recorded_from = ?",
                (recorded, organization_id, row["valid_from"], row["recorded_from"]),
            )

    def insert(self, organization_id: str, valid_from: str, valid_to: str | None, recorded: str, values: dict[str, Any]) -> None:
        self.tx.execute(
            _INSERT.format(self.intervals),
            (
                organization_id,
                valid_from,
                valid_to,
                recorded if valid_to else None,
                recorded,
                None,
                *(values[c] for c in _TRACKED),
            ),
        )

    def add_credit(self, credit_record_id: str, organization_id: str) -> None:
        self.tx.execute(
            f"INSERT INTO {self.credit} (credit_record_id, organization_id) VALUES (?, ?)", (credit_record_id, organization_id)
        )


_NEEDS_NO_OPEN_ROW = frozenset({"Registered", "Filed"})  # an organization's entry opens its first row
_NEEDS_OWNER = frozenset({"Listed", "Removed"})  # a credit record's listing changes its owner's open row


def _looked_up(handled: list[tuple[Change, Any]]) -> tuple[list[str], list[str]]:
    """The organizations whose open rows these events change, and the credit records whose owners they need."""
    organizations, credit_records = [], []
    for _, e in handled:
        name = type(e).__qualname__
        if name.startswith("Organization.") and type(e).__name__ not in _NEEDS_NO_OPEN_ROW:
            organizations.append(str(e.originator_id))
        elif name == "CreditRecord.Opened":  # its listing, in the same apply, changes the owner's row
            organizations.append(str(e.organization_id))
        elif type(e).__name__ in _NEEDS_OWNER:
            credit_records.append(str(e.originator_id))
    return organizations, credit_records


class _Batched:
    """The live path's intervals for one `apply`: the open rows (and credit records' owners) the
    events change, read ahead in a query per 500; rows inserted held until `flush`, so a row
    inserted and then amended in the same apply (a sweep lists an organization on the serious
    list and removes it from the abnormal one, on one day, in one save) is written once, as it
    ends up; updates of rows already in the table run at once, in order. Every open row an
    apply has touched is held (or known to be absent), so the table is asked only about others."""

    def __init__(self, tables: _Tables) -> None:
        self.tables = tables
        self.open: dict[str, dict[str, Any] | None] = {}  # organization -> its open row, or None: it has none
        self.owners: dict[str, str] = {}
        self.new: dict[tuple[str, str, str], dict[str, Any]] = {}  # rows inserted in this apply, by primary key
        self.closed: dict[tuple[str, str, str], tuple[str, str]] = {}  # rows of the table closed: (valid_to, closed_at)
        self.credits: list[tuple[str, str]] = []

    def read_ahead(self, organization_ids: list[str], credit_record_ids: list[str]) -> None:
        """The credit records' owners, then the open rows of those organizations and the others
        (two simple queries: PostgreSQL's generic plan for the two joined hashed every interval)."""
        for ids in in_slices(sorted(set(credit_record_ids))):
            owned = self.tables.tx.execute(
                f"SELECT credit_record_id, organization_id FROM {self.tables.credit} "
                f"WHERE credit_record_id IN ({', '.join('?' for _ in ids)})",
                ids,
            ).tuples()
            self.owners.update((str(credit_record_id), str(owner)) for credit_record_id, owner in owned)
        tracked = ", ".join(_TRACKED)
        for ids in in_slices(sorted({*organization_ids, *self.owners.values()})):
            rows = self.tables.tx.execute(
                f"SELECT organization_id, valid_from, recorded_from, {tracked} FROM {self.tables.intervals} "
                f"WHERE organization_id IN ({', '.join('?' for _ in ids)}) AND valid_to IS NULL AND recorded_to IS NULL",
                ids,
            ).all()
            self.open.update(dict.fromkeys(ids))
            self.open.update((row.pop("organization_id"), row) for row in rows)

    def flush(self) -> None:
        """The rows closed, then the rows new, each kind in one statement."""
        self._write_closed()
        rows = [(org, *(row[c] for c in COLUMNS[1:])) for (org, _, _), row in sorted(self.new.items())]
        self.tables.tx.insert_rows(self.tables.intervals, COLUMNS, rows)
        self.tables.tx.insert_rows(self.tables.credit, ("credit_record_id", "organization_id"), self.credits)
        self.new, self.credits = {}, []

    def _write_closed(self) -> None:
        rows = [(*key, *ends) for key, ends in sorted(self.closed.items())]
        self.tables.tx.update_rows(
            self.tables.intervals,
            ("organization_id", "valid_from", "recorded_from", "valid_to", "closed_at"),
            rows,
            "valid_to = v.valid_to, closed_at = v.closed_at",
            "t.organization_id = v.organization_id AND t.valid_from = v.valid_from AND t.recorded_from = v.recorded_from",
        )
        self.closed = {}

    # the handlers' side (IntervalStore)
    def open_row(self, organization_id: str) -> dict[str, Any] | None:
        if organization_id not in self.open:
            self.open[organization_id] = self.tables.open_row(organization_id)
        return self.open[organization_id]

    def owner_and_open(self, credit_record_id: str) -> tuple[str, dict[str, Any] | None] | None:
        owner = self.owners.get(credit_record_id)
        if owner is None:
            found = self.tables.owner_and_open(credit_record_id)
            if found is None:
                return None
            owner = self.owners[credit_record_id] = found[0]
            self.open.setdefault(owner, found[1])
        return owner, self.open_row(owner)

    def known_rows(self, organization_id: str) -> list[dict[str, Any]]:
        """A rewrite reads every known row from the table (this apply's written first) and may
        change the open one: it is read again when next asked for."""
        self.flush()
        self.open.pop(organization_id, None)
        return self.tables.known_rows(organization_id)

    def close(self, organization_id: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None:
        if self._is_new(organization_id, row):
            row["valid_to"], row["closed_at"] = valid_to, closed_at
        else:  # written with the others at the flush (a rewrite, which reads the table, flushes first)
            self.closed[(organization_id, row["valid_from"], row["recorded_from"])] = (valid_to, closed_at)
        if self.open.get(organization_id) is row:
            self.open[organization_id] = None

    def retire(self, organization_id: str, row: dict[str, Any], recorded: str) -> None:
        if not self._is_new(organization_id, row):
            self.tables.retire(organization_id, row, recorded)
        elif row["recorded_from"] == recorded:  # inserted and retired at one instant: never seen, never written
            del self.new[(organization_id, row["valid_from"], row["recorded_from"])]
        else:
            row["recorded_to"] = recorded
        if self.open.get(organization_id) is row:
            self.open[organization_id] = None

    def insert(self, organization_id: str, valid_from: str, valid_to: str | None, recorded: str, values: dict[str, Any]) -> None:
        row = {"valid_from": valid_from, "valid_to": valid_to, "closed_at": recorded if valid_to else None}
        row.update(recorded_from=recorded, recorded_to=None, **values)
        self.new[(organization_id, valid_from, recorded)] = row
        if valid_to is None:
            self.open[organization_id] = row

    def add_credit(self, credit_record_id: str, organization_id: str) -> None:
        self.owners[credit_record_id] = organization_id
        self.credits.append((credit_record_id, organization_id))

    def _is_new(self, organization_id: str, row: dict[str, Any]) -> bool:
        return self.new.get((organization_id, row["valid_from"], row["recorded_from"])) is row


_ROW_FIELDS = ("valid_from", "valid_to", "closed_at", "recorded_from", "recorded_to", *_TRACKED)
_IN_TABLE = "in_table"  # marks a known row read back from the table being built (a rewrite's)
_SLICE = 20_000  # open rows written at a time at the end of a rebuild
_HELD = "held"  # marks the dict of an organization's open row held in memory


class _Buffered:
    """The rebuild's intervals: each organization's open interval and each credit record's owner
    in memory; the intervals closed or retired during a batch queued and written in bulk with it,
    then forgotten; the open ones written at the end. Memory grows with the number of
    organizations and credit records and with the batch, not with the log.

    A change reaching back before the open interval (a late entry, a correction: about 2 % of
    the organizations in the benches' population) needs all the organization's known rows: those
    of earlier batches are read back from the table being built and, where the rewrite retires
    them, updated there; those of this batch are changed in the queue; the open one in memory.

    An open row is held as a tuple (a third of a dict's size), its repeated texts shared; the
    handlers get a dict of it, marked as the one held."""

    def __init__(self) -> None:
        self.open: dict[str, tuple[Any, ...]] = {}  # the values of _ROW_FIELDS
        self.shared: dict[str, str] = {}  # days, districts, division codes: one copy each
        self.owners: dict[str, str] = {}
        self.finished: dict[str, list[dict[str, Any]]] = {}  # this batch's closed and retired rows, by organization
        self.credits: list[tuple[str, str]] = []
        self.written: set[str] = set()  # organizations with a closed, known row in the table (a rewrite reads it back)
        self.tables: _Tables | None = None

    # the bulk rebuild's side (see BulkProjection.rebuild_in_bulk)
    def start(self, tx: Tx, suffix: str) -> None:
        """The batch's transaction, and the tables being built (named with the suffix)."""
        self.tables = _Tables(tx, "sl_register_intervals" + suffix, "sl_interval_credit" + suffix)

    def flush(self, everything: bool = False) -> None:
        """Write the queue (in key order: the primary key's index is built in order), and at the end the open rows."""
        rows = [(org, *_fields(row)) for org, queued in self.finished.items() for row in queued]
        self.written.update(org for org, queued in self.finished.items() if any(r["recorded_to"] is None for r in queued))
        rows.sort(key=lambda r: (r[0], r[1], r[4]))
        self._tables.tx.copy(self._tables.intervals, COLUMNS, rows)
        self._tables.tx.copy(self._tables.credit, ("credit_record_id", "organization_id"), self.credits)
        self.finished, self.credits = {}, []
        if everything:  # the open rows, in key order, a slice at a time (not a second copy of them all)
            ids = sorted(self.open)
            for start in range(0, len(ids), _SLICE):
                slice_ = [(org, *self.open.pop(org)) for org in ids[start : start + _SLICE]]
                self._tables.tx.copy(self._tables.intervals, COLUMNS, slice_)

    # the handlers' side (IntervalStore)
    def open_row(self, organization_id: str) -> dict[str, Any] | None:
        held = self.open.get(organization_id)
        if held is None:
            return None
        row = dict(zip(_ROW_FIELDS, held, strict=True))
        row[_HELD] = True
        return row

    def owner_and_open(self, credit_record_id: str) -> tuple[str, dict[str, Any] | None] | None:
        owner = self.owners.get(credit_record_id)
        return None if owner is None else (owner, self.open_row(owner))

    def known_rows(self, organization_id: str) -> list[dict[str, Any]]:
        written = self._tables.known_rows(organization_id) if organization_id in self.written else []
        known = [{**row, _IN_TABLE: True} for row in written]
        known += [row for row in self.finished.get(organization_id, ()) if row["recorded_to"] is None]
        row = self.open_row(organization_id)
        return sorted([*known, row] if row is not None else known, key=lambda r: str(r["valid_from"]))

    def close(self, organization_id: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None:
        if row.get(_IN_TABLE):
            self._tables.close(organization_id, row, valid_to, closed_at)
            return
        if row.pop(_HELD, False):
            del self.open[organization_id]
            self.finished.setdefault(organization_id, []).append(row)
        row["valid_to"], row["closed_at"] = valid_to, closed_at

    def retire(self, organization_id: str, row: dict[str, Any], recorded: str) -> None:
        if row.get(_IN_TABLE):
            self._tables.retire(organization_id, row, recorded)
            return
        queue = self.finished.setdefault(organization_id, [])
        if row.pop(_HELD, False):
            del self.open[organization_id]
        else:
            queue.remove(row)
        if row["recorded_from"] != recorded:  # else never seen: gone
            row["recorded_to"] = recorded
            queue.append(row)

    def insert(self, organization_id: str, valid_from: str, valid_to: str | None, recorded: str, values: dict[str, Any]) -> None:
        if valid_to is None and organization_id not in self.open:
            share, tracked = self.shared.setdefault, _tracked(values)
            district, division = share(tracked[4], tracked[4]), share(tracked[5], tracked[5])
            held = (share(valid_from, valid_from), None, None, recorded, None, *tracked[:4], district, division, *tracked[6:])
            self.open[organization_id] = held
            return
        row: dict[str, Any] = {"valid_from": valid_from, "valid_to": valid_to, "closed_at": recorded if valid_to else None}
        row.update(recorded_from=recorded, recorded_to=None, **values)
        self.finished.setdefault(organization_id, []).append(row)  # a rewrite's closed interval

    def add_credit(self, credit_record_id: str, organization_id: str) -> None:
        self.owners[credit_record_id] = organization_id
        self.credits.append((credit_record_id, organization_id))

    @property
    def _tables(self) -> _Tables:
        assert self.tables is not None
        return self.tables


_fields = itemgetter(*_ROW_FIELDS)
_tracked = itemgetter(*_TRACKED)
assert _TRACKED[4:6] == ("district", "division_code")  # shared by position in _Buffered.insert


def _as_of_conditions(query: RegisterAsOfQuery) -> tuple[list[str], list[Any], str]:
    """The query's conditions and parameters, and the expression of a row's end as known then."""
    day = query.effective_on.isoformat()
    where, params, end = _known(query.known_at)
    where += ["valid_from <= ?", f"({end} IS NULL OR {end} > ?)"]
    params += [day, day]
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
    return where, params, end


def _summed(query: RegisterAsOfQuery) -> bool:
    """Whether the total is a sum of entries by day: the whole register, or one district."""
    return not (query.status or query.grade or query.credit_status or query.org_type or query.division_prefix)


def _narrowest(query: RegisterAsOfQuery) -> str:
    """The index that leads with the query's most selective filter (each implies its index's
    WHERE, as SQLite's INDEXED BY requires); a page of a sparse question is sorted from there."""
    if query.credit_status in ("serious", "abnormal"):
        return f"sl_register_intervals_{query.credit_status}"
    if query.grade and query.grade != "none":
        return "sl_register_intervals_graded"
    if query.district:
        return "sl_register_intervals_district"
    return "sl_register_intervals_status" if query.status and query.status != "active" else "sl_register_intervals_valid"


def _counted(tx: Tx, condition: str, params: list[Any], query: RegisterAsOfQuery) -> tuple[int, bool]:
    """The rows that meet the condition, counted up to COUNT_CAP: (count, whether it is exact);
    the whole register and one district alone are summed instead (`_summed`). As known now, counted from the day backwards where the index allows (each has the clocks
    right after its filter's columns; the grades' has the district between): the intervals that
    began last are the ones still in effect, while walking forwards passed every closed interval
    first (at a million organizations, 90,000 of them before a district's 10,000th row in
    effect). Not as known at an instant: the rows that began last are the likeliest to have been
    recorded after it (an organization entered with its history)."""
    index = _narrowest(query)
    indexed = f" INDEXED BY {index}" if tx.dialect == "sqlite" else ""
    backwards = query.known_at is None and (index != "sl_register_intervals_graded" or query.district)
    latest = " ORDER BY valid_from DESC" if backwards else ""
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM sl_register_intervals{indexed} WHERE {condition}{latest} LIMIT ?) AS c"
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

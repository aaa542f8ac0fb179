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
provenance's `effective_on`), never later than the day it was recorded.

Listings on the credit lists are intervals of their own (`sl_register_listings`, on the same two
clocks), not columns of the organization's row: a sweep lists or removes thousands at once, and
closing and reopening the wide row with its indexes for each was two thirds of SQLite's work in
those sweeps. A line's credit status is read from the listings in effect on its day, and its
interval is cut where a listing begins or ends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
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
    "version",
)
_LISTS = ("serious", "abnormal")  # the credit lists, the graver first (a line on both reads "serious")
_CLOCKS = "valid_from, valid_to, closed_at, recorded_from, recorded_to"
_BY_NAME = "sl_register_intervals_by_name"
_LISTED = "sl_register_listings_on"  # a list's listings in effect on a day: where a credit-status question starts
# A filtered total is counted up to this many rows; beyond, the page says "more than" (an exact
# count of a million intervals on every page was what made the register slow).
COUNT_CAP = 10_000
# PostgreSQL planned a credit list's page as a scan of every line hashed against the list (at
# 100,000 organizations, 52-88 ms), with two parallel workers (at a million, 22-26 ms), where a
# nested loop from the list's index into the lines' key takes 11 ms: the costs it assumes are a
# disk's, the register's tables are read from memory, and a question of the register looks at
# a few thousand rows at most, fewer than starting workers is worth, or compiling (JIT: a walk of
# a list's names estimated at a million rows to read, which read 93, compiled for 40 ms and ran
# for 2). One statement, one round trip.
_PLANNING = (
    "SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('random_page_cost', '1.1', true), "
    "set_config('jit', 'off', true)"
)
_DENSE = 3_000  # this many rows in effect or more: walking the names finds a page soonest
_SORTS = {"name": "name", "district": "district", "status": "status", "grade": "grade", "valid_from": "valid_from"}


# what the handlers read of the events (the bulk rebuild decodes only these; see MsgspecMapper.to_view)
_VIEW_FIELDS = frozenset(
    {"timestamp", "provenance", "profile", "code", "registered_on", "filed_on", "name", "level", "valid_until", "on"}
    | {"corrected_on", "status", "grade", "grade_valid_until", "organization_id", "list_name", "ground"}
)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None  # "…Z" is UTC; 30 times faster than strptime


class RegisterHistoryProjection(BulkProjection):
    name = NAME
    # 4: listings in intervals of their own; 5: the organizations on both lists at once (sl_register_overlaps);
    # 6: the lists' sizes by day on both clocks (sl_listing_days, sl_listing_changes) and the listed names (sl_listed_names)
    version = 6
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
            version INTEGER NOT NULL,
            PRIMARY KEY (organization_id, valid_from, recorded_from)""",
        "sl_register_listings": """
            organization_id TEXT NOT NULL,
            list_name TEXT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_to TEXT,
            closed_at TEXT,
            recorded_from TEXT NOT NULL,
            recorded_to TEXT,
            PRIMARY KEY (organization_id, list_name, valid_from, recorded_from)""",
        "sl_interval_credit": """
            credit_record_id TEXT PRIMARY KEY,
            organization_id TEXT NOT NULL""",
        # Every organization that may ever be on both lists on one day, as known at some instant
        # (a listing that began while one on the other list was in effect, or ended after it began):
        # the abnormal list's total is its listings less these on the serious list too, so a
        # total asks a few organizations, not every listing, whether it is on the other list.
        "sl_register_overlaps": """
            organization_id TEXT PRIMARY KEY""",
        # How many organizations each list holds on each day, on both clocks, as sums of changes
        # (see _listed_count): a listing adds one from its first day, known from when it was recorded,
        # and takes it away from the day it ends, known from when that was recorded; a listing no
        # longer believed undoes both from then on. By the day each change was recorded ...
        "sl_listing_days": """
            list_name TEXT NOT NULL,
            day TEXT NOT NULL,
            recorded_day TEXT NOT NULL,
            delta INTEGER NOT NULL,
            PRIMARY KEY (list_name, day, recorded_day)""",
        # ... and each change by its instant, for the part of the day a question's instant ends.
        "sl_listing_changes": """
            list_name TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            organization_id TEXT NOT NULL,
            day TEXT NOT NULL,
            delta INTEGER NOT NULL,
            PRIMARY KEY (list_name, recorded_at, organization_id, day)""",
        # Every name each organization ever on a list has had (on any line, as known at any
        # instant), in name order: a page of a list walks these few (`_from_listed_names`).
        "sl_listed_names": """
            list_name TEXT NOT NULL,
            name TEXT NOT NULL,
            organization_id TEXT NOT NULL,
            PRIMARY KEY (list_name, name, organization_id)""",
    }
    # Each as-of query is answered from one index without touching rows it does not show: the two
    # clocks' columns ride in every index, so a row is judged in the index. A dense question (most
    # of the register) walks the names in order and stops after a page; a sparse one (a credit
    # list, a grade in a district, one district) ranges over the index that leads with its filter.
    indexes = (
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_valid ON sl_register_intervals "
        f"({_CLOCKS}, status, org_type, grade, division_code)",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_status ON sl_register_intervals "
        f"(status, {_CLOCKS}, name, organization_id)",
        f"CREATE INDEX IF NOT EXISTS {_BY_NAME} ON sl_register_intervals (name, organization_id, {_CLOCKS}, "
        "status, district, org_type, grade)",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_graded ON sl_register_intervals "
        f"(grade, district, {_CLOCKS}, name, organization_id) WHERE grade IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_district ON sl_register_intervals "
        f"(district, {_CLOCKS}, name, organization_id)",
        "CREATE INDEX IF NOT EXISTS sl_register_intervals_current ON sl_register_intervals (organization_id) "
        "WHERE recorded_to IS NULL",
        f"CREATE INDEX IF NOT EXISTS {_LISTED} ON sl_register_listings (list_name, {_CLOCKS}, organization_id)",
    )
    # one B-tree in key order: a line's listings are found together, a list's sums and names in order
    clustered = frozenset({"sl_register_listings", "sl_listing_days", "sl_listing_changes", "sl_listed_names"})
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
            "Listed": lambda s, e: self._listing(s, e, "Listed", listed=True),
            "Removed": lambda s, e: self._listing(s, e, "Removed", listed=False),
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
            "version": e.originator_version,
        }
        day = effective_day(type(e).__name__, e)
        store.insert(str(e.originator_id), day.isoformat(), None, instant(e.timestamp), values)

    def _line_changed(self, event_name: str, columns: Callable[[Any], dict[str, Any]]) -> Change:
        return lambda s, e: self._org(s, e, event_name, **columns(e))

    def _org(self, store: IntervalStore, e: Any, event_name: str, **changes: Any) -> None:
        day = effective_day(event_name, e)
        self._change(store, str(e.originator_id), day, e.timestamp, version=e.originator_version, **changes)

    def _listing(self, store: IntervalStore, e: Any, event_name: str, listed: bool) -> None:
        """The usual case: a listing begins, or the open one ends, at or after the list's last
        change and the organization's open interval. One reaching further back is folded into the
        list's known history (`_rewrite_listing`)."""
        found = store.owner_and_open(str(e.originator_id))
        if found is None or found[1] is None:
            return
        owner, row = found[0], found[1]
        list_name = e.list_name.value
        last = store.last_listing(owner, list_name)
        if listed == (last is not None and last["valid_to"] is None):
            return  # a ground on a list the organization is on joins that listing; a removal from a list it is not on is nothing
        day, recorded = effective_day(event_name, e).isoformat(), instant(e.timestamp)
        bound = None if last is None else last["valid_to"] or last["valid_from"]
        if day < row["valid_from"] or (bound is not None and day < bound):  # perhaps before the organization's entry, too
            self._rewrite_listing(store, owner, list_name, day, recorded, listed)
        elif listed:
            _note_overlap(store, owner, list_name, day, None)
            _insert_listing(store, owner, list_name, day, None, recorded)
        elif last is not None and day == last["valid_from"]:  # listed and removed on one day: never in effect
            _retire_listing(store, owner, last, recorded)
        elif last is not None:
            _close_listing(store, owner, last, day, recorded)

    def _rewrite_listing(self, store: IntervalStore, owner: str, list_name: str, day: str, recorded: str, listed: bool) -> None:
        """The list's known listings as a timeline from the organization's entry, folded with this
        change in its place; then, as `_rewrite` does, what differs retired and what is new inserted."""
        entry = store.known_rows(owner)[0]["valid_from"]
        known = store.known_listings(owner, list_name)
        timeline: Timeline = [(entry, {"on": 0})]
        for row in known:
            timeline.append((row["valid_from"], {"on": 1}))
            if row["valid_to"] is not None:
                timeline.append((row["valid_to"], {"on": 0}))
        timeline.sort(key=itemgetter(0))  # stable: a listing's end before the next one's start on that day
        wanted = [w for w in fold(timeline, max(day, entry), {"on": int(listed)}) if w[2]["on"]]
        new = _reconciled(
            known,
            wanted,
            lambda _row, _values: True,
            lambda row, end: _close_listing(store, owner, row, end, recorded),
            lambda row: _retire_listing(store, owner, row, recorded),
        )
        for start, end, _ in new:
            _note_overlap(store, owner, list_name, start, end)
            _insert_listing(store, owner, list_name, start, end, recorded)

    def _change(
        self,
        store: IntervalStore,
        organization_id: str,
        day: date,
        at: datetime,
        **changes: Any,
    ) -> None:
        """The usual case: the change takes effect at or after the open interval began, which is
        closed there (or amended, on its own first day) and followed by a new one. A change
        reaching further back rewrites the known history from its day on."""
        row = store.open_row(organization_id)
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
        if "name" in changes:
            store.note_named(organization_id, values["name"])

    def _rewrite(self, store: IntervalStore, organization_id: str, start: str, recorded: str, changes: dict[str, Any]) -> None:
        """Fold the known intervals' changes with this one in its place (after the changes of its
        day and before), then retire what differs and insert what is new: rows nobody's view
        changes are left as they are."""
        known = store.known_rows(organization_id)
        wanted = fold(_changes_of(known), max(start, known[0]["valid_from"]), changes)
        new = _reconciled(
            known,
            wanted,
            lambda row, values: values == {c: row[c] for c in _TRACKED},
            lambda row, end: store.close(organization_id, row, end, recorded),
            lambda row: store.retire(organization_id, row, recorded),
        )
        for valid_from, valid_to, values in new:
            store.insert(organization_id, valid_from, valid_to, recorded, values)
            if "name" in changes:
                store.note_named(organization_id, values["name"])

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
        exact for the whole register, one district or a credit status alone (summed by day) and
        for up to COUNT_CAP rows;
        beyond, it is COUNT_CAP and `total_exact` is false."""
        where, params = _as_of_conditions(query)
        end = _known(query.known_at, "r.")[2]
        direction = "DESC" if query.descending else "ASC"  # one direction for both keys: the name index serves it
        per_page, page = max(1, min(query.per_page, 500)), max(1, query.page)
        with self.db.transaction() as tx:
            sqlite = tx.dialect == "sqlite"
            if not sqlite:  # for this transaction (see _PLANNING)
                tx.execute(_PLANNING)
            if _summed(query):
                total, exact = self._totals.entered_by(query.effective_on, tx, query.known_at, query.district), True
            elif query.credit_status == "none" and _only_credit(query):
                total, exact = self._in_good_standing(tx, query)
            else:
                total, exact = _counted(tx, where, params, query)
            key, tie = "i." + _SORTS[query.sort], "i.organization_id"
            walked = query.sort == "name" and total >= _DENSE
            if (
                query.credit_status in _LISTS
                and query.sort == "name"
                and _walks_listed(query, total, _size_now(tx, query.credit_status))
            ):
                source, condition, values = _from_listed_names(query, where, params, sqlite)
                key, tie, walked = "n.name", "n.organization_id", True
            elif query.credit_status in _LISTS:  # a page of one list's few: from the list's listings in effect
                source, condition, values = _from_listings(query, where, params, sqlite)
                walked = False
            else:
                index = _BY_NAME if walked else _narrowest(query)
                source = f"sl_register_intervals AS i{f' INDEXED BY {index}' if sqlite else ''}"
                condition, values = _with_credit(query, where, params, each=walked and not sqlite)
            if not walked and query.sort == "name" and not sqlite:  # not walked in name order, but found through the filter
                key += " || ''"
            # The page's keys are found in the index alone, then only its rows are read: reading
            # every row that matched to sort them read a block per row (1,700 for 5A in a district).
            picked = (
                f"SELECT i.organization_id, i.valid_from, i.recorded_from FROM {source} WHERE {condition} "
                f"ORDER BY {key} {direction}, {tie} {direction} LIMIT ? OFFSET ?"
            )
            rows = tx.execute(
                f"SELECT r.*, {end} AS known_end FROM ({picked}) AS k JOIN sl_register_intervals AS r "
                "ON r.organization_id = k.organization_id AND r.valid_from = k.valid_from AND r.recorded_from = k.recorded_from "
                f"ORDER BY r.{_SORTS[query.sort]} {direction}, r.organization_id {direction}",
                (*values, per_page, (page - 1) * per_page),
            ).all()
            listings = _listings_known(tx, [r["organization_id"] for r in rows], query.known_at)
        day = query.effective_on.isoformat()
        items = [
            _line(row, piece)
            for row in rows
            for piece in _pieces(row, listings.get(row["organization_id"], []))
            if piece.holds(day)
        ]
        return Page(items=items, total=total, page=page, per_page=per_page, total_exact=exact)

    def _in_good_standing(self, tx: Tx, query: RegisterAsOfQuery) -> tuple[int, bool]:
        """The register on no list: its size less the listed, each a sum by day."""
        register = self._totals.entered_by(query.effective_on, tx, query.known_at, None)
        return register - _listed_count(tx, query, "serious") - _listed_count(tx, query, "abnormal"), True

    @property
    def _totals(self) -> RegisterTotalsProjection:
        return cast(RegisterTotalsProjection, self.upstream[0])

    def intervals(self, organization_id: UUID, known_at: datetime | None = None) -> list[RegisterLine]:
        """One organization's register line through time, as known at an instant (now by default),
        oldest first: its intervals cut where a listing begins or ends."""
        where, params, end = _known(known_at)
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT *, {end} AS known_end FROM sl_register_intervals WHERE organization_id = ? AND "
                f"{' AND '.join(where)} ORDER BY valid_from",
                (str(organization_id), *params),
            ).all()
            listings = _listings_known(tx, [str(organization_id)], known_at).get(str(organization_id), [])
        return [_line(row, piece) for row in rows for piece in _pieces(row, listings)]

    def superseded(self, organization_id: UUID) -> list[RegisterLine]:
        """The intervals and listings once believed and since rewritten (by a late entry or a
        correction), in the order they were: each as the line read then, on the day it began."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT * FROM sl_register_intervals WHERE organization_id = ? ORDER BY recorded_from, valid_from",
                (str(organization_id),),
            ).all()
            listings = tx.execute(
                "SELECT * FROM sl_register_listings WHERE organization_id = ? ORDER BY recorded_from, valid_from",
                (str(organization_id),),
            ).all()
        lines = []
        for row in rows:
            if row["recorded_to"] is not None:
                then = _believed_before(listings, row["recorded_to"])
                piece = next(p for p in _pieces({**row, "known_end": row["valid_to"]}, then) if p.holds(row["valid_from"]))
                lines.append(_line(row, replace(piece, end=row["valid_to"], recorded_to=row["recorded_to"])))
        for listing in listings:
            if listing["recorded_to"] is not None:
                then_row = _row_believed_before(rows, listing["recorded_to"], listing["valid_from"])
                if then_row is not None:
                    start, end = listing["valid_from"], listing["valid_to"]
                    piece = _Piece(start, end, listing["list_name"], listing["recorded_from"], listing["recorded_to"])
                    lines.append(_line(then_row, piece))
        return sorted(lines, key=lambda line: (line.recorded_from, line.valid_from))


Timeline = list[tuple[str, dict[str, Any]]]  # (day it takes effect, the columns it changes), in order
Wanted = list[tuple[str, str | None, dict[str, Any]]]  # what `fold` gives: (valid_from, valid_to, values)


def _reconciled(
    known: list[dict[str, Any]],
    wanted: Wanted,
    same_values: Callable[[dict[str, Any], dict[str, Any]], bool],
    close: Callable[[dict[str, Any], str], None],
    retire: Callable[[dict[str, Any]], None],
) -> Wanted:
    """A rewrite's known rows against the intervals wanted: a row wanted as it is stays; one whose
    end alone is new is closed in place; the others are retired. What is wanted and not kept is
    returned, to be inserted."""
    kept = set()
    for row in known:
        same = next((w for w in wanted if w[0] == row["valid_from"] and same_values(row, w[2])), None)
        if same is not None and same[1] == row["valid_to"]:
            kept.add(same[0])
        elif same is not None and row["valid_to"] is None and same[1] is not None:  # only its end is new
            close(row, same[1])
            kept.add(same[0])
        else:
            retire(row)
    return [w for w in wanted if w[0] not in kept]


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


def fold(changes: Timeline, day: str, change: dict[str, Any]) -> Wanted:
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
LISTING_COLUMNS = ("organization_id", "list_name", "valid_from", "valid_to", "closed_at", "recorded_from", "recorded_to")
_LISTING_KEY = "organization_id = ? AND list_name = ? AND valid_from = ? AND recorded_from = ?"


ListingChange = tuple[str, str, str, str, int]  # list, organization, day, instant recorded, +1 or -1


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
    # an organization's listings on one list, known now: the latest, or all of them in order
    def last_listing(self, organization_id: str, list_name: str) -> dict[str, Any] | None: ...
    def known_listings(self, organization_id: str, list_name: str) -> list[dict[str, Any]]: ...
    def close_listing(self, organization_id: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None: ...
    def retire_listing(self, organization_id: str, row: dict[str, Any], recorded: str) -> None: ...
    def insert_listing(
        self, organization_id: str, list_name: str, valid_from: str, valid_to: str | None, recorded: str
    ) -> None: ...
    # the organization's listings known now on the list, any of them in effect within [valid_from, valid_to)
    def listed_within(self, organization_id: str, list_name: str, valid_from: str, valid_to: str | None) -> bool: ...
    def add_overlap(self, organization_id: str) -> None: ...
    def count_listings(self, changes: list[ListingChange]) -> None: ...
    def note_named(self, organization_id: str, name: str) -> None: ...


def _insert_listing(
    store: IntervalStore, owner: str, list_name: str, valid_from: str, valid_to: str | None, recorded: str
) -> None:
    """A listing: one more on its list from its first day, and one fewer from its end, if it has one, both known from now."""
    store.insert_listing(owner, list_name, valid_from, valid_to, recorded)
    changes = [(list_name, owner, valid_from, recorded, 1)]
    store.count_listings([*changes, (list_name, owner, valid_to, recorded, -1)] if valid_to is not None else changes)


def _close_listing(store: IntervalStore, owner: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None:
    """The end as the table now has it, from when it was recorded (an earlier end forgotten, as the table forgets it)."""
    list_name, recorded_from = row["list_name"], row["recorded_from"]
    changes = [(list_name, owner, valid_to, max(recorded_from, closed_at), -1)]
    if row["valid_to"] is not None:
        changes.append((list_name, owner, row["valid_to"], max(recorded_from, row["closed_at"]), 1))
    store.close_listing(owner, row, valid_to, closed_at)
    store.count_listings(changes)


def _retire_listing(store: IntervalStore, owner: str, row: dict[str, Any], recorded: str) -> None:
    """No longer believed from `recorded` on: both its changes undone from then (or, if recorded
    at that instant, at their own instants: never seen)."""
    changes = [(row["list_name"], owner, row["valid_from"], recorded, -1)]
    if row["valid_to"] is not None:
        ended = max(row["recorded_from"], row["closed_at"], recorded)
        changes.append((row["list_name"], owner, row["valid_to"], ended, 1))
    store.retire_listing(owner, row, recorded)
    store.count_listings(changes)


def _tallied(changes: list[ListingChange]) -> tuple[Counter[tuple[str, str, str]], Counter[tuple[str, str, str, str]]]:
    """The changes summed by list, day and day recorded, and by list, instant, organization and day."""
    days: Counter[tuple[str, str, str]] = Counter()
    each: Counter[tuple[str, str, str, str]] = Counter()
    for list_name, owner, day, recorded, delta in changes:
        days[(list_name, day, recorded[:10])] += delta
        each[(list_name, recorded, owner, day)] += delta
    return days, each


def _note_overlap(store: IntervalStore, owner: str, list_name: str, valid_from: str, valid_to: str | None) -> None:
    """Before a listing is inserted: its organization is noted as on both lists if a listing on the
    other list, as known now, is in effect on any of its days. The two listings' later changes only
    shorten what is known of them, so whenever both are in effect on a day as known at an instant,
    the second one in was inserted against the first and the owner was noted (the note stays)."""
    other = next(name for name in _LISTS if name != list_name)
    if store.listed_within(owner, other, valid_from, valid_to):
        store.add_overlap(owner)


def _within(rows: list[dict[str, Any]], list_name: str, valid_from: str, valid_to: str | None) -> bool:
    return any(
        row["list_name"] == list_name
        and row["recorded_to"] is None
        and (row["valid_to"] is None or row["valid_to"] > valid_from)
        and (valid_to is None or row["valid_from"] < valid_to)
        for row in rows
    )


Change = Callable[[IntervalStore, Any], None]


def _on_tables(change: Change) -> Handler:
    return lambda tx, e: change(_Tables(tx), e)


class _Tables:
    """The intervals in the tables, one statement at a time: the live path and the catch-up."""

    def __init__(self, tx: Tx, suffix: str = "") -> None:
        self.tx = tx
        self.intervals, self.credit = "sl_register_intervals" + suffix, "sl_interval_credit" + suffix
        self.listings, self.overlaps = "sl_register_listings" + suffix, "sl_register_overlaps" + suffix
        self.listing_days, self.listing_changes = "sl_listing_days" + suffix, "sl_listing_changes" + suffix
        self.listed_names = "sl_listed_names" + suffix

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

    def listings_of(self, organization_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The listings known now of these organizations, on every list (with `organization_id`)."""
        among, params = self.tx.among("organization_id", organization_ids)
        return self.tx.execute(
            f"SELECT {', '.join(LISTING_COLUMNS)} FROM {self.listings} WHERE {among} AND recorded_to IS NULL", params
        ).all()

    def last_listing(self, organization_id: str, list_name: str) -> dict[str, Any] | None:
        known = self.known_listings(organization_id, list_name)
        return known[-1] if known else None

    def known_listings(self, organization_id: str, list_name: str) -> list[dict[str, Any]]:
        return self.tx.execute(
            f"SELECT {', '.join(LISTING_COLUMNS[1:])} FROM {self.listings} "
            "WHERE organization_id = ? AND list_name = ? AND recorded_to IS NULL ORDER BY valid_from",
            (organization_id, list_name),
        ).all()

    def close_listing(self, organization_id: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None:
        self.tx.execute(
            f"UPDATE {self.listings} SET valid_to = ?, closed_at = ? WHERE {_LISTING_KEY}",
            (valid_to, closed_at, *_listing_key(organization_id, row)),
        )

    def retire_listing(self, organization_id: str, row: dict[str, Any], recorded: str) -> None:
        """As `retire`: no longer believed from `recorded` on, or, recorded at that same instant, gone."""
        if row["recorded_from"] == recorded:
            self.tx.execute(f"DELETE FROM {self.listings} WHERE {_LISTING_KEY}", _listing_key(organization_id, row))
        else:
            self.tx.execute(
                f"UPDATE {self.listings} SET recorded_to = ? WHERE {_LISTING_KEY}",
                (recorded, *_listing_key(organization_id, row)),
            )

    def insert_listing(self, organization_id: str, list_name: str, valid_from: str, valid_to: str | None, recorded: str) -> None:
        row = _listing(list_name, valid_from, valid_to, recorded)
        self.tx.execute(
            f"INSERT INTO {self.listings} ({', '.join(LISTING_COLUMNS)}) VALUES ({', '.join('?' for _ in LISTING_COLUMNS)})",
            (organization_id, *_listing_fields(row)),
        )
        self.name_listed([(organization_id, list_name)], [])  # its organization's names, on this list

    def listed_within(self, organization_id: str, list_name: str, valid_from: str, valid_to: str | None) -> bool:
        return _within(self.known_listings(organization_id, list_name), list_name, valid_from, valid_to)

    def add_overlap(self, organization_id: str) -> None:
        self.tx.execute(f"INSERT INTO {self.overlaps} (organization_id) VALUES (?) ON CONFLICT DO NOTHING", (organization_id,))

    def count_listings(self, changes: list[ListingChange]) -> None:
        self.add_counts(*_tallied(changes))

    def note_named(self, organization_id: str, name: str) -> None:
        self.name_listed([], [(organization_id, name)])

    def name_listed(self, listed: Sequence[tuple[str, str]], named: Sequence[tuple[str, str]], everyone: bool = False) -> None:
        """The names of organizations newly on a list, and the new names of listed ones (or,
        `everyone`, all of them), from what the tables hold: a listing's organization's lines' names."""
        pairs = f"{self.listings} AS l JOIN {self.intervals} AS i ON i.organization_id = l.organization_id"
        insert = (
            f"INSERT INTO {self.listed_names} (list_name, name, organization_id) "
            f"SELECT DISTINCT l.list_name, i.name, l.organization_id FROM {pairs}"
        )
        if everyone:
            self.tx.execute(f"{insert} ON CONFLICT DO NOTHING")
        for column, rows in (("l.list_name", listed), ("i.name", named)):
            if not rows:
                continue
            if self.tx.dialect == "postgres":  # one statement for a sweep's chunk, not one per organization
                pairs_wanted = "JOIN unnest(?::text[], ?::text[]) AS w(organization_id, value)"
                on = f"ON l.organization_id = w.organization_id AND {column} = w.value"
                organizations, values = zip(*sorted(set(rows)), strict=True)
                self.tx.execute(f"{insert} {pairs_wanted} {on} ON CONFLICT DO NOTHING", (list(organizations), list(values)))
            else:
                self.tx.executemany(
                    f"{insert} WHERE l.organization_id = ? AND {column} = ? ON CONFLICT DO NOTHING", sorted(set(rows))
                )

    def add_counts(self, days: Counter[tuple[str, str, str]], changes: Counter[tuple[str, str, str, str]]) -> None:
        """Added to the sums there are (in key order: two saves lock the same rows in the same order)."""
        for table, key, counted in (
            (self.listing_days, ("list_name", "day", "recorded_day"), days),
            (self.listing_changes, ("list_name", "recorded_at", "organization_id", "day"), changes),
        ):
            rows = sorted((*k, n) for k, n in counted.items())
            added = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET delta = {table}.delta + excluded.delta"
            self.tx.insert_rows(table, (*key, "delta"), rows, added)


def _listing(list_name: str, valid_from: str, valid_to: str | None, recorded: str) -> dict[str, Any]:
    closed_at = recorded if valid_to else None
    return {"list_name": list_name, "valid_from": valid_from, "valid_to": valid_to, "closed_at": closed_at} | {
        "recorded_from": recorded,
        "recorded_to": None,
    }


_listing_fields = itemgetter(*LISTING_COLUMNS[1:])


def _listing_key(organization_id: str, row: dict[str, Any]) -> tuple[str, str, str, str]:
    return organization_id, row["list_name"], row["valid_from"], row["recorded_from"]


_NEEDS_NO_OPEN_ROW = frozenset({"Registered", "Filed"})  # an organization's entry opens its first row
_NEEDS_OWNER = frozenset({"Listed", "Removed"})  # a credit record's listing changes its owner's listings


def _looked_up(handled: list[tuple[Change, Any]]) -> tuple[list[str], list[str], list[str]]:
    """The organizations whose open rows these events change or read, the credit records whose
    owners they need, and the owners of the records opened here (their listings are read too)."""
    organizations, credit_records, opened = [], [], []
    for _, e in handled:
        name = type(e).__qualname__
        if name.startswith("Organization.") and type(e).__name__ not in _NEEDS_NO_OPEN_ROW:
            organizations.append(str(e.originator_id))
        elif name == "CreditRecord.Opened":  # its listing, in the same apply, reads the owner's row and listings
            opened.append(str(e.organization_id))
        elif type(e).__name__ in _NEEDS_OWNER:
            credit_records.append(str(e.originator_id))
    return organizations, credit_records, opened


class _Batched:
    """The live path's intervals for one `apply`: the open rows (and credit records' owners and
    their listings) the events change, read ahead in a query per 500; rows inserted held until
    `flush`, so a row inserted and then amended in the same apply (a listing begun and ended on
    one day, in one save) is written once, as it ends up; closed rows written together at the
    flush; rows retired in the table at once, in order. Every open row and listing an apply has
    touched is held (or known to be absent), so the table is asked only about others."""

    def __init__(self, tables: _Tables) -> None:
        self.tables = tables
        self.open: dict[str, dict[str, Any] | None] = {}  # organization -> its open row, or None: it has none
        self.owners: dict[str, str] = {}
        self.new: dict[tuple[str, str, str], dict[str, Any]] = {}  # rows inserted in this apply, by primary key
        self.closed: dict[tuple[str, str, str], tuple[str, str]] = {}  # rows of the table closed: (valid_to, closed_at)
        self.credits: list[tuple[str, str]] = []
        self.listed: dict[str, list[dict[str, Any]]] = {}  # organization -> its listings known now, every list
        self.new_listings: dict[tuple[str, str, str, str], dict[str, Any]] = {}  # by primary key
        self.closed_listings: dict[tuple[str, str, str, str], tuple[str, str]] = {}
        self.listing_changes: list[ListingChange] = []  # summed and written at the flush
        self.renamed: list[tuple[str, str]] = []  # (organization, name): noted on its lists at the flush

    def read_ahead(self, organization_ids: list[str], credit_record_ids: list[str], opened: list[str]) -> None:
        """The credit records' owners, then the open rows of those organizations and the others,
        then the owners' listings (simple queries: PostgreSQL's generic plan for the first two
        joined hashed every interval)."""
        for ids in in_slices(sorted(set(credit_record_ids))):
            among, params = self.tables.tx.among("credit_record_id", ids)
            owned = self.tables.tx.execute(
                f"SELECT credit_record_id, organization_id FROM {self.tables.credit} WHERE {among}", params
            ).tuples()
            self.owners.update((str(credit_record_id), str(owner)) for credit_record_id, owner in owned)
        tracked = ", ".join(_TRACKED)
        for ids in in_slices(sorted({*organization_ids, *opened, *self.owners.values()})):
            among, params = self.tables.tx.among("organization_id", ids)
            rows = self.tables.tx.execute(
                f"SELECT organization_id, valid_from, recorded_from, {tracked} FROM {self.tables.intervals} "
                f"WHERE {among} AND valid_to IS NULL AND recorded_to IS NULL",
                params,
            ).all()
            self.open.update(dict.fromkeys(ids))
            self.open.update((row.pop("organization_id"), row) for row in rows)
        for ids in in_slices(sorted({*opened, *self.owners.values()})):
            self.listed.update((org, []) for org in ids)
            for row in self.tables.listings_of(ids):
                self.listed[row.pop("organization_id")].append(row)

    def flush(self) -> None:
        """The rows closed, then the rows new, each kind in one statement."""
        self._write_closed()
        rows = [(org, *(row[c] for c in COLUMNS[1:])) for (org, _, _), row in sorted(self.new.items())]
        self.tables.tx.insert_rows(self.tables.intervals, COLUMNS, rows)
        self.tables.tx.insert_rows(self.tables.credit, ("credit_record_id", "organization_id"), self.credits)
        listings = [(key[0], *_listing_fields(row)) for key, row in sorted(self.new_listings.items())]
        self.tables.tx.insert_rows(self.tables.listings, LISTING_COLUMNS, listings)
        self.tables.count_listings(self.listing_changes)
        listed = [(org, row["list_name"]) for (org, *_), row in self.new_listings.items()]
        self.tables.name_listed(listed, self.renamed)  # from the rows just written
        self.new, self.credits, self.new_listings, self.listing_changes, self.renamed = {}, [], {}, [], []

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
        self.tables.tx.update_rows(
            self.tables.listings,
            ("organization_id", "list_name", "valid_from", "recorded_from", "valid_to", "closed_at"),
            [(*key, *ends) for key, ends in sorted(self.closed_listings.items())],
            "valid_to = v.valid_to, closed_at = v.closed_at",
            "t.organization_id = v.organization_id AND t.list_name = v.list_name AND t.valid_from = v.valid_from "
            "AND t.recorded_from = v.recorded_from",
        )
        self.closed_listings = {}

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

    def _listings(self, organization_id: str) -> list[dict[str, Any]]:
        if organization_id not in self.listed:
            self.listed[organization_id] = self.tables.listings_of([organization_id])
        return self.listed[organization_id]

    def last_listing(self, organization_id: str, list_name: str) -> dict[str, Any] | None:
        on_list = [row for row in self._listings(organization_id) if row["list_name"] == list_name]
        return max(on_list, key=itemgetter("valid_from")) if on_list else None

    def known_listings(self, organization_id: str, list_name: str) -> list[dict[str, Any]]:
        """A rewrite's: everything written first, then the organization's listings read again."""
        self.flush()
        self.listed.pop(organization_id, None)
        on_list = [row for row in self._listings(organization_id) if row["list_name"] == list_name]
        return sorted(on_list, key=itemgetter("valid_from"))

    def close_listing(self, organization_id: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None:
        key = _listing_key(organization_id, row)
        if self.new_listings.get(key) is not row:
            self.closed_listings[key] = (valid_to, closed_at)
        row["valid_to"], row["closed_at"] = valid_to, closed_at

    def retire_listing(self, organization_id: str, row: dict[str, Any], recorded: str) -> None:
        key = _listing_key(organization_id, row)
        self.listed[organization_id] = [held for held in self._listings(organization_id) if held is not row]
        if self.new_listings.get(key) is not row:
            self.tables.retire_listing(organization_id, row, recorded)
        elif row["recorded_from"] == recorded:  # begun and retired at one instant: never seen, never written
            del self.new_listings[key]
        else:
            row["recorded_to"] = recorded

    def insert_listing(self, organization_id: str, list_name: str, valid_from: str, valid_to: str | None, recorded: str) -> None:
        row = _listing(list_name, valid_from, valid_to, recorded)
        self.new_listings[_listing_key(organization_id, row)] = row
        self._listings(organization_id).append(row)

    def listed_within(self, organization_id: str, list_name: str, valid_from: str, valid_to: str | None) -> bool:
        return _within(self._listings(organization_id), list_name, valid_from, valid_to)

    def add_overlap(self, organization_id: str) -> None:
        self.tables.add_overlap(organization_id)  # rare: at once

    def count_listings(self, changes: list[ListingChange]) -> None:
        self.listing_changes += changes

    def note_named(self, organization_id: str, name: str) -> None:
        self.renamed.append((organization_id, name))


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
        self.listing: dict[tuple[str, str], dict[str, Any]] = {}  # (organization, list) -> its latest listing
        self.finished_listings: dict[str, list[dict[str, Any]]] = {}  # this batch's listings no longer the latest
        self.listings_written: set[str] = set()  # organizations with listings in the table
        self.overlapping: set[str] = set()  # written at the end
        self.days: Counter[tuple[str, str, str]] = Counter()  # the lists' sizes by day (a few thousand): written at the end
        self.changes: Counter[tuple[str, str, str, str]] = Counter()  # and by instant (a few per listing): at the end
        self.tables: _Tables | None = None

    # the bulk rebuild's side (see BulkProjection.rebuild_in_bulk)
    def start(self, tx: Tx, suffix: str) -> None:
        """The batch's transaction, and the tables being built (named with the suffix)."""
        self.tables = _Tables(tx, suffix)

    def flush(self, everything: bool = False) -> None:
        """Write the queue (in key order: the primary key's index is built in order), and at the end the open rows."""
        rows = [(org, *_fields(row)) for org, queued in self.finished.items() for row in queued]
        self.written.update(org for org, queued in self.finished.items() if any(r["recorded_to"] is None for r in queued))
        rows.sort(key=lambda r: (r[0], r[1], r[4]))
        self._tables.tx.copy(self._tables.intervals, COLUMNS, rows)
        self._tables.tx.copy(self._tables.credit, ("credit_record_id", "organization_id"), self.credits)
        self.finished, self.credits = {}, []
        listings = [(org, *_listing_fields(row)) for org, queued in self.finished_listings.items() for row in queued]
        self.listings_written.update(self.finished_listings)
        self.finished_listings = {}
        if everything:  # the open rows, in key order, a slice at a time (not a second copy of them all)
            ids = sorted(self.open)
            for start in range(0, len(ids), _SLICE):
                slice_ = [(org, *self.open.pop(org)) for org in ids[start : start + _SLICE]]
                self._tables.tx.copy(self._tables.intervals, COLUMNS, slice_)
            listings += [(org, *_listing_fields(row)) for (org, _), row in self.listing.items()]
            self.listing = {}
            self._tables.tx.copy(self._tables.overlaps, ("organization_id",), [(org,) for org in sorted(self.overlapping)])
            self.overlapping = set()
            days = [(*key, n) for key, n in sorted(self.days.items())]
            self._tables.tx.copy(self._tables.listing_days, ("list_name", "day", "recorded_day", "delta"), days)
            changes = [(*key, n) for key, n in sorted(self.changes.items())]
            self._tables.tx.copy(
                self._tables.listing_changes, ("list_name", "recorded_at", "organization_id", "day", "delta"), changes
            )
            self.days, self.changes = Counter(), Counter()
        listings.sort(key=itemgetter(0, 1, 2, 5))
        self._tables.tx.copy(self._tables.listings, LISTING_COLUMNS, listings)
        if everything:  # every listed organization's names, from the tables as built
            self._tables.name_listed([], [], everyone=True)

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

    # An organization's latest listing on each list is held until the end of the rebuild; the one
    # before it is written with the batch in which a newer one began. A rewrite reads them back.
    def last_listing(self, organization_id: str, list_name: str) -> dict[str, Any] | None:
        held = self.listing.get((organization_id, list_name))
        if organization_id not in self.listings_written and organization_id not in self.finished_listings:
            return held
        known = self.known_listings(organization_id, list_name)  # a rewrite may have left an older one the latest
        return known[-1] if known else None

    def known_listings(self, organization_id: str, list_name: str) -> list[dict[str, Any]]:
        written = self._tables.known_listings(organization_id, list_name) if organization_id in self.listings_written else []
        known = [{**row, _IN_TABLE: True} for row in written]
        queued = self.finished_listings.get(organization_id, ())
        known += [row for row in queued if row["list_name"] == list_name and row["recorded_to"] is None]
        held = self.listing.get((organization_id, list_name))
        return sorted([*known, held] if held is not None else known, key=itemgetter("valid_from"))

    def close_listing(self, organization_id: str, row: dict[str, Any], valid_to: str, closed_at: str) -> None:
        if row.get(_IN_TABLE):
            self._tables.close_listing(organization_id, row, valid_to, closed_at)
        else:  # held or queued: written as it ends up
            row["valid_to"], row["closed_at"] = valid_to, closed_at

    def retire_listing(self, organization_id: str, row: dict[str, Any], recorded: str) -> None:
        if row.get(_IN_TABLE):
            self._tables.retire_listing(organization_id, row, recorded)
            return
        queue = self.finished_listings.setdefault(organization_id, [])
        if self.listing.get((organization_id, row["list_name"])) is row:
            del self.listing[(organization_id, row["list_name"])]
        else:
            queue[:] = [queued for queued in queue if queued is not row]
        if row["recorded_from"] != recorded:  # else never seen: gone
            row["recorded_to"] = recorded
            queue.append(row)

    def insert_listing(self, organization_id: str, list_name: str, valid_from: str, valid_to: str | None, recorded: str) -> None:
        row = _listing(list_name, valid_from, valid_to, recorded)
        held = self.listing.get((organization_id, list_name))
        if held is not None and valid_from < held["valid_from"]:  # a rewrite's earlier listing
            self.finished_listings.setdefault(organization_id, []).append(row)
            return
        if held is not None:
            self.finished_listings.setdefault(organization_id, []).append(held)
        self.listing[(organization_id, list_name)] = row

    def listed_within(self, organization_id: str, list_name: str, valid_from: str, valid_to: str | None) -> bool:
        return _within(self.known_listings(organization_id, list_name), list_name, valid_from, valid_to)

    def add_overlap(self, organization_id: str) -> None:
        self.overlapping.add(organization_id)

    def count_listings(self, changes: list[ListingChange]) -> None:
        days, each = _tallied(changes)
        self.days.update(days)
        self.changes.update(each)

    def note_named(self, organization_id: str, name: str) -> None:
        """Every listed organization's names are found at the end, in one statement."""

    @property
    def _tables(self) -> _Tables:
        assert self.tables is not None
        return self.tables


_fields = itemgetter(*_ROW_FIELDS)
_tracked = itemgetter(*_TRACKED)
assert _TRACKED[4:6] == ("district", "division_code")  # shared by position in _Buffered.insert


def _as_of_conditions(query: RegisterAsOfQuery) -> tuple[list[str], list[Any]]:
    """The query's conditions on the intervals (`i`) but its credit status, and their parameters."""
    where, params = _in_effect(query, "i.")
    for column, value in (("status", query.status), ("district", query.district), ("org_type", query.org_type)):
        if value:
            where.append(f"i.{column} = ?")
            params.append(value)
    if query.grade:
        where.append("i.grade IS NULL" if query.grade == "none" else "i.grade = ?")
        params.extend([] if query.grade == "none" else [query.grade])
    if query.division_prefix:
        where.append("i.division_code LIKE ?")
        params.append(f"{query.division_prefix}%")
    return where, params


def _on_list(list_name: str, query: RegisterAsOfQuery, owner: str = "i", *, each: bool = False) -> tuple[str, list[Any]]:
    """Whether the organization of the row `owner` is on the list on the query's day, as known then.
    `each`: asked of each row in turn (PostgreSQL; `OFFSET 0` keeps it from becoming a join), for
    a walk along the names that stops after a page: as a join, PostgreSQL read the whole list and
    looked up every listed organization's line before sorting (at a million, 12,543 of them, 200 ms)."""
    where, params = _in_effect(query, "x.")
    return (
        f"EXISTS (SELECT 1 FROM sl_register_listings AS x WHERE x.organization_id = {owner}.organization_id "
        f"AND x.list_name = '{list_name}' AND {' AND '.join(where)}{' OFFSET 0' if each else ''})",
        params,
    )


_CREDIT = {  # a credit status: the lists the organization is on, and those it is not on
    "serious": (("serious",), ()),
    "abnormal": (("abnormal",), ("serious",)),
    "none": ((), _LISTS),
}


def _with_credit(
    query: RegisterAsOfQuery, where: list[str], params: list[Any], *, joined: bool = False, each: bool = False
) -> tuple[str, list[Any]]:
    """The intervals' conditions with the credit status asked of each organization's listings
    (`joined`: the list it is on is joined already; `each`: see _on_list)."""
    where, params = list(where), list(params)
    on, off = _CREDIT.get(query.credit_status or "", ((), ()))
    for list_name, negated in [*((n, False) for n in on if not joined), *((n, True) for n in off)]:
        condition, values = _on_list(list_name, query, each=each)
        where.append(f"NOT {condition}" if negated else condition)
        params += values
    return " AND ".join(where), params


def _from_listings(query: RegisterAsOfQuery, where: list[str], params: list[Any], sqlite: bool) -> tuple[str, str, list[Any]]:
    """A credit list's question starting from the list's listings in effect on the day (a few of
    the register), each joined to its organization's interval: (source, condition, parameters)."""
    assert query.credit_status in _LISTS
    in_effect, in_effect_params = _in_effect(query, "l.")
    joined = ["l.list_name = ?", *in_effect, "i.organization_id = l.organization_id"]
    rest, rest_params = _with_credit(query, where, params, joined=True)
    source = f"sl_register_listings AS l{f' INDEXED BY {_LISTED}' if sqlite else ''} CROSS JOIN sl_register_intervals AS i"
    return source, " AND ".join([*joined, rest]), [query.credit_status, *in_effect_params, *rest_params]


def _summed(query: RegisterAsOfQuery) -> bool:
    """Whether the total is a sum of entries by day: the whole register, or one district."""
    return not (query.status or query.grade or query.credit_status or query.org_type or query.division_prefix)


def _narrowest(query: RegisterAsOfQuery) -> str:
    """The index that leads with the query's most selective filter (each implies its index's
    WHERE, as SQLite's INDEXED BY requires); a page of a sparse question is sorted from there."""
    if query.grade and query.grade != "none":
        return "sl_register_intervals_graded"
    if query.district:
        return "sl_register_intervals_district"
    return "sl_register_intervals_status" if query.status and query.status != "active" else "sl_register_intervals_valid"


def _counted(tx: Tx, where: list[str], params: list[Any], query: RegisterAsOfQuery) -> tuple[int, bool]:
    """The rows that meet the condition, counted up to COUNT_CAP: (count, whether it is exact);
    the whole register and one district alone are summed instead (`_summed`). A credit list's
    rows are counted from its listings joined to their lines (summed by day when nothing else is
    asked: every listed organization has its line on the day, `_listed_count`). The others, as known now, from the day backwards where
    the index allows (each has the clocks right after its filter's columns; the grades' has the
    district between): the intervals that began last are the ones still in effect, while walking
    forwards passed every closed interval first (at a million organizations, 90,000 of them
    before a district's 10,000th row in effect). Not as known at an instant: the rows that began
    last are the likeliest to have been recorded after it (an organization entered with its history)."""
    sqlite = tx.dialect == "sqlite"
    if query.credit_status in _LISTS and _only_credit(query):
        return _listed_count(tx, query, query.credit_status), True
    if query.credit_status in _LISTS:
        source, condition, values = _from_listings(query, where, params, sqlite)
        latest = ""
    else:
        index = _narrowest(query)
        source = f"sl_register_intervals AS i{f' INDEXED BY {index}' if sqlite else ''}"
        condition, values = _with_credit(query, where, params)
        backwards = query.known_at is None and (index != "sl_register_intervals_graded" or query.district)
        latest = " ORDER BY i.valid_from DESC" if backwards else ""
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {source} WHERE {condition}{latest} LIMIT ?) AS c"
    counted = int(tx.execute(sql, (*values, COUNT_CAP + 1)).scalar())
    return min(counted, COUNT_CAP), counted <= COUNT_CAP


def _only_credit(query: RegisterAsOfQuery) -> bool:
    """Whether the credit status is all that is asked (of the whole register)."""
    return not (query.status or query.grade or query.org_type or query.division_prefix or query.district)


def _listed_count(tx: Tx, query: RegisterAsOfQuery, credit: str) -> int:
    """The organizations whose credit status on the day is `credit` ("serious", "abnormal"), as
    known at the query's instant: the list's size that day, summed from its changes by day, less
    (for the abnormal) those on the serious list too, found among the few that may ever be on both
    (`sl_register_overlaps`). Counting the listings in effect in the list's index read each of
    them (46,000 abnormal at a million organizations: 16-20 ms)."""
    day = query.effective_on.isoformat()
    if query.known_at is None:
        sql = "SELECT COALESCE(SUM(delta), 0) FROM sl_listing_days WHERE list_name = ? AND day <= ?"
        size = int(tx.execute(sql, (credit, day)).scalar())
    else:  # whole days of record before the instant's own, then that day's changes up to the instant
        k = instant(query.known_at)
        size = int(
            tx.execute(
                "SELECT (SELECT COALESCE(SUM(delta), 0) FROM sl_listing_days WHERE list_name = ? AND day <= ? AND recorded_day < ?)"
                " + (SELECT COALESCE(SUM(delta), 0) FROM sl_listing_changes WHERE list_name = ? AND recorded_at >= ? AND recorded_at <= ? AND day <= ?)",
                (credit, day, k[:10], credit, k[:10], k, day),
            ).scalar()
        )
    return size - (_on_both(tx, query) if credit == "abnormal" else 0)


def _on_both(tx: Tx, query: RegisterAsOfQuery) -> int:
    """The organizations on both lists on the query's day, as known then."""
    on_abnormal, abnormal_params = _on_list("abnormal", query, owner="o")
    on_serious, serious_params = _on_list("serious", query, owner="o")
    sql = f"SELECT COUNT(*) FROM sl_register_overlaps AS o WHERE {on_abnormal} AND {on_serious}"
    return int(tx.execute(sql, (*abnormal_params, *serious_params)).scalar())


def _walks_listed(query: RegisterAsOfQuery, total: int, listed: int) -> bool:
    """Whether a page of a credit list is found soonest walking the names its organizations ever
    had (about `listed` of them, each asked whether its line bears the name and it is on the list
    that day), or from the list's listings in effect joined to their lines and sorted: walking asks
    about listed / total names per line shown, joining costs about as much for every one of the
    `total` listed that day (measured at a million organizations)."""
    shown = max(1, query.page) * max(1, min(query.per_page, 500))
    return total * total >= shown * listed


def _size_now(tx: Tx, list_name: str) -> int:
    """The list's size as known now on its latest day: about how many organizations' names it walks."""
    return int(tx.execute("SELECT COALESCE(SUM(delta), 0) FROM sl_listing_days WHERE list_name = ?", (list_name,)).scalar())


def _from_listed_names(query: RegisterAsOfQuery, where: list[str], params: list[Any], sqlite: bool) -> tuple[str, str, list[Any]]:
    """A page of a credit list in name order from the names its organizations ever had (a few of
    the register, `sl_listed_names`): each is shown if its organization's line on the day bears
    that name and the organization is on the list that day, as known then (asked of each in turn:
    see _on_list). A walk of the whole register asked that of 42 lines per line shown at a million
    (2,210 for a page); this asks it of about as many names as the list has ever had per one it has that day."""
    assert query.credit_status in _LISTS
    joined = ["n.list_name = ?", "i.organization_id = n.organization_id", "i.name = n.name"]
    rest, rest_params = _with_credit(query, where, params, each=not sqlite)
    source = f"sl_listed_names AS n CROSS JOIN sl_register_intervals AS i{f' INDEXED BY {_BY_NAME}' if sqlite else ''}"
    return source, " AND ".join([*joined, rest]), [query.credit_status, *rest_params]


def _in_effect(query: RegisterAsOfQuery, t: str) -> tuple[list[str], list[Any]]:
    """Conditions for the rows (of the table named `t`) in effect on the query's day as known at its instant."""
    day = query.effective_on.isoformat()
    where, params, end = _known(query.known_at, t)
    return [*where, f"{t}valid_from <= ?", f"({end} IS NULL OR {end} > ?)"], [*params, day, day]


def _known(known_at: datetime | None, t: str = "") -> tuple[list[str], list[Any], str]:
    """Conditions for the rows (of the table named `t`) known at an instant (now if None), and the expression of their end."""
    if known_at is None:
        return [f"{t}recorded_to IS NULL"], [], f"{t}valid_to"
    k = instant(known_at)
    return (
        [f"{t}recorded_from <= ?", f"({t}recorded_to IS NULL OR {t}recorded_to > ?)"],
        [k, k],
        f"(CASE WHEN {t}closed_at <= '{k}' THEN {t}valid_to END)",  # an end recorded later was not yet known
    )


@dataclass(frozen=True)
class _Piece:
    """Part of an interval during which the organization's listings stayed the same."""

    start: str
    end: str | None
    credit: str
    recorded_from: str
    recorded_to: str | None = None

    def holds(self, day: str) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def _listings_known(tx: Tx, organization_ids: list[str], known_at: datetime | None) -> dict[str, list[dict[str, Any]]]:
    """These organizations' listings known at the instant (now if None), each with its end as known then."""
    where, params, end = _known(known_at)
    found: dict[str, list[dict[str, Any]]] = {}
    for ids in in_slices(organization_ids):
        among, values = tx.among("organization_id", ids)
        rows = tx.execute(
            f"SELECT organization_id, list_name, valid_from, {end} AS known_end, closed_at, recorded_from FROM sl_register_listings "
            f"WHERE {among} AND {' AND '.join(where)}",
            (*values, *params),
        ).all()
        for row in rows:
            found.setdefault(row["organization_id"], []).append(row)
    return found


def _pieces(row: dict[str, Any], listings: list[dict[str, Any]]) -> list[_Piece]:
    """The interval [valid_from, known_end) cut where one of the organization's listings begins or
    ends; each part with its credit status, and recorded since the last of what made it was."""
    start, end = row["valid_from"], row["known_end"]
    bounds = {day for listing in listings for day in (listing["valid_from"], listing["known_end"]) if day is not None}
    cuts = sorted(day for day in bounds if start < day and (end is None or day < end))
    starts = [start, *cuts]
    pieces = []
    for n, begins in enumerate(starts):
        on = [x for x in listings if x["valid_from"] <= begins and (x["known_end"] is None or begins < x["known_end"])]
        ended = [x["closed_at"] for x in listings if x["known_end"] == begins and x["closed_at"]]
        lists = {x["list_name"] for x in on}
        credit = next((name for name in _LISTS if name in lists), "none")
        recorded = max([row["recorded_from"], *(x["recorded_from"] for x in on), *ended])
        pieces.append(_Piece(begins, starts[n + 1] if n + 1 < len(starts) else end, credit, recorded, row["recorded_to"]))
    return pieces


def _believed_before(listings: list[dict[str, Any]], moment: str) -> list[dict[str, Any]]:
    """The listings known just before an instant, each with its end as known then."""
    return [
        {**x, "known_end": x["valid_to"] if x["closed_at"] is not None and x["closed_at"] < moment else None}
        for x in listings
        if x["recorded_from"] < moment and (x["recorded_to"] is None or x["recorded_to"] >= moment)
    ]


def _row_believed_before(rows: list[dict[str, Any]], moment: str, day: str) -> dict[str, Any] | None:
    """The organization's interval known just before an instant that was in effect on a day."""
    for row in rows:
        known_end = row["valid_to"] if row["closed_at"] is not None and row["closed_at"] < moment else None
        believed = row["recorded_from"] < moment and (row["recorded_to"] is None or row["recorded_to"] >= moment)
        if believed and row["valid_from"] <= day and (known_end is None or day < known_end):
            return row
    return None


def _line(row: dict[str, Any], piece: _Piece) -> RegisterLine:
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
        credit_status=piece.credit,
        version=int(row["version"]),
        valid_from=date.fromisoformat(piece.start),
        valid_to=date.fromisoformat(piece.end) if piece.end else None,
        recorded_from=_moment(piece.recorded_from),  # type: ignore[arg-type]
        recorded_to=_moment(piece.recorded_to),
    )

"""How many organizations the register held on each day (名册总数), on both clocks: the entries
by the day they took effect, the day they were recorded and the district. Every organization
has exactly one interval in effect on each day from its entry on (`register_history`: intervals
are closed only by their successors, and no change reaches before the entry), and its district
is its entry's, so the unfiltered register, or one district's, in effect on D as known at K
counts the entries that took effect on or before D and were recorded by K: a sum over days,
not a count over a million intervals.

The sum is over whole days of record time (UTC days, as the instants are kept); the entries
recorded on K's own day, up to K, are counted one by one (`sl_register_entries`, one row per
organization)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from infra.database import Tx
from infra.projections.base import Handler, Projection
from infra.projections.effective_days import effective_day

WHOLE = ""  # the district of the rows that count the whole register


def instant(moment: datetime) -> str:
    """Fixed-width UTC text (microseconds always present), so instants compare as text on both databases."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"  # as %Y-%m-%dT%H:%M:%S.%fZ, faster


_COUNT_DAYS = (
    "INSERT INTO sl_register_entry_days (district, day, recorded_day, entered) VALUES {} "
    "ON CONFLICT (district, day, recorded_day) DO UPDATE SET entered = sl_register_entry_days.entered + excluded.entered"
)


def _insert(tx: Tx, sql: str, rows: list[tuple[Any, ...]], size: int = 200) -> None:
    """Rows as one statement of many VALUES per slice: a registration's rows in one statement
    per table, where an executemany costs more in psycopg than one execution."""
    for k in range(0, len(rows), size):
        part = rows[k : k + size]
        marks = ", ".join(["(" + ", ".join("?" * len(part[0])) + ")"] * len(part))
        tx.execute(sql.format(marks), [value for row in part for value in row])


class RegisterTotalsProjection(Projection):
    name = "register_totals"
    version = 3  # 2: by record day and district, and each entry's instant; 3: the entries kept in time order
    tables: ClassVar[dict[str, str]] = {
        "sl_register_entry_days": """
            district TEXT NOT NULL,
            day TEXT NOT NULL,
            recorded_day TEXT NOT NULL,
            entered INTEGER NOT NULL,
            PRIMARY KEY (district, day, recorded_day)""",
        "sl_register_entries": """
            recorded_at TEXT NOT NULL,
            organization_id TEXT NOT NULL,
            district TEXT NOT NULL,
            day TEXT NOT NULL,
            PRIMARY KEY (recorded_at, organization_id)""",
    }
    topic_prefixes = ("domain.organization:Organization.",)
    # a registration appends near the end of one B-tree (not a rowid table and two indexes)
    clustered = frozenset({"sl_register_entries"})

    def define_handlers(self) -> dict[str, Handler]:
        return {"Registered": self._entered, "Filed": self._entered}

    def _entered(self, tx: Tx, e: Any) -> None:
        self._write(tx, [e])

    def apply(self, tx: Tx, events: list[Any]) -> int:
        """A save's or a batch's entries counted together: one statement per table."""
        entries = [event for _, event in self.handled(events, self.handlers)]
        if entries:
            self._write(tx, entries)
        return len(entries)

    @staticmethod
    def _write(tx: Tx, entries: list[Any]) -> None:
        rows: list[tuple[Any, ...]] = []
        days = Counter[tuple[str, str, str]]()
        for e in entries:
            recorded = instant(e.timestamp)
            # the same day register_history opens the organization's first interval on
            day = effective_day(type(e).__name__, e).isoformat()
            district = e.profile.district
            rows.append((recorded, str(e.originator_id), district, day))
            days.update(((WHOLE, day, recorded[:10]), (district, day, recorded[:10])))
        _insert(tx, "INSERT INTO sl_register_entries (recorded_at, organization_id, district, day) VALUES {}", rows)
        # in key order: two saves lock the same rows in the same order
        _insert(tx, _COUNT_DAYS, sorted((*key, n) for key, n in days.items()))

    def entered_by(self, day: date, tx: Tx, known_at: datetime | None = None, district: str | None = None) -> int:
        """Organizations on the register (or in one district) in effect on the day, as known at an
        instant (now if None), in the caller's transaction."""
        where = district or WHOLE
        if known_at is None:
            sql = "SELECT COALESCE(SUM(entered), 0) FROM sl_register_entry_days WHERE district = ? AND day <= ?"
            return int(tx.execute(sql, (where, day.isoformat())).scalar())
        k = instant(known_at)
        whole_days = int(
            tx.execute(
                "SELECT COALESCE(SUM(entered), 0) FROM sl_register_entry_days WHERE district = ? AND day <= ? AND recorded_day < ?",
                (where, day.isoformat(), k[:10]),
            ).scalar()
        )
        in_district = "" if district is None else " AND district = ?"
        that_day = int(
            tx.execute(
                f"SELECT COUNT(*) FROM sl_register_entries WHERE recorded_at >= ? AND recorded_at <= ? AND day <= ?{in_district}",
                (k[:10], k, day.isoformat(), *(() if district is None else (district,))),
            ).scalar()
        )
        return whole_days + that_day

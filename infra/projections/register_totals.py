"""How many organizations the register held on each day (名册总数): the entries per day they
took effect. Every organization has exactly one interval in effect on each day from its entry
on (`register_history`: intervals are closed only by their successors, and no change reaches
before the entry), so the unfiltered register in effect on D, as known now, counts the entries
on or before D — a sum over days, not a count over a million intervals."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from infra.database import Tx
from infra.projections.base import Handler, Projection
from infra.projections.effective_days import effective_day


class RegisterTotalsProjection(Projection):
    name = "register_totals"
    version = 1
    tables: ClassVar[dict[str, str]] = {
        "sl_register_entry_days": """
            day TEXT PRIMARY KEY,
            entered INTEGER NOT NULL""",
    }
    topic_prefixes = ("domain.organization:Organization.",)

    def define_handlers(self) -> dict[str, Handler]:
        return {"Registered": self._entered, "Filed": self._entered}

    @staticmethod
    def _entered(tx: Tx, e: Any) -> None:
        # the same day register_history opens the organization's first interval on
        tx.execute(
            "INSERT INTO sl_register_entry_days (day, entered) VALUES (?, 1) "
            "ON CONFLICT (day) DO UPDATE SET entered = sl_register_entry_days.entered + 1",
            (effective_day(type(e).__name__, e).isoformat(),),
        )

    def entered_by(self, day: date, tx: Tx) -> int:
        """Organizations on the register in effect on the day, as known now (in the caller's transaction)."""
        sql = "SELECT COALESCE(SUM(entered), 0) FROM sl_register_entry_days WHERE day <= ?"
        return int(tx.execute(sql, (day.isoformat(),)).scalar())

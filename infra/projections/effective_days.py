"""The day an event takes effect on the register (valid time, whole days in Asia/Shanghai): what
the event says (a registration's date, a listing's ground, a provenance's `effective_on`), never
later than the day it was recorded. Shared by the register's history and its daily totals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

REGISTER_TZ = ZoneInfo("Asia/Shanghai")

# the day an event takes effect, where the event itself says it (else its provenance's effective_on)
_EFFECTIVE_DAYS: dict[str, Callable[[Any], date]] = {
    "Registered": lambda e: e.registered_on,
    "Filed": lambda e: e.filed_on,
    "PromotedToRegistration": lambda e: e.registered_on,
    "Listed": lambda e: e.ground.on,
    "Removed": lambda e: e.on,
    "GradeLowered": lambda e: e.on,
    "GradeRevoked": lambda e: e.on,
    "GradeExpired": lambda e: e.valid_until + timedelta(days=1),
    "DecisionCorrected": lambda e: e.corrected_on,  # as if the corrected decision had not been made
}


def effective_day(name: str, event: Any) -> date:
    """The day the event takes effect: what it says, never after the day it was recorded."""
    recorded = event.timestamp.astimezone(REGISTER_TZ).date()
    said = _EFFECTIVE_DAYS.get(name)
    provenance = getattr(event, "provenance", None)
    day = said(event) if said else (provenance.effective_on if provenance is not None else None)
    return recorded if day is None or day > recorded else day

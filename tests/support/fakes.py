"""Injected time and ids, so any day can be replayed in a test."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class SteppingClock:
    """Starts at a given instant and moves one millisecond per reading (distinct, ordered timestamps)."""

    def __init__(self, start: datetime = datetime(2026, 5, 20, 1, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(milliseconds=1)
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)

    def move_to(self, day: date, hour: int = 9) -> None:
        """Forward to a local (Asia/Shanghai) hour on a day: scenarios that span years."""
        target = datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)
        assert target.date() >= self.current.astimezone(SHANGHAI).date(), (
            f"the clock only moves forward ({self.current} → {target})"
        )
        self.current = max(target, self.current)


class CountingIds:
    def __init__(self, prefix: int = 0x5EED) -> None:
        self._counter = itertools.count(1)
        self._prefix = prefix

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=(self._prefix << 96) | next(self._counter))


class CountingTokens:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_token(self) -> str:
        return f"test-token-{next(self._counter):06d}"


class CountingSeeds:
    """Seeds known in advance: 0…01, 0…02, … (a draw in a test is reproducible by its number)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_seed(self) -> str:
        return f"{next(self._counter):032x}"

"""Injected time and ids, so any day can be replayed in a test."""

from __future__ import annotations

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


class Counter:
    """Counts from `start`; `next_value` is where a copy of a store seeded with it goes on from."""

    def __init__(self, start: int = 1) -> None:
        self.next_value = start

    def _next(self) -> int:
        value, self.next_value = self.next_value, self.next_value + 1
        return value


class CountingIds(Counter):
    def __init__(self, prefix: int = 0x5EED, start: int = 1) -> None:
        super().__init__(start)
        self._prefix = prefix

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=(self._prefix << 96) | self._next())


class CountingTokens(Counter):
    def new_token(self) -> str:
        return f"test-token-{self._next():06d}"


class CountingSeeds(Counter):
    """Seeds known in advance: 0…01, 0…02, … (a draw in a test is reproducible by its number)."""

    def new_seed(self) -> str:
        return f"{self._next():032x}"

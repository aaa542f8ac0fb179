"""Filings from the public without signing in (异议, 投诉举报) are limited per address and hour; a
filing is counted in the login throttle's table, under a key of its own."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.ports import LoginThrottle

THROTTLE_WINDOW = timedelta(hours=1)


def filings_left(throttle: LoginThrottle, key: str, now: datetime, per_hour: int) -> bool:
    """Whether the address under `key` may file again within the hour."""
    count, _ = throttle.failures_since([key], now - THROTTLE_WINDOW).get(key, (0, None))
    return count < per_hour

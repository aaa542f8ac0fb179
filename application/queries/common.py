"""Read-side shapes every context shares: a page of results, an aggregate's history, a dashboard
table. msgspec Structs, so interfaces serialise them as they are."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T], frozen=True):
    items: list[T]
    total: int
    page: int
    per_page: int
    total_exact: bool = True  # false: there are more than `total` (a count stopped at its cap)

    @property
    def pages(self) -> int:
        counted = max(1, -(-self.total // self.per_page))
        full = len(self.items) == self.per_page
        return counted if self.total_exact else max(counted, self.page + full)  # more than counted: a next page while full


class HistoryEntry(msgspec.Struct, frozen=True):
    version: int
    at: datetime
    event_type: str
    actor_id: str
    actor_role: str
    correlation_id: str
    document_no: str | None
    reason: str | None
    caused_by: str | None
    rule_set: str | None
    data: dict[str, Any]
    effective_on: date | None = None  # the day it took effect, where the command said (it may precede `at`)


class Table(msgspec.Struct, frozen=True):
    """The figures behind one dashboard chart: what the CSV export holds."""

    key: str
    columns: list[str]
    rows: list[list[Any]]

"""Read-side shapes of random inspections (双随机抽查): the draws made, and the checks with their
teams, for the registry's list and each inspector's worklist."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import msgspec

CheckStage = Literal["drawn", "notified", "inspected", "concluded", "rectified"]


class DrawRow(msgspec.Struct, frozen=True):
    id: UUID
    year: int
    division_prefix: str
    drawn_at: datetime
    selected: int


class SpotCheckQuery(msgspec.Struct, frozen=True):
    year: int | None = None
    inspector: str | None = None  # a user id: the checks on whose team
    open_only: bool = False  # not concluded yet
    page: int = 1
    per_page: int = 20


class SpotCheckRow(msgspec.Struct, frozen=True):
    id: UUID
    draw_id: UUID
    year: int
    organization_id: UUID
    organization_name: str
    group: str
    stage: str
    inspectors: list[str]  # the team's names
    conclusion: str | None
    rectification_deadline: date | None
    version: int

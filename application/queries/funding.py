"""Read-side shapes of funding (公益创投) and subsidies (资金扶持). msgspec Structs, so
interfaces serialise them as they are."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import msgspec


class RoundRow(msgspec.Struct, frozen=True):
    id: UUID
    title: str
    division_prefix: str
    budget: Decimal
    per_project_cap: Decimal
    committed: Decimal
    paid: Decimal
    applications_open: date
    applications_close: date
    project_start: date
    mid_term_due: date
    closing_due: date
    min_grade: str | None
    rule_set: str
    projects: int
    version: int


class ProjectRow(msgspec.Struct, frozen=True):
    id: UUID
    round_id: UUID
    organization_id: UUID
    organization_name: str
    district: str
    title: str
    requested: Decimal
    stage: str
    bars: list[str]
    review_score: Decimal | None
    rank: int | None  # within the round, by review score (ties share a rank)
    awarded: Decimal | None
    paid: Decimal
    mid_term_due: date | None
    closing_due: date | None
    mid_term_reported_on: date | None
    closing_reported_on: date | None
    mid_term_passed: bool | None
    stars: int | None
    closing_score: Decimal | None
    evaluations: dict[str, UUID]
    version: int


class ProjectQuery(msgspec.Struct, frozen=True):
    round_id: UUID | None = None
    organization_id: UUID | None = None
    stage: str | None = None
    district: str | None = None
    sort: str = "rank"  # rank | title | requested | awarded
    page: int = 1
    per_page: int = 50


class SubsidyRow(msgspec.Struct, frozen=True):
    id: UUID
    organization_id: UUID
    organization_name: str
    district: str
    rule_key: str
    kind: str
    period: str
    year: int
    amount: Decimal
    reasons: list[str]
    rule_set: str
    granted_at: datetime


class SubsidyTotal(msgspec.Struct, frozen=True):
    """One line of the yearly report per district (区县年度补贴汇总)."""

    district: str
    rule_key: str
    grants: int
    amount: Decimal

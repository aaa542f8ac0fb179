"""Read-side shapes: what queries return. msgspec Structs so interfaces can serialise them as they are."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

import msgspec

T = TypeVar("T")

SortKey = Literal["name", "registered_on", "district", "status", "updated_at"]


class RegisterEntry(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    org_type: str
    track: str
    status: str
    code: str | None
    filing_no: str | None
    legal_representative: str
    district: str
    division_code: str
    supervising_unit: str | None
    is_hub: bool
    hub_id: UUID | None
    member_count: int
    public_benefit: bool
    community_level: bool
    party_branch: bool
    registered_on: date | None  # date of registration, or of filing for filed organizations
    grade: str | None
    grade_valid_until: date | None
    version: int
    updated_at: datetime
    credit_status: str = "none"  # none | abnormal | serious
    credit_since: date | None = None
    grade_valid_from: date | None = None  # the day the grade takes effect (ahead: 1 January after a December finalization)
    status_document_no: str | None = None  # the decision behind a status other than active
    status_reason: str | None = None


class RegisterQuery(msgspec.Struct, frozen=True):
    text: str | None = None
    org_type: str | None = None
    track: str | None = None
    status: str | None = None
    district: str | None = None
    division_prefix: str | None = None
    hub_id: UUID | None = None
    is_hub: bool | None = None
    credit_status: Literal["none", "abnormal", "serious"] | None = None
    sort: SortKey = "name"
    descending: bool = False
    page: int = 1
    per_page: int = 20


class Page(msgspec.Struct, Generic[T], frozen=True):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class RegisterAsOfQuery(msgspec.Struct, frozen=True):
    at: datetime
    status: str | None = None
    grade: str | None = None  # a level, or "none" for ungraded
    credit_status: Literal["none", "abnormal", "serious"] | None = None
    district: str | None = None
    org_type: str | None = None
    division_prefix: str | None = None
    sort: Literal["name", "district", "status", "grade", "valid_from"] = "name"
    descending: bool = False
    page: int = 1
    per_page: int = 50


class RegisterLine(msgspec.Struct, frozen=True):
    """One organization's register line as it stood during [valid_from, valid_to)."""

    id: UUID
    name: str
    org_type: str
    track: str
    status: str
    district: str
    division_code: str
    grade: str | None
    grade_valid_until: date | None
    credit_status: str
    version: int  # the organization's version when this line began
    valid_from: datetime
    valid_to: datetime | None


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


class CampaignRow(msgspec.Struct, frozen=True):
    id: UUID
    report_year: int
    division_prefix: str
    supervising_unit_deadline: date
    registration_authority_deadline: date
    rule_set: str
    deadline_recorded: bool
    missed: int
    exempt: int


class InspectionRow(msgspec.Struct, frozen=True):
    id: UUID
    organization_id: UUID
    report_year: int
    stage: str
    outcome: str | None  # the year's: "missed" stays after a late filing
    simplified: bool
    deadline: date
    submitted_on: date | None
    filed_late: bool
    reasons: list[str]
    rectification_deadline: date | None
    rectified_on: date | None
    version: int
    review_outcome: str | None = None  # the review's conclusion on the report (a late one too)
    rule_set: str | None = None  # the campaign's, "national@2"


class GroundRow(msgspec.Struct, frozen=True):
    code: str
    on: date
    detail: str
    ref: str


class ListingRow(msgspec.Struct, frozen=True):
    organization_id: UUID
    name: str
    code: str | None
    district: str
    list_name: str
    listed_on: date
    clock_from: date
    grounds: list[GroundRow]
    obligation_met_on: date | None
    removed_on: date | None
    removal_reason: str | None


class PenaltyRow(msgspec.Struct, frozen=True):
    organization_id: UUID
    kind: str
    decision_no: str
    decided_on: date
    amount_cny: str | None
    reason: str


class ListingQuery(msgspec.Struct, frozen=True):
    list_name: str = "abnormal"
    current: bool = True
    district: str | None = None
    text: str | None = None
    page: int = 1
    per_page: int = 50


class ContactRow(msgspec.Struct, frozen=True):
    """Where a user wants reminders: channels in order of preference; the inbox always."""

    user_id: str
    email: str | None
    webhook_url: str | None
    channels: list[str]


class DeliveryRow(msgspec.Struct, frozen=True):
    channel: str
    status: str  # pending | delivered | dead | cancelled (the task was done before it went out)
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


class ReminderRow(msgspec.Struct, frozen=True):
    id: UUID
    kind: str
    subject_id: UUID
    recipient: str
    period: str
    offset: str
    due_on: date
    text_zh: str
    text_en: str
    issued_at: datetime
    read: bool
    deliveries: list[DeliveryRow]
    done_zh: str | None = None  # why the reminder was cancelled: its task was done (a report filed …)
    done_en: str | None = None


class DeliveryClaim(msgspec.Struct, frozen=True):
    """One delivery row leased to one deliverer until `until`; `token` is unique to this claim."""

    reminder_id: UUID
    channel: str
    token: str
    until: datetime


class ReminderQuery(msgspec.Struct, frozen=True):
    recipients: list[str] | None = None  # None = everyone's (staff)
    kind: str | None = None
    delivery_status: str | None = None  # pending | delivered | dead | cancelled
    unread_for: str | None = None  # a user id: only what that user has not read
    reader: str | None = None  # a user id: "read" is that user's
    page: int = 1
    per_page: int = 50


# -- funding (公益创投) -----------------------------------------------------------------------------
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


class Table(msgspec.Struct, frozen=True):
    """The figures behind one dashboard chart: what the CSV export holds."""

    key: str
    columns: list[str]
    rows: list[list[Any]]

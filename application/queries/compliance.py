"""Read-side shapes of annual inspections and credit records (年检、信用信息). msgspec Structs,
so interfaces serialise them as they are."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec


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
    extended_from: date | None = None  # 延期: the campaign's deadline, when an extension moved `deadline`
    extension_requested_until: date | None = None  # a request waiting for the registrar


class ExtendedReport(msgspec.Struct, frozen=True):
    """A report whose deadline an extension moved, not yet filed."""

    organization_id: UUID
    report_year: int
    deadline: date
    rule_set: str | None


class MissedCandidate(msgspec.Struct, frozen=True):
    """An organization without a filed report for the year, as the read models have it: enough to
    decide its missed (or exempt) outcome in a set when nothing it has would change the decision
    (no inspection of the year yet, no credit record, no grade); otherwise its aggregates are loaded."""

    organization_id: UUID
    version: int  # the organization's, as the register has it
    division_code: str
    registered_on: date | None
    graded: bool
    has_credit_record: bool
    inspection_version: int | None  # the year's inspection, if one was opened


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
    objection_pending: bool = False  # 有异议,核查中: the organization disputes it and the registrar is verifying


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


class InspectionResultRow(msgspec.Struct, frozen=True):
    """One line of a year's inspection results as announced (年检结果公告)."""

    organization_id: UUID
    name: str
    code: str | None
    district: str
    report_year: int
    outcome: str  # pass | basic_pass | fail | missed


class InspectionResultQuery(msgspec.Struct, frozen=True):
    report_year: int
    district: str | None = None
    outcome: str | None = None
    page: int = 1
    per_page: int = 50

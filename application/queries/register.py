"""Read-side shapes of the register (登记名册): its entries now and its lines through time.
msgspec Structs, so interfaces serialise them as they are."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import msgspec

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
    address: str = ""
    grade_document_no: str | None = None  # the decision behind the grade
    abnormal_since: date | None = None  # each current listing's day (credit_since is the worse one's)
    serious_since: date | None = None
    abnormal_document_no: str | None = None  # the first decision behind each current listing
    serious_document_no: str | None = None


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


class RegisterAsOfQuery(msgspec.Struct, frozen=True):
    """The register in effect on a day (valid time), as known at an instant (record time; now if None)."""

    effective_on: date
    known_at: datetime | None = None
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
    """One organization's register line as it stood in effect during the days [valid_from, valid_to),
    as known from `recorded_from` until `recorded_to` (None: still believed)."""

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
    valid_from: date
    valid_to: date | None
    recorded_from: datetime
    recorded_to: datetime | None = None

"""Read-side shapes of complaints (投诉举报) for the registry's list."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

import msgspec


class ComplaintQuery(msgspec.Struct, frozen=True):
    state: Literal["received", "triaged", "answered"] | None = None
    organization_id: UUID | None = None
    page: int = 1
    per_page: int = 20


class ComplaintRow(msgspec.Struct, frozen=True):
    id: UUID
    reference: str
    organization_id: UUID
    organization_name: str
    channel: str
    received_on: date
    triage_by: date
    state: str  # received | triaged | answered
    triage: str | None
    answer_by: date | None
    answered_on: date | None
    version: int

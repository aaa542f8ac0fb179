"""Evaluation cases and the expert pool as lists (the cases read model)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import msgspec


class CaseRow(msgspec.Struct, frozen=True):
    id: UUID
    kind: str
    stage: str
    subject_id: UUID
    subject_name: str | None
    chair_user_id: str
    scoring_deadline: date
    rule_set: str
    total: Decimal | None
    result: str | None
    announcement_ends: date | None
    version: int
    my_sheet_submitted: bool | None = None  # for an evaluator's own list
    announcement_starts: date | None = None


class ObjectionRow(msgspec.Struct, frozen=True):
    """Where an objection's reference leads: its case, and the organization the case is about."""

    reference: str
    case_id: UUID
    organization_name: str | None
    open: bool


class AnnouncedGrade(msgspec.Struct, frozen=True):
    """A grade evaluation's result as announced (公示): the proposed grade and total, the window."""

    case_id: UUID
    organization_id: UUID
    organization_name: str
    district: str
    proposed_grade: str | None
    total: Decimal | None
    starts: date
    ends: date
    stage: str  # announced | appealed | appeal_decided | finalized | withdrawn …
    open: bool = False  # today lies within the window and the case still runs: objections are taken


class MemberRow(msgspec.Struct, frozen=True):
    expert_id: UUID
    user_id: str
    name: str
    recused: str | None
    submitted: bool


class ExpertRow(msgspec.Struct, frozen=True):
    id: UUID
    user_id: str
    name: str
    field: str
    affiliation: str

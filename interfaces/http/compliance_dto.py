"""API shapes for annual inspections and credit records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from application.queries.compliance import GroundRow
from domain import values
from domain.credit import CreditRecord, Listing, Penalty, PenaltyKind
from domain.inspection import AnnualReport, Attachment, Extension, Inspection, InspectionCampaign
from interfaces.http.dto import BasisIn

Money = Annotated[Decimal, Meta(description="人民币元 / CNY, at most 2 decimals")]
ListName = Literal["abnormal", "serious"]
Lines = Annotated[list[Annotated[str, Meta(min_length=1, max_length=500)]], Meta(max_length=50)]


class CampaignIn(msgspec.Struct, frozen=True):
    """年检工作: the report year and the locality (division-code prefix of 2, 4 or 6 digits; empty = everywhere)."""

    report_year: Annotated[int, Meta(ge=1990, le=2100)]
    division_prefix: Annotated[str, Meta(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = ""
    basis: BasisIn | None = None


class CampaignOut(msgspec.Struct, frozen=True):
    id: UUID
    report_year: int
    division_prefix: str
    supervising_unit_deadline: date
    registration_authority_deadline: date
    rule_set: str

    @classmethod
    def of(cls, c: InspectionCampaign) -> CampaignOut:
        return cls(
            c.id,
            c.report_year,
            c.division_prefix,
            c.supervising_unit_deadline,
            c.registration_authority_deadline,
            f"{c.rule_set.id}@{c.rule_set.version}",
        )


class AsOfIn(msgspec.Struct, frozen=True):
    """A sweep as of a date (Asia/Shanghai); idempotent, so it may be repeated for any date."""

    as_of: date


class AttachmentIn(msgspec.Struct, frozen=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    sha256: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
    size_bytes: Annotated[int, Meta(ge=0, le=2**40)]
    media_type: Annotated[str, Meta(min_length=1, max_length=100)] = "application/pdf"


class ReportIn(msgspec.Struct, frozen=True):
    """年度工作报告: the report year's activities, finances (CNY), people and declarations."""

    activities: Annotated[str, Meta(min_length=1, max_length=20_000)]
    income: Decimal
    expenditure: Decimal
    net_assets: Decimal
    staff: int
    volunteers: int
    party_organization: bool
    major_changes: Annotated[str, Meta(max_length=5_000)] = ""
    declarations: Lines = []
    attachments: Annotated[list[AttachmentIn], Meta(max_length=50)] = []

    def __post_init__(self) -> None:
        values.money(self.income, "income", "收入")
        values.money(self.expenditure, "expenditure", "支出")
        values.money(self.net_assets, "net_assets", "净资产", signed=True)
        values.count(self.staff, "staff", "专职工作人员数")
        values.count(self.volunteers, "volunteers", "志愿者人数")

    def to_domain(self) -> AnnualReport:
        return AnnualReport(
            activities=self.activities,
            income=self.income,
            expenditure=self.expenditure,
            net_assets=self.net_assets,
            staff=self.staff,
            volunteers=self.volunteers,
            party_organization=self.party_organization,
            major_changes=self.major_changes,
            declarations=tuple(self.declarations),
            attachments=tuple(Attachment(a.name, a.sha256, a.size_bytes, a.media_type) for a in self.attachments),
        )


class OpinionIn(msgspec.Struct, frozen=True):
    opinion: Annotated[str, Meta(min_length=1, max_length=2_000)]
    basis: BasisIn | None = None


class ReasonsIn(msgspec.Struct, frozen=True):
    reasons: Lines
    basis: BasisIn | None = None


class ReviewIn(msgspec.Struct, frozen=True):
    outcome: Literal["pass", "basic_pass", "fail"]
    reasons: Lines = []
    basis: BasisIn | None = None


class ExtensionRequestIn(msgspec.Struct, frozen=True):
    """延期申请: the day asked for and why."""

    until: date
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]


class ExtensionDecisionIn(msgspec.Struct, frozen=True):
    """延期决定: granted (to the day asked for, or `until`) or refused, with reasons."""

    granted: bool
    reasons: Annotated[str, Meta(min_length=1, max_length=1000)]
    until: date | None = None
    basis: BasisIn | None = None


class ExtensionOut(msgspec.Struct, frozen=True):
    requested_until: date
    reason: str
    requested_on: date
    granted: bool | None
    until: date | None
    reasons: str
    decided_on: date | None

    @classmethod
    def of(cls, extension: Extension) -> ExtensionOut:
        return msgspec.convert(msgspec.to_builtins(extension), cls)


class RectificationIn(msgspec.Struct, frozen=True):
    items: Lines
    deadline: date
    basis: BasisIn | None = None


class InspectionOut(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    organization_id: UUID
    report_year: int
    stage: str
    outcome: str | None  # the year's: "missed" stays after a late filing
    simplified: bool
    deadline: date
    report: ReportIn | None
    submitted_on: date | None
    filed_late: bool
    opinion: str | None
    reasons: list[str]
    rectification_deadline: date | None
    rectification_items: list[str]
    rectified_on: date | None
    review_outcome: str | None  # the review's conclusion on the report, a late one too
    original_deadline: date | None = None  # the campaign's, when an extension moved `deadline`
    extension: ExtensionOut | None = None  # the request pending, or the last one decided

    @classmethod
    def of(cls, i: Inspection) -> InspectionOut:
        report = msgspec.convert(msgspec.to_builtins(i.report), ReportIn) if i.report else None
        return cls(
            id=i.id,
            version=i.version,
            organization_id=i.organization_id,
            report_year=i.report_year,
            stage=i.stage.value,
            outcome=i.outcome.value if i.outcome else None,
            simplified=i.simplified,
            deadline=i.deadline,
            report=report,
            submitted_on=i.submitted_on,
            filed_late=i.filed_late,
            opinion=i.opinion,
            reasons=list(i.reasons),
            rectification_deadline=i.rectification_deadline,
            rectification_items=list(i.rectification_items),
            rectified_on=i.rectified_on,
            review_outcome=i.review_outcome.value if i.review_outcome else None,
            original_deadline=i.original_deadline,
            extension=ExtensionOut.of(i.extension) if i.extension else None,
        )


class PenaltyIn(msgspec.Struct, frozen=True):
    """行政处罚决定: warning, fine (with amount), suspension (with dates) or revocation."""

    kind: PenaltyKind
    decision_no: Annotated[str, Meta(min_length=1, max_length=100)]
    decided_on: date
    reason: Annotated[str, Meta(min_length=1, max_length=1_000)]
    amount_cny: Money | None = None
    suspended_from: date | None = None
    suspended_until: date | None = None

    def __post_init__(self) -> None:
        if self.amount_cny is not None:
            values.money(self.amount_cny, "amount_cny", "罚款金额", positive=True)

    def to_domain(self) -> Penalty:
        return Penalty(
            self.kind, self.decision_no, self.decided_on, self.reason, self.amount_cny, self.suspended_from, self.suspended_until
        )


class GroundIn(msgspec.Struct, frozen=True):
    code: Literal["no_party_organization", "fundraising_lapsed", "false_registration", "court_defaulter"]
    on: date
    detail: Annotated[str, Meta(max_length=1_000)] = ""


class LetterIn(msgspec.Struct, frozen=True):
    on: date
    detail: Annotated[str, Meta(max_length=500)] = ""


class ListIn(msgspec.Struct, frozen=True):
    list_name: ListName


class CreditObjectionIn(msgspec.Struct, frozen=True):
    list_name: ListName
    grounds: Annotated[str, msgspec.Meta(max_length=5000)]


class CreditObjectionFiled(msgspec.Struct, frozen=True):
    reference: str


class CreditObjectionDecisionIn(msgspec.Struct, frozen=True):
    upheld: bool
    reasons: Annotated[str, msgspec.Meta(max_length=5000)]


class RevocationDecisionIn(msgspec.Struct, frozen=True):
    accepted: bool
    note: Annotated[str, Meta(max_length=1_000)] = ""
    basis: BasisIn | None = None


class ListingOut(msgspec.Struct, frozen=True):
    list_name: str
    listed_on: date
    clock_from: date
    grounds: list[GroundRow]
    obligation_met_on: date | None
    removal_requested_on: date | None
    removed_on: date | None
    removal_reason: str | None

    @classmethod
    def of(cls, listing: Listing) -> ListingOut:
        return cls(
            listing.list_name.value,
            listing.listed_on,
            listing.clock_from,
            [GroundRow(g.code, g.on, g.detail, g.ref) for g in listing.grounds],
            listing.obligation_met_on,
            listing.removal_requested_on,
            listing.removed_on,
            listing.removal_reason,
        )


class CreditOut(msgspec.Struct, frozen=True):
    organization_id: UUID
    version: int
    status: str
    listings: list[ListingOut]
    penalties: list[PenaltyIn]
    inspection_warnings: list[tuple[int, str]]
    returned_letters: list[date]
    open_revocation_proposal: list[int] | None

    @classmethod
    def of(cls, organization_id: UUID, r: CreditRecord | None) -> CreditOut:
        if r is None:
            return cls(organization_id, 0, "none", [], [], [], [], None)
        proposal = r.open_revocation_proposal
        return cls(
            organization_id,
            r.version,
            r.status,
            [ListingOut.of(listing) for listing in r.listings],
            [
                PenaltyIn(p.kind, p.decision_no, p.decided_on, p.reason, p.amount_cny, p.suspended_from, p.suspended_until)
                for p in r.penalties
            ],
            list(r.warnings),
            list(r.returned_letters),
            list(proposal) if proposal else None,
        )

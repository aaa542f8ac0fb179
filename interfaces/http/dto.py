"""The API's shapes (msgspec). Translation from these primitives to domain values happens here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from domain.organization import Organization, OrganizationType, Profile

Text = Annotated[str, Meta(min_length=1, max_length=200)]
ShortText = Annotated[str, Meta(min_length=1, max_length=100)]
Division = Annotated[str, Meta(pattern=r"^\d{6}$", description="行政区划代码 / administrative division code")]


class BasisIn(msgspec.Struct, frozen=True):
    document_no: Annotated[str, Meta(max_length=100)] | None = None
    reason: Annotated[str, Meta(max_length=1000)] | None = None
    effective_on: (
        Annotated[
            date,
            Meta(
                description="决定生效 / 收件日期,补录以往的决定时填写(不晚于今天,仅登记管理机关) / "
                "the day the decision took effect or the document was received, when entered later "
                "(not after today; registry staff only)"
            ),
        ]
        | None
    ) = None


class ProfileIn(msgspec.Struct, frozen=True):
    name: ShortText
    org_type: OrganizationType
    legal_representative: Annotated[str, Meta(min_length=1, max_length=50)]
    address: Text
    division_code: Division
    district: Annotated[str, Meta(min_length=1, max_length=50)]
    supervising_unit: Annotated[str, Meta(max_length=100)] | None = None
    is_hub: bool = False
    public_benefit: bool = False
    community_level: bool = False

    def to_domain(self) -> Profile:
        return Profile(**msgspec.structs.asdict(self))


class RegisterIn(msgspec.Struct, frozen=True):
    """登记 / Register an organization with its unified social credit code."""

    profile: ProfileIn
    code: Annotated[
        str, Meta(min_length=1, max_length=100, description="统一社会信用代码 (18 characters; checked with a clear message)")
    ]
    registered_on: date | None = None
    basis: BasisIn | None = None


class FileIn(msgspec.Struct, frozen=True):
    """备案 / File a community organization with a street or township."""

    profile: ProfileIn
    filing_no: Annotated[str, Meta(min_length=1, max_length=40)]
    filed_with: Annotated[str, Meta(min_length=1, max_length=50)]
    filed_on: date | None = None
    basis: BasisIn | None = None


class PromoteIn(msgspec.Struct, frozen=True):
    code: Annotated[str, Meta(min_length=1, max_length=100, description="统一社会信用代码 (18 characters)")]
    registered_on: date | None = None
    basis: BasisIn | None = None


class RenameIn(msgspec.Struct, frozen=True):
    name: ShortText
    basis: BasisIn | None = None


class AddressIn(msgspec.Struct, frozen=True):
    address: Text
    basis: BasisIn | None = None


class LegalRepresentativeIn(msgspec.Struct, frozen=True):
    legal_representative: Annotated[str, Meta(min_length=1, max_length=50)]
    basis: BasisIn | None = None


class CharterIn(msgspec.Struct, frozen=True):
    summary: Annotated[str, Meta(min_length=1, max_length=500)]
    approved_on: date | None = None
    basis: BasisIn | None = None


class PartyBranchIn(msgspec.Struct, frozen=True):
    established_on: date | None = None
    basis: BasisIn | None = None


class HubIn(msgspec.Struct, frozen=True):
    hub_id: UUID
    basis: BasisIn | None = None


class GradeFindingIn(msgspec.Struct, frozen=True):
    """A finding against a graded organization; the rule set says whether it lowers or revokes."""

    finding: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=50,
            description="inspection_failed, inspection_missed, "
            "basic_pass_two_years, penalty, evaluation_fraud, certificate_misuse",
        ),
    ]
    basis: BasisIn | None = None


class DecisionIn(msgspec.Struct, frozen=True):
    """A status decision (suspend, resume, deregister, revoke) and its basis."""

    basis: BasisIn | None = None


class OrganizationOut(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    name: str
    org_type: str
    track: str
    status: str
    code: str | None
    filing_no: str | None
    filed_with: str | None
    registered_on: date | None
    filed_on: date | None
    legal_representative: str
    address: str
    division_code: str
    district: str
    supervising_unit: str | None
    is_hub: bool
    public_benefit: bool
    community_level: bool
    hub_id: UUID | None
    party_branch_on: date | None
    charter_version: int
    grade: str | None
    grade_valid_from: date | None
    grade_valid_until: date | None
    created_at: datetime
    modified_at: datetime

    @classmethod
    def of(cls, org: Organization) -> OrganizationOut:
        p = org.profile
        return cls(
            id=org.id,
            version=org.version,
            name=p.name,
            org_type=p.org_type.value,
            track=org.track.value,
            status=org.status.value,
            code=org.code,
            filing_no=org.filing_no,
            filed_with=org.filed_with,
            registered_on=org.registered_on,
            filed_on=org.filed_on,
            legal_representative=p.legal_representative,
            address=p.address,
            division_code=p.division_code,
            district=p.district,
            supervising_unit=p.supervising_unit,
            is_hub=p.is_hub,
            public_benefit=p.public_benefit,
            community_level=p.community_level,
            hub_id=org.hub_id,
            party_branch_on=org.party_branch_on,
            charter_version=org.charter_version,
            grade=org.grade,
            grade_valid_from=org.grade_valid_from,
            grade_valid_until=org.grade_valid_until,
            created_at=org.created_on,
            modified_at=org.modified_on,
        )


class LoginIn(msgspec.Struct, frozen=True):
    username: Annotated[str, Meta(min_length=1, max_length=50)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class TokenOut(msgspec.Struct, frozen=True):
    token: str
    token_type: str
    user_id: str
    role: str
    organization_id: str | None


class MeOut(msgspec.Struct, frozen=True):
    user_id: str
    username: str
    display_name: str
    role: str
    organization_id: UUID | None

"""Use cases on organizations (社会组织) and their identifier claims (get → decide → save)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from application.context import CommandContext
from application.errors import DuplicateIdentifier, NotFound, StaleVersion
from application.queries.common import HistoryEntry
from application.rights import command
from application.usecases import UseCases
from domain.claims import IdentifierClaim, credit_code_claim_id, filing_claim_id
from domain.credit import CreditList, CreditRecord
from domain.organization import Organization, Profile, checked_code
from domain.provenance import Provenance


@dataclass(frozen=True)
class MigratedGrade:
    """A grade the old system knew: its level, validity and decision number."""

    level: str
    valid_from: date
    valid_until: date
    document_no: str


@dataclass(frozen=True)
class MigratedListing:
    """A listing the old system held: its list, day and decision number."""

    list_name: CreditList
    listed_on: date
    document_no: str


class Organizations(UseCases):
    # -- creation ------------------------------------------------------------
    @command("organizations.register_organization")
    def register_organization(
        self,
        ctx: CommandContext,
        profile: Profile,
        code: str,
        registered_on: date | None = None,
        organization_id: UUID | None = None,
    ) -> Organization:
        org = Organization.register(
            id=organization_id or self.ids.new_id(),
            profile=profile,
            code=code,
            registered_on=registered_on or self.store.today(profile.division_code),
            provenance=self._at(ctx),
        )
        claim = IdentifierClaim(kind="uscc", value=org.code or "", organization_id=org.id, provenance=self._at(ctx))
        return self._save_claiming(org, claim, "uscc", org.code or "", None)

    @command("organizations.register_with_history")
    def register_with_history(
        self,
        ctx: CommandContext,
        profile: Profile,
        code: str,
        registered_on: date,
        organization_id: UUID,
        grade: MigratedGrade | None,
        listings: Sequence[MigratedListing],
    ) -> list[Organization | IdentifierClaim | CreditRecord]:
        """A registration brought over with what the old system knew, each fact in effect from its
        own day (the register as in effect on a past date shows them): the organization, its
        credit-code claim and credit record, decided but not saved, to be saved together (an
        import saves a chunk of rows in one transaction)."""
        org = Organization.register(organization_id, profile, code, registered_on, self._at(ctx))
        today = self.store.today(profile.division_code)
        if grade is not None:
            in_effect = replace(ctx, effective_on=min(grade.valid_from, today))
            org.migrate_grade(grade.level, grade.valid_from, grade.valid_until, grade.document_no, self._at(in_effect))
        record = None
        for listing in sorted(listings, key=lambda item: item.listed_on):
            at = self._at(replace(ctx, effective_on=listing.listed_on))
            record = record or CreditRecord.open(org.id, at)
            record.migrate_listing(listing.list_name, listing.listed_on, listing.document_no, at)
        claim = IdentifierClaim(kind="uscc", value=org.code or "", organization_id=org.id, provenance=self._at(ctx))
        return [org, claim, *([record] if record else [])]

    @command("organizations.file_organization")
    def file_organization(
        self,
        ctx: CommandContext,
        profile: Profile,
        filing_no: str,
        filed_with: str,
        filed_on: date | None = None,
        organization_id: UUID | None = None,
    ) -> Organization:
        org = Organization.file(
            id=organization_id or self.ids.new_id(),
            profile=profile,
            filing_no=filing_no,
            filed_with=filed_with,
            filed_on=filed_on or self.store.today(profile.division_code),
            provenance=self._at(ctx),
        )
        key = f"{org.profile.division_code}:{org.filing_no}"
        claim = IdentifierClaim(kind="filing", value=key, organization_id=org.id, provenance=self._at(ctx))
        return self._save_claiming(org, claim, "filing", org.filing_no or "", None)

    def _save_claiming(
        self,
        org: Organization,
        claim: IdentifierClaim,
        kind: str,
        value: str,
        expected_version: int | None,
    ) -> Organization:
        """Save the organization with its identifier claim: a taken identifier is a duplicate,
        anything else that collides is a stale version (or an organization id taken already)."""
        try:
            saved: Organization = self._save(org, claim, expected_version=expected_version)
        except StaleVersion:
            if self._find(claim.id) is not None:
                raise DuplicateIdentifier(kind, value) from None
            raise
        return saved

    # -- changes -------------------------------------------------------------
    @command("organizations.promote_to_registration")
    def promote_to_registration(
        self, ctx: CommandContext, org_id: UUID, expected_version: int | None, code: str, registered_on: date | None
    ) -> Organization:
        org = self.organization(org_id, expected_version)
        code = checked_code(code, org.profile.org_type)
        org.promote(code, registered_on or self.store.today(org.profile.division_code), self._at(ctx))
        claim = IdentifierClaim(kind="uscc", value=code, organization_id=org.id, provenance=self._at(ctx))
        return self._save_claiming(org, claim, "uscc", code, expected_version)

    @command("organizations.rename")
    def rename(self, ctx: CommandContext, org_id: UUID, expected_version: int | None, name: str) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.rename(name, p))

    @command("organizations.change_address")
    def change_address(self, ctx: CommandContext, org_id: UUID, expected_version: int | None, address: str) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.change_address(address, p))

    @command("organizations.change_legal_representative")
    def change_legal_representative(
        self, ctx: CommandContext, org_id: UUID, expected_version: int | None, person: str
    ) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.change_legal_representative(person, p))

    @command("organizations.amend_charter")
    def amend_charter(
        self, ctx: CommandContext, org_id: UUID, expected_version: int | None, summary: str, approved_on: date | None
    ) -> Organization:
        return self._change(
            ctx, org_id, expected_version, lambda o, p: o.amend_charter(summary, approved_on or self.store.today(), p)
        )

    @command("organizations.establish_party_branch")
    def establish_party_branch(
        self, ctx: CommandContext, org_id: UUID, expected_version: int | None, established_on: date | None
    ) -> Organization:
        return self._change(
            ctx, org_id, expected_version, lambda o, p: o.establish_party_branch(established_on or self.store.today(), p)
        )

    @command("organizations.designate_as_hub")
    def designate_as_hub(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.designate_as_hub(p))

    @command("organizations.join_hub")
    def join_hub(self, ctx: CommandContext, org_id: UUID, expected_version: int | None, hub_id: UUID) -> Organization:
        hub = self.organization(hub_id)
        return self._change(ctx, org_id, expected_version, lambda o, p: o.join_hub(hub, p))

    @command("organizations.leave_hub")
    def leave_hub(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.leave_hub(p))

    @command("organizations.suspend")
    def suspend(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.suspend(p))

    @command("organizations.resume")
    def resume(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.resume(p))

    @command("organizations.deregister")
    def deregister(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.deregister(p))

    @command("organizations.revoke")
    def revoke(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.revoke(p))

    @command("organizations.correct_last_decision")
    def correct_last_decision(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.correct_last_decision(p))

    def _change(
        self,
        ctx: CommandContext,
        org_id: UUID,
        expected_version: int | None,
        decide: Callable[[Organization, Provenance], None],
    ) -> Organization:
        org = self.organization(org_id, expected_version)
        decide(org, self._at(ctx))
        saved: Organization = self._save(org, expected_version=expected_version)
        return saved

    # -- grade consequences ---------------------------------------------------
    @command("organizations.apply_grade_finding")
    def apply_grade_finding(self, ctx: CommandContext, org_id: UUID, expected_version: int | None, finding: str) -> Organization:
        """Lower or revoke the grade for a finding (failed inspection, penalty, fraud …) per the rule set in force."""
        org = self.organization(org_id, expected_version)
        today = self.store.today(org.profile.division_code)
        rule_set = self.rules.for_division(org.profile.division_code, today)
        org.apply_finding(finding, rule_set.grades, today, self._at(ctx, rule_set))
        saved: Organization = self._save(org, expected_version=expected_version)
        return saved

    @command("organizations.expire_grade")
    def expire_grade(self, ctx: CommandContext, org_id: UUID, as_of: date | None = None) -> Organization:
        org = self.organization(org_id)
        org.expire_grade(as_of or self.store.today(org.profile.division_code), self._at(ctx))
        saved: Organization = self._save(org)
        return saved

    # -- queries -------------------------------------------------------------
    def organization(self, org_id: UUID, expected_version: int | None = None) -> Organization:
        found: Organization = self._get(org_id, Organization, "organization", expected_version)
        return found

    def organization_by_code(self, code: str) -> Organization:
        return self._claimed(credit_code_claim_id(code.strip().upper()), code)

    def code_taken(self, code: str) -> bool:
        """Whether a credit code is claimed (one read: the claim, not the organization)."""
        return self._find(credit_code_claim_id(code.strip().upper())) is not None

    def organization_by_filing(self, division_code: str, filing_no: str) -> Organization:
        return self._claimed(filing_claim_id(division_code, filing_no.strip()), filing_no)

    def history(self, org_id: UUID) -> list[HistoryEntry]:
        self.organization(org_id)
        return self.store.history(org_id)

    def _claimed(self, claim_id: UUID, identifier: str) -> Organization:
        claim = self._find(claim_id)
        if not isinstance(claim, IdentifierClaim):
            raise NotFound("organization", identifier)
        return self.organization(claim.organization_id)

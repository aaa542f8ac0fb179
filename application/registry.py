"""The registry: use cases on organizations (get → decide → save)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from application.context import CommandContext
from application.errors import DuplicateIdentifier, NotFound, StaleVersion
from application.ports import Clock, IdGenerator, RuleSetCatalog
from application.queries import HistoryEntry
from application.rights import command
from domain.claims import IdentifierClaim, credit_code_claim_id, filing_claim_id
from domain.credit import CreditRecord
from domain.evaluation import Evaluation
from domain.expert import Expert
from domain.funding import FundingRound, Project
from domain.inspection import Inspection, InspectionCampaign
from domain.organization import Organization, Profile, checked_code
from domain.provenance import Provenance

log = logging.getLogger("starledger.events")
# aggregates whose streams grow for years: loading them starts from a snapshot
_LONG_LIVED = (Organization, CreditRecord, Evaluation, Expert, FundingRound, Project, InspectionCampaign, Inspection)
_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "provenance"}


class Registry(Application[UUID]):
    """Organizations (社会组织) and their identifier claims, in one event store."""

    name = "starledger"

    def __init__(
        self,
        env: dict[str, str],
        clock: Clock,
        ids: IdGenerator,
        rules: RuleSetCatalog,
    ) -> None:
        super().__init__(env)
        interval = int(self.env.get("SNAPSHOT_INTERVAL") or 0)
        if interval and self.snapshots is not None:  # every Nth event of an aggregate also stores its state
            self.snapshotting_intervals = dict.fromkeys(_LONG_LIVED, interval)  # type: ignore[misc]
        self.clock = clock
        self.ids = ids
        self.rules = rules
        self._after_save: list[Callable[[list[Any]], Any]] = []

    def on_saved(self, listener: Callable[[list[Any]], Any]) -> None:
        """Called with the recordings after every successful save (read models catch up: read-your-writes)."""
        self._after_save.append(listener)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        for recording in recordings:
            event, p = recording.domain_event, getattr(recording.domain_event, "provenance", None)
            log.info(
                "recorded %s #%d of %s v%d by %s (%s) [%s]",
                type(event).__qualname__,
                recording.notification.id,
                event.originator_id,
                event.originator_version,
                p.actor.user_id if p else "?",
                p.actor.role.value if p else "?",
                p.correlation_id if p else "-",
            )
        for listener in self._after_save:
            listener(recordings)
        return recordings

    def today(self, division_code: str | None = None) -> date:
        """Today in the governing rule set's timezone (deadlines are local dates)."""
        now = self.clock.now()
        rule_set = self.rules.for_division(division_code or "000000", now.date())
        return now.astimezone(ZoneInfo(rule_set.timezone)).date()

    # -- creation ------------------------------------------------------------
    @command("registry.register_organization")
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
            registered_on=registered_on or self.today(profile.division_code),
            provenance=self._provenance(ctx),
        )
        claim = IdentifierClaim(kind="uscc", value=org.code or "", organization_id=org.id, provenance=self._provenance(ctx))
        return self._save_claiming(org, claim, "uscc", org.code or "", None)

    @command("registry.file_organization")
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
            filed_on=filed_on or self.today(profile.division_code),
            provenance=self._provenance(ctx),
        )
        key = f"{org.profile.division_code}:{org.filing_no}"
        claim = IdentifierClaim(kind="filing", value=key, organization_id=org.id, provenance=self._provenance(ctx))
        return self._save_claiming(org, claim, "filing", org.filing_no or "", None)

    def _save_claiming(
        self, org: Organization, claim: IdentifierClaim, kind: str, value: str, expected_version: int | None
    ) -> Organization:
        """Save the organization with its identifier claim: a taken identifier is a duplicate,
        anything else that collides is a stale version (or an organization id taken already)."""
        try:
            self.save(org, claim)
        except IntegrityError:
            if self._exists(claim.id):
                raise DuplicateIdentifier(kind, value) from None
            raise StaleVersion(expected_version, self._version_of(org.id)) from None
        return org

    # -- changes -------------------------------------------------------------
    @command("registry.promote_to_registration")
    def promote_to_registration(
        self, ctx: CommandContext, org_id: UUID, expected_version: int | None, code: str, registered_on: date | None
    ) -> Organization:
        org = self.organization(org_id, expected_version)
        code = checked_code(code, org.profile.org_type)
        org.promote(code, registered_on or self.today(org.profile.division_code), self._provenance(ctx))
        claim = IdentifierClaim(kind="uscc", value=code, organization_id=org.id, provenance=self._provenance(ctx))
        return self._save_claiming(org, claim, "uscc", code, expected_version)

    @command("registry.rename")
    def rename(self, ctx: CommandContext, org_id: UUID, expected_version: int | None, name: str) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.rename(name, p))

    @command("registry.change_address")
    def change_address(self, ctx: CommandContext, org_id: UUID, expected_version: int | None, address: str) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.change_address(address, p))

    @command("registry.change_legal_representative")
    def change_legal_representative(
        self, ctx: CommandContext, org_id: UUID, expected_version: int | None, person: str
    ) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.change_legal_representative(person, p))

    @command("registry.amend_charter")
    def amend_charter(
        self, ctx: CommandContext, org_id: UUID, expected_version: int | None, summary: str, approved_on: date | None
    ) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.amend_charter(summary, approved_on or self.today(), p))

    @command("registry.establish_party_branch")
    def establish_party_branch(
        self, ctx: CommandContext, org_id: UUID, expected_version: int | None, established_on: date | None
    ) -> Organization:
        return self._change(
            ctx, org_id, expected_version, lambda o, p: o.establish_party_branch(established_on or self.today(), p)
        )

    @command("registry.designate_as_hub")
    def designate_as_hub(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.designate_as_hub(p))

    @command("registry.join_hub")
    def join_hub(self, ctx: CommandContext, org_id: UUID, expected_version: int | None, hub_id: UUID) -> Organization:
        hub = self.organization(hub_id)
        return self._change(ctx, org_id, expected_version, lambda o, p: o.join_hub(hub, p))

    @command("registry.leave_hub")
    def leave_hub(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.leave_hub(p))

    @command("registry.suspend")
    def suspend(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.suspend(p))

    @command("registry.resume")
    def resume(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.resume(p))

    @command("registry.deregister")
    def deregister(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.deregister(p))

    @command("registry.revoke")
    def revoke(self, ctx: CommandContext, org_id: UUID, expected_version: int | None) -> Organization:
        return self._change(ctx, org_id, expected_version, lambda o, p: o.revoke(p))

    def _change(
        self,
        ctx: CommandContext,
        org_id: UUID,
        expected_version: int | None,
        decide: Callable[[Organization, Provenance], None],
    ) -> Organization:
        org = self.organization(org_id, expected_version)
        decide(org, self._provenance(ctx))
        return self._saved(org, expected_version)

    # -- grade consequences ---------------------------------------------------
    @command("registry.apply_grade_finding")
    def apply_grade_finding(self, ctx: CommandContext, org_id: UUID, expected_version: int | None, finding: str) -> Organization:
        """Lower or revoke the grade for a finding (failed inspection, penalty, fraud …) per the rule set in force."""
        org = self.organization(org_id, expected_version)
        today = self.today(org.profile.division_code)
        rule_set = self.rules.for_division(org.profile.division_code, today)
        org.apply_finding(finding, rule_set.grades, today, ctx.provenance(self.clock.now(), rule_set.ref))
        return self._saved(org, expected_version)

    @command("registry.expire_grade")
    def expire_grade(self, ctx: CommandContext, org_id: UUID, as_of: date | None = None) -> Organization:
        org = self.organization(org_id)
        org.expire_grade(as_of or self.today(org.profile.division_code), self._provenance(ctx))
        return self._saved(org, None)

    def _saved(self, org: Organization, expected_version: int | None) -> Organization:
        """Save; somebody saving a newer version between our read and our write is a stale version."""
        try:
            self.save(org)
        except IntegrityError:
            raise StaleVersion(expected_version or org.version - 1, self._version_of(org.id)) from None
        return org

    # -- queries -------------------------------------------------------------
    def organization(self, org_id: UUID, expected_version: int | None = None) -> Organization:
        try:
            org: Organization = self.repository.get(org_id)
        except AggregateNotFoundError:
            raise NotFound("organization", org_id) from None
        if not isinstance(org, Organization):
            raise NotFound("organization", org_id)
        if expected_version is not None and org.version != expected_version:
            raise StaleVersion(expected_version, org.version)
        return org

    def organization_by_code(self, code: str) -> Organization:
        claim = self._claim(credit_code_claim_id(code.strip().upper()))
        if claim is None:
            raise NotFound("organization", code)
        return self.organization(claim.organization_id)

    def organization_by_filing(self, division_code: str, filing_no: str) -> Organization:
        claim = self._claim(filing_claim_id(division_code, filing_no.strip()))
        if claim is None:
            raise NotFound("organization", filing_no)
        return self.organization(claim.organization_id)

    def history(self, org_id: UUID) -> list[HistoryEntry]:
        self.organization(org_id)
        return self.stream_history(org_id)

    def stream_history(self, aggregate_id: UUID) -> list[HistoryEntry]:
        """Any aggregate's events, in order, with who/when/why."""
        return [history_entry(e) for e in self.events.get(aggregate_id)]

    # -- helpers -------------------------------------------------------------
    def _provenance(self, ctx: CommandContext) -> Provenance:
        return ctx.provenance(self.clock.now())

    def _claim(self, claim_id: UUID) -> IdentifierClaim | None:
        try:
            return self.repository.get(claim_id)
        except AggregateNotFoundError:
            return None

    def _exists(self, aggregate_id: UUID) -> bool:
        return self._claim(aggregate_id) is not None

    def _version_of(self, org_id: UUID) -> int | None:
        try:
            return self.repository.get(org_id).version
        except AggregateNotFoundError:
            return None


def event_type(event: Any) -> str:
    return type(event).__name__


def event_data(event: Any) -> dict[str, Any]:
    """The business facts of an event, as JSON-ready builtins."""
    data = {f.name: getattr(event, f.name) for f in fields(event) if f.name not in _BASE_FIELDS}
    facts: dict[str, Any] = msgspec.to_builtins(data)
    return facts


def history_entry(event: Any) -> HistoryEntry:
    p: Provenance = event.provenance
    return HistoryEntry(
        version=event.originator_version,
        at=event.timestamp,
        event_type=event_type(event),
        actor_id=p.actor.user_id,
        actor_role=p.actor.role.value,
        correlation_id=p.correlation_id,
        document_no=p.basis.document_no,
        reason=p.basis.reason,
        caused_by=p.caused_by,
        rule_set=f"{p.rule_set.id}@{p.rule_set.version}" if p.rule_set else None,
        data=event_data(event),
    )

"""投诉举报 and 立案调查: a complaint about an organization, from the public (a page, no sign-in,
throttled per address) or entered by the registrar from a letter, call or visit; triaged within
the rule set's working days (accepted → an investigation is opened on the organization, referred,
or not accepted, with reasons) and answered within its period. The complainant follows it by
reference. While an investigation is open the rule sets' `under_investigation` bar holds; it
closes with a finding: no violation, or a violation whose penalty is recorded in the credit record."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID, uuid5

import msgspec

from application.context import CommandContext
from application.documents import accept
from application.errors import NotFound, TooFrequent
from application.ports import ComplaintsView, DocumentStore, DocumentUpload, LoginThrottle
from application.queries.common import Page
from application.queries.complaints import ComplaintQuery, ComplaintRow
from application.rights import authorize, command
from application.throttling import filings_left
from application.usecases import UseCases
from domain.complaints import Channel, Complainant, Complaint, Finding, Triage
from domain.documents import Attached, find, slot
from domain.objections import reference_for
from domain.organization import Organization
from domain.periods import WorkingDays
from domain.provenance import Basis, Role
from domain.rules import RuleSet

_NS = UUID("3f0d2f8e-5b1a-4c6e-9f7a-8d2c1e0b4a67")
MATERIAL_SLOT = "complaint_material"


def complaint_id(reference: str) -> UUID:
    """The complaint's id from its reference: looked up by the reference alone."""
    return uuid5(_NS, reference.strip().upper())


class ComplaintState(msgspec.Struct, frozen=True):
    """What anyone holding the reference may read: no names, no contacts."""

    reference: str
    organization_name: str
    received_on: date
    state: str  # received | triaged | answered
    triage: str | None
    triage_by: date
    answer_by: date | None
    answered_on: date | None
    answer: str | None
    material: tuple[str, ...] = ()  # the file names sent, nothing more


class Complaints(UseCases):
    def __init__(
        self,
        *args: Any,
        view: ComplaintsView,
        throttle: LoginThrottle,
        per_hour: int,
        calendar: WorkingDays,
        documents: DocumentStore | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.view = view
        self.documents = documents
        self.throttle = throttle
        self.per_hour = per_hour
        self.calendar = calendar

    @command("complaints.file")
    def file(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        name: str,
        contact: str,
        content: str,
        channel: Channel = Channel.WEB,
        address: str | None = None,
    ) -> str:
        """Received today (or on the day a letter came in, for staff); its reference. From the web,
        at most the configured number an hour per address."""
        org = self._organization(organization_id)
        web = ctx.actor.role not in (Role.REGISTRAR, Role.ADMIN)
        key = f"complaint:{address or 'unknown'}"
        if web:
            self._not_too_frequent(key)
        reference = reference_for(self.ids.new_id())
        rules = self._rules(org)
        at = self._at(ctx, rules)
        received = at.effective_day(self.store.today(org.profile.division_code))
        triage_by = rules.complaints.triage.due_from(received, self.calendar, rules.unknown_calendar_years)
        complaint = Complaint.receive(
            complaint_id(reference),
            reference,
            org.id,
            Complainant(name, contact),
            Channel.WEB if web else channel,
            content,
            received,
            triage_by,
            at,
        )
        self._save(complaint)
        if web:
            self.throttle.record_failure([key], self.clock.now())  # counts filings, not typing mistakes
        return reference

    def complaint(self, complaint_id: UUID, expected: int | None = None) -> Complaint:
        return self._get(complaint_id, Complaint, "complaint", expected)

    def state(self, reference: str) -> ComplaintState:
        """Looked up by the reference alone."""
        found = self._find(complaint_id(reference))
        if not isinstance(found, Complaint):
            raise NotFound("complaint", reference[:40])
        org = self._organization(found.organization_id)
        return ComplaintState(
            found.reference,
            org.profile.name,
            found.received_on,
            found.state,
            found.triage.value if found.triage else None,
            found.triage_by,
            found.answer_by,
            found.answered_on,
            found.answer,
            tuple(a.document.file_name for a in found.documents if not a.withdrawn),
        )

    def attach(self, ctx: CommandContext, reference: str, upload: DocumentUpload, file_name: str) -> Attached:
        """The complainant's material, until the complaint is answered: the reference entitles them."""
        authorize(ctx, "complaints.attach", set())
        found = self._find(complaint_id(reference))
        if not isinstance(found, Complaint) or found.answer is not None:
            raise NotFound("complaint", reference[:40])
        if self.documents is None:
            raise NotFound("document_store", "")
        kind = slot(MATERIAL_SLOT)
        ref = accept(self.documents, upload, kind.key, file_name, kind.types)

        def attach() -> Complaint:
            complaint = self.complaint(found.id)
            complaint.attach_document(kind, ref, self._at(ctx))
            return self._save(complaint)

        saved = self._retrying(None, attach)
        return next(a for a in reversed(saved.documents) if a.document.sha256 == ref.sha256)

    def document(self, ctx: CommandContext, complaint_id: UUID, sha256: str) -> Attached:
        """A file of the complaint, for the registry only (it may name the complainant)."""
        authorize(ctx, "complaints.document", set())
        found = find(self.complaint(complaint_id).documents, sha256)
        if found is None:
            raise NotFound("document", sha256[:64])
        return found

    def search(self, query: ComplaintQuery) -> Page[ComplaintRow]:
        return self.view.search(query)

    @command("complaints.triage")
    def triage(
        self,
        ctx: CommandContext,
        complaint_id: UUID,
        expected: int | None,
        decision: Triage,
        reasons: str,
        referred_to: str | None = None,
        investigation_number: str | None = None,
    ) -> Complaint:
        """Accepted: the investigation is opened on the organization in the same transaction, its
        number the decision's document number; the answer is due within the rule set's period."""
        complaint = self.complaint(complaint_id, expected)
        org = self._organization(complaint.organization_id)
        rules = self._rules(org)
        at = self._at(ctx, rules)
        decided = at.effective_day(self.store.today(org.profile.division_code))
        answer_by = rules.complaints.answer.due_from(decided, self.calendar, rules.unknown_calendar_years)
        complaint.decide_triage(decision, reasons, referred_to, investigation_number, answer_by, at)
        more: list[Organization] = []
        if decision is Triage.ACCEPTED and investigation_number:
            basis = Basis(investigation_number.strip(), reasons.strip())
            opened = replace(at, basis=basis, caused_by=f"complaint:{complaint.reference}")
            org.open_investigation(investigation_number, complaint.content[:2000], complaint.reference, opened)
            more.append(org)
        return self._save(complaint, *more)

    @command("complaints.answer")
    def answer(self, ctx: CommandContext, complaint_id: UUID, expected: int | None, text: str) -> Complaint:
        complaint = self.complaint(complaint_id, expected)
        complaint.give_answer(text, self._at(ctx, self._rules(self._organization(complaint.organization_id))))
        return self._save(complaint)

    def _rules(self, org: Organization) -> RuleSet:
        return self.rules.for_division(org.profile.division_code, self.store.today(org.profile.division_code))

    def _not_too_frequent(self, key: str) -> None:
        if not filings_left(self.throttle, key, self.clock.now(), self.per_hour):
            raise TooFrequent(
                "complaint.throttled",
                f"提交过于频繁:每个网络地址每小时最多提交{self.per_hour}件投诉举报,请稍后再试",
                f"Too many complaints from this address: at most {self.per_hour} an hour; try again later",
            )

    # -- investigations (立案调查) on the registrar's own initiative, and their close ----------------
    @command("complaints.open_investigation")
    def open_investigation(
        self, ctx: CommandContext, organization_id: UUID, expected: int | None, number: str, grounds: str
    ) -> Organization:
        org = self._get(organization_id, Organization, "organization", expected)
        org.open_investigation(number, grounds, None, self._at(ctx, self._rules(org)))
        return self._save(org)

    @command("complaints.close_investigation")
    def close_investigation(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        expected: int | None,
        number: str,
        finding: Finding,
        penalty_decision_no: str | None,
        reasons: str,
    ) -> Organization:
        org = self._get(organization_id, Organization, "organization", expected)
        org.close_investigation(number, finding, penalty_decision_no, reasons, self._at(ctx, self._rules(org)))
        return self._save(org)

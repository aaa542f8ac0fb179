"""Grade certificates (等级证书): numbered when a grade of the rule set's certificate level is
awarded (in the finalization's transaction), verified by anyone by number, and rendered as a
PDF for the organization and the registration authority."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from application.errors import NotFound
from application.event_store import EventStore
from application.ports import CertificateRenderer, IntegrityView
from application.queries.certificates import CertificateStanding, IssuingEvent
from domain.base import LedgerAggregate
from domain.certificate import CertificateSeries
from domain.claims import IdentifierClaim
from domain.organization import Organization
from domain.provenance import Provenance
from domain.rules import RuleSet, grade_at_least

CLAIM_KIND = "grade-certificate"
_ISSUED = get_topic(Organization.CertificateIssued)
_SCAN = 1000


def certificate_claim_id(number: str) -> UUID:
    return IdentifierClaim.create_id(CLAIM_KIND, number)


def certify_grade(
    find: Callable[[UUID], Any], org: Organization, rule_set: RuleSet, issued_on: date, at: Provenance
) -> list[LedgerAggregate]:
    """After GradeAwarded: a grade of the certificate level and above gets the next number of
    its rule set's series for the year, and its number is claimed; the aggregates to save with
    the organization (none below the level). Saved together, a number is never lost or doubled:
    a writer that took the same number collides and numbers again."""
    if not grade_at_least(org.grade, rule_set.grades.certificate_from):
        return []
    rules = rule_set.certificates
    series = find(CertificateSeries.create_id(rule_set.id, issued_on.year))
    if not isinstance(series, CertificateSeries):
        series = CertificateSeries.start(rule_set.id, issued_on.year, at)
    number = series.take_number(rules, org.id, at)
    org.issue_certificate(number, issued_on, rules.authority_zh, rules.authority_en, at)
    claim = IdentifierClaim(kind=CLAIM_KIND, value=number, organization_id=org.id, provenance=at)
    return [series, claim]


class Certificates:
    """Reading certificates: their standing (public) and their PDF (the interfaces decide who)."""

    def __init__(self, store: EventStore, integrity: IntegrityView, renderer: CertificateRenderer) -> None:
        self.store = store
        self.integrity = integrity
        self.renderer = renderer

    def standing(self, number: str) -> CertificateStanding:
        org = self._holder(number)
        certificate = org.certificate(number)
        assert certificate is not None, "a claimed number is the holder's certificate (claimed with CertificateIssued)"
        today = self.store.today()
        ended = certificate.standing_on(today)
        return CertificateStanding(
            certificate=certificate,
            organization_id=org.id,
            status=ended.value if ended else "valid",
            checked_on=today,
            issued_by=self._issuing_event(org.id, number),
        )

    def current(self, organization_id: UUID) -> CertificateStanding | None:
        """The organization's latest certificate, if it has one (standing or not)."""
        try:
            org: Any = self.store.repository.get(organization_id)
        except AggregateNotFoundError:
            return None
        latest = org.current_certificate if isinstance(org, Organization) else None
        return self.standing(latest.number) if latest else None

    def pdf(self, number: str, verify_url: str) -> tuple[CertificateStanding, bytes]:
        standing = self.standing(number)
        return standing, self.renderer.render(standing, verify_url)

    def _holder(self, number: str) -> Organization:
        number = number.strip()[:60]
        try:
            claim: Any = self.store.repository.get(certificate_claim_id(number))
            org: Any = self.store.repository.get(claim.organization_id)
        except AggregateNotFoundError:
            raise NotFound("certificate", number) from None
        if not isinstance(org, Organization) or org.certificate(number) is None:
            raise NotFound("certificate", number)
        return org

    def _issuing_event(self, organization_id: UUID, number: str) -> IssuingEvent:
        issued = next(
            e
            for e in self.store.events.get(organization_id)
            if isinstance(e, Organization.CertificateIssued) and e.certificate.number == number
        )
        position = self._position(organization_id, issued.originator_version)
        return IssuingEvent(
            organization_id,
            issued.originator_version,
            issued.timestamp,
            position,
            self.integrity.link_at(position) if position is not None else None,
        )

    def _position(self, organization_id: UUID, version: int) -> int | None:
        """The event's place in the log, found among the certificate events only."""
        start = 1
        recorder = self.store.recorder
        while True:
            batch = recorder.select_notifications(start=start, limit=_SCAN, topics=[_ISSUED])
            for n in batch:
                if UUID(str(n.originator_id)) == organization_id and n.originator_version == version:
                    return int(n.id)
            if len(batch) < _SCAN:
                return None
            start = batch[-1].id + 1

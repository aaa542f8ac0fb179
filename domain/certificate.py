"""Grade certificates (等级证书): a numbered certificate comes with a grade of the rule set's
certificate level and above. Numbers are taken from a series per rule set and year: the
series is an aggregate whose every number is one version, so two writers cannot take the same
number (one of them collides and takes the next) and a number is never skipped (it is taken in
the same transaction as the certificate it numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.provenance import Provenance
from domain.rules import CertificateRules

_NAMESPACE = UUID("0d6c9a43-2b0e-4c55-8a51-7f3e8e1c9b21")


class CertificateEnd(str, Enum):
    """Why a certificate no longer stands (none: it stands while its validity runs)."""

    EXPIRED = "expired"  # 已过期
    LOWERED = "lowered"  # 等级被降低
    REVOKED = "revoked"  # 等级被撤销
    SUPERSEDED = "superseded"  # a later grade replaced it (its own certificate, or none)
    ORGANIZATION_CLOSED = "organization_closed"  # 组织被撤销登记或注销


@dataclass(frozen=True)
class Certificate:
    """What the certificate says (the organization's name as it was on the day of issue)."""

    number: str
    organization_name: str
    level: str
    valid_from: date
    valid_until: date
    issued_on: date
    evaluation_id: UUID
    authority_zh: str
    authority_en: str
    ended: CertificateEnd | None = None
    ended_on: date | None = None

    def standing_on(self, day: date) -> CertificateEnd | None:
        """None while valid; else why not (a validity that ran out is expired even before the sweep records it)."""
        if self.ended is not None:
            return self.ended
        return CertificateEnd.EXPIRED if day > self.valid_until else None


def certificate_number(rules: CertificateRules, year: int, sequence: int) -> str:
    """The rule set's number format filled in: its issuer code, the year, the sequence."""
    return rules.number_format.format(issuer=rules.issuer_code, year=year, sequence=sequence)


class CertificateSeries(LedgerAggregate):
    """The numbers one rule set has given out in one year."""

    @staticmethod
    def create_id(rule_set_id: str, year: int) -> UUID:
        return uuid5(_NAMESPACE, f"certificate-series:{rule_set_id}:{year}")

    @classmethod
    def start(cls, rule_set_id: str, year: int, provenance: Provenance) -> CertificateSeries:
        return cls._create(
            cls.Started, id=cls.create_id(rule_set_id, year), rule_set_id=rule_set_id, year=year, provenance=provenance
        )

    class Started(LedgerAggregate.Created):
        rule_set_id: str
        year: int
        provenance: Provenance

    def __init__(self, rule_set_id: str, year: int) -> None:
        self.rule_set_id = rule_set_id
        self.year = year
        self.last_sequence = 0

    def take_number(self, rules: CertificateRules, organization_id: UUID, provenance: Provenance) -> str:
        sequence = self.last_sequence + 1
        number = certificate_number(rules, self.year, sequence)
        self._number_taken(sequence, number, organization_id, provenance)
        return number

    @event("NumberTaken")
    def _number_taken(self, sequence: int, number: str, organization_id: UUID, provenance: Provenance) -> None:
        self.last_sequence = sequence

"""What a grade certificate's verification shows: the certificate, whether it stands, and the
event that issued it with its place in the integrity chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.certificate import Certificate


@dataclass(frozen=True)
class IssuingEvent:
    """The CertificateIssued event: the organization's version, when it was recorded, its
    position in the log and the integrity chain's link there (None when not found)."""

    organization_id: UUID
    version: int
    recorded_at: datetime
    position: int | None
    link: str | None


@dataclass(frozen=True)
class CertificateStanding:
    certificate: Certificate
    organization_id: UUID
    status: str  # "valid" or why not: CertificateEnd's values
    checked_on: date
    issued_by: IssuingEvent

    @property
    def number(self) -> str:
        return self.certificate.number

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"

"""Experts (评估专家) in the pool panels are drawn from, with the employment history that
decides forced recusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import InvalidValue
from domain.provenance import Provenance


@dataclass(frozen=True)
class Employment:
    organization_name: str
    organization_id: UUID | None = None  # when the employer is in the register
    until: date | None = None  # None: still works there


class Expert(LedgerAggregate):
    class Enrolled(LedgerAggregate.Created):
        user_id: str
        name: str
        field: str
        affiliation: str
        employments: tuple[Employment, ...]
        provenance: Provenance

    def __init__(self, user_id: str, name: str, field: str, affiliation: str, employments: tuple[Employment, ...]) -> None:
        self.user_id = user_id
        self.name = name
        self.field = field
        self.affiliation = affiliation
        self.employments = employments

    @classmethod
    def enroll(
        cls, id: UUID, user_id: str, name: str, field: str, affiliation: str, employments: tuple[Employment, ...],
        provenance: Provenance,
    ) -> Expert:
        if not name.strip() or len(name) > 50:
            raise InvalidValue("expert.name", "专家姓名应为1到50个字符", "An expert's name has 1 to 50 characters")
        return cls._create(
            cls.Enrolled, id=id, user_id=user_id, name=name.strip(), field=field.strip()[:100],
            affiliation=affiliation.strip()[:100], employments=tuple(employments), provenance=provenance,
        )

    def conflict_with(self, organization_id: UUID, on: date, years_after_leaving: int) -> str | None:
        """Why this expert must not evaluate the organization on that date, if they must not."""
        for job in self.employments:
            if job.organization_id != organization_id:
                continue
            if job.until is None:
                return f"works for {job.organization_name}"
            if (on - job.until).days < 365 * years_after_leaving + years_after_leaving // 4:
                return f"left {job.organization_name} on {job.until}, less than {years_after_leaving} years ago"
        return None

    @event("ProfileUpdated")
    def update_profile(self, field: str, affiliation: str, employments: tuple[Employment, ...], provenance: Provenance) -> None:
        self.field = field
        self.affiliation = affiliation
        self.employments = employments

"""Who did it, when, why, and under which rules: carried by every event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from domain.errors import InvalidValue


class Role(str, Enum):
    ADMIN = "admin"
    REGISTRAR = "registrar"
    CHAIR = "chair"
    EVALUATOR = "evaluator"
    ORGANIZATION = "organization"
    AUDITOR = "auditor"
    PUBLIC = "public"
    SYSTEM = "system"  # scheduler jobs and policies


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: Role


@dataclass(frozen=True)
class Basis:
    """Why: the document that decided it and/or a free-text reason."""

    document_no: str | None = None
    reason: str | None = None

    def require(self, act_zh: str, act_en: str, grounds: bool = True) -> None:
        """Acts the law ties to a written decision (revocation, deregistration, suspension, penalties,
        conclusions) are refused without its document number and grounds, whatever the interface;
        `grounds=False` where the act carries its grounds itself (an inspection conclusion's reasons)."""
        wanted = (("document_no", self.document_no), ("reason", self.reason)) if grounds else (("document_no", self.document_no),)
        missing = [name for name, value in wanted if not (value or "").strip()]
        if missing:
            zh_names = "、".join({"document_no": "文号", "reason": "事由"}[m] for m in missing)
            en_names = " and ".join({"document_no": "the document number", "reason": "the grounds"}[m] for m in missing)
            raise InvalidValue(
                "basis.required",
                f"{act_zh}须写明决定的文号和事由,缺少:{zh_names}",
                f"{act_en} needs the decision's document number and grounds; missing: {en_names}",
                missing=missing,
            )


@dataclass(frozen=True)
class RuleSetRef:
    id: str
    version: int


@dataclass(frozen=True)
class Provenance:
    at: datetime
    actor: Actor
    correlation_id: str
    basis: Basis = field(default_factory=Basis)
    caused_by: str | None = None  # id of the event or command that triggered a derived event
    rule_set: RuleSetRef | None = None
    # The day the decision took effect or the document was received (a committee decides on the
    # 10th, the clerk records on the 14th); `at` stays the time it was recorded. Events recorded
    # before both clocks existed have None: their day is the day they were recorded.
    effective_on: date | None = None

    def effective_day(self, recorded_day: date) -> date:
        return self.effective_on or recorded_day

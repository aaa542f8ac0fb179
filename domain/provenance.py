"""Who did it, when, why, and under which rules: carried by every event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


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

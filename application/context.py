"""Who is asking, why, and under which request or job: given to every command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain.provenance import Actor, Basis, Provenance, Role, RuleSetRef


@dataclass(frozen=True)
class CommandContext:
    actor: Actor
    correlation_id: str
    basis: Basis = field(default_factory=Basis)
    actor_organization: UUID | None = None  # for organization users: the organization they act for
    effective_on: date | None = None  # the day the decision took effect / the document came in, if not today

    def provenance(
        self, at: datetime, rule_set: RuleSetRef | None = None, caused_by: str | None = None, effective_on: date | None = None
    ) -> Provenance:
        return Provenance(
            at=at,
            actor=self.actor,
            correlation_id=self.correlation_id,
            basis=self.basis,
            caused_by=caused_by,
            rule_set=rule_set,
            effective_on=effective_on,
        )


def system_context(job: str, correlation_id: str) -> CommandContext:
    return CommandContext(actor=Actor(user_id=f"system:{job}", role=Role.SYSTEM), correlation_id=correlation_id)

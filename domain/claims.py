"""Identifier claims: an organization's credit code or filing number is unique.

The claim's id is derived from the identifier (uuid5), so a second registration
with the same code collides in the event store and is refused atomically together
with the organization it would have created."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.provenance import Provenance

_NAMESPACE = UUID("6f1c3b0e-6b8e-4f5e-9a57-3f1b5e1d2c10")


class IdentifierClaim(LedgerAggregate):
    @staticmethod
    def create_id(kind: str, value: str) -> UUID:
        return uuid5(_NAMESPACE, f"{kind}:{value}")

    @event("Claimed")
    def __init__(self, kind: str, value: str, organization_id: UUID, provenance: Provenance) -> None:
        self.kind = kind
        self.value = value
        self.organization_id = organization_id


def credit_code_claim_id(code: str) -> UUID:
    return IdentifierClaim.create_id("uscc", code)


def filing_claim_id(division_code: str, filing_no: str) -> UUID:
    return IdentifierClaim.create_id("filing", f"{division_code}:{filing_no}")


def application_claim_value(round_id: UUID, organization_id: UUID, title: str) -> str:
    """One application per organization, round and project name: names compared without spacing or case."""
    name = "".join(title.split()).casefold()
    return f"{round_id}:{organization_id}:{name}"

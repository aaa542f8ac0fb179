"""What the aggregate rule tests are given: who acts, on which day, under which rule values.

Rule values are built as domain values with the national default's numbers (national-v2),
so a test reads the period it checks next to the rule that sets it, without loading files."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from domain.provenance import Actor, Basis, Provenance, Role, RuleSetRef

NATIONAL = RuleSetRef("national", 2)


DECISION = Basis("民社〔2026〕1号", "依据登记管理机关的决定")


def by(role: Role = Role.REGISTRAR, on: date = date(2026, 5, 20), user: str = "", basis: Basis = DECISION) -> Provenance:
    """A command given by someone in a role on a day (10:00 UTC), under the national rule set, on a written decision."""
    at = datetime.combine(on, time(10), tzinfo=UTC)
    return Provenance(at, Actor(user or f"{role.value}-1", role), "req-1", basis=basis, rule_set=NATIONAL)

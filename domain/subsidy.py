"""Subsidies (资金扶持): what an organization is entitled to, computed from its history by
the rule set, and granted once per period. The grant's id is derived from (organization,
rule, period), so a second run of the same year, or two instances at once, cannot pay twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid5

from domain.base import LedgerAggregate
from domain.provenance import Provenance, RuleSetRef
from domain.rules import FundingRules, SubsidyKind, SubsidyRule, add_years, deciding_rule_set

_NAMESPACE = UUID("5d0f7a3e-9b1c-4e62-a8d4-3c7e1f90b2a6")


def subsidy_id(organization_id: UUID, rule_key: str, period: str) -> UUID:
    return uuid5(_NAMESPACE, f"subsidy:{organization_id}:{rule_key}:{period}")


@dataclass(frozen=True)
class SubsidyFacts:
    """What the subsidy rules look at, read from the organization's events."""

    active: bool
    registered_on: date | None  # None for filed (备案) organizations
    community_level: bool
    public_benefit: bool
    is_hub: bool
    public_benefit_members: int
    inspection_outcomes: dict[int, str]  # report year → outcome
    grades_awarded: tuple[tuple[str, date], ...]  # (level, awarded on)
    penalty_dates: tuple[date, ...]


@dataclass(frozen=True)
class Entitlement:
    rule: SubsidyRule
    period: str  # "once", a year, or "grade:<date>"
    amount: Decimal
    reasons: tuple[str, ...]  # machine codes, explained by the interfaces


def entitlements(rules: FundingRules, facts: SubsidyFacts, year: int, on: date) -> list[Entitlement]:
    """Every subsidy the rule set grants for the year, decided on a day: none with a penalty in
    the rule set's period before that day."""
    if not facts.active:
        return []
    if rules.no_subsidy_after_penalty_years and any(
        add_years(on, -rules.no_subsidy_after_penalty_years) < d <= on for d in facts.penalty_dates
    ):
        return []
    found = []
    for rule in rules.subsidies:
        found.extend(_entitled(rule, facts, year))
    return found


def _entitled(rule: SubsidyRule, facts: SubsidyFacts, year: int) -> list[Entitlement]:
    if rule.kind is SubsidyKind.STARTUP:
        new = facts.registered_on is not None and facts.registered_on.year == year
        if new and facts.community_level and facts.public_benefit:
            return [Entitlement(rule, "once", rule.amount_cny, ("registered_in_year", "community_public_benefit"))]
    elif rule.kind is SubsidyKind.ANNUAL_ASSESSMENT:
        if facts.inspection_outcomes.get(year) == "pass":
            return [Entitlement(rule, str(year), rule.amount_cny, ("inspection_passed",))]
    elif rule.kind is SubsidyKind.HUB:
        if facts.is_hub and facts.public_benefit_members >= rule.min_public_benefit_members:
            return [Entitlement(rule, str(year), rule.amount_cny, ("hub_with_public_benefit_members",))]
    elif rule.kind is SubsidyKind.GRADE_AWARD:
        return [
            Entitlement(rule, f"grade:{on.isoformat()}", rule.amount_for(level), (f"grade_{level}",))
            for level, on in facts.grades_awarded
            if on.year == year and rule.amount_for(level) > 0
        ]
    return []


class Subsidy(LedgerAggregate):
    class Granted(LedgerAggregate.Created):
        organization_id: UUID
        rule_key: str
        kind: SubsidyKind
        period: str
        year: int
        amount_cny: Decimal
        district: str
        reasons: tuple[str, ...]
        rule_set: RuleSetRef
        provenance: Provenance

    def __init__(
        self,
        *,
        organization_id: UUID,
        rule_key: str,
        kind: SubsidyKind,
        period: str,
        year: int,
        amount_cny: Decimal,
        district: str,
        reasons: tuple[str, ...],
        rule_set: RuleSetRef,
    ) -> None:
        self.organization_id = organization_id
        self.rule_key = rule_key
        self.kind = kind
        self.period = period
        self.year = year
        self.amount_cny = amount_cny
        self.district = district
        self.rule_set = rule_set

    @classmethod
    def grant(cls, organization_id: UUID, entitlement: Entitlement, year: int, district: str, provenance: Provenance) -> Subsidy:
        rule_set = deciding_rule_set(provenance)  # the rule that decided is part of the grant
        rule = entitlement.rule
        return cls._create(
            cls.Granted,
            id=subsidy_id(organization_id, rule.key, entitlement.period),
            organization_id=organization_id,
            rule_key=rule.key,
            kind=rule.kind,
            period=entitlement.period,
            year=year,
            amount_cny=entitlement.amount,
            district=district,
            reasons=entitlement.reasons,
            rule_set=rule_set,
            provenance=provenance,
        )

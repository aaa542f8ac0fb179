"""Subsidy use cases (资金扶持): grant a year's subsidies in a locality, computed from each
organization's history by the rule set governing it; each grant once per period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from application.context import CommandContext
from application.errors import StaleVersion
from application.ports import Progress, RegisterView
from application.queries.register import RegisterEntry, RegisterQuery
from application.rights import command
from application.usecases import UseCases
from domain.errors import InvalidValue
from domain.organization import Organization
from domain.rules import SubsidyKind
from domain.subsidy import Subsidy, SubsidyFacts, entitlements

PAGE = 200  # the register serves at most 200 a page


@dataclass(frozen=True)
class GrantSummary:
    year: int
    organizations: int
    granted: int
    already_granted: int
    amount: Decimal


class Subsidies(UseCases):
    def __init__(self, *args: Any, register: RegisterView, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register = register

    @command("subsidies.grant_year")
    def grant_year(
        self, ctx: CommandContext, year: int, division_prefix: str = "", progress: Progress | None = None
    ) -> GrantSummary:
        """Every entitlement for the year not granted yet; running it again grants nothing twice."""
        today = self.store.today()
        if year > today.year:
            raise InvalidValue("subsidy.future_year", f"{year}年尚未开始", f"The year {year} has not begun")
        self.register.catch_up()
        entries = self._organizations(division_prefix)
        granted = already = 0
        amount = Decimal(0)
        for done, entry in enumerate(entries, 1):
            for subsidy in self._due(ctx, entry, year):
                if self._find(subsidy.id) is not None:
                    already += 1
                    continue
                try:
                    self._save(subsidy)
                except StaleVersion:  # another instance granted it a moment ago
                    already += 1
                    continue
                granted += 1
                amount += subsidy.amount_cny
            if progress:
                progress(done, len(entries))
        return GrantSummary(year, len(entries), granted, already, amount)

    def _organizations(self, division_prefix: str) -> list[RegisterEntry]:
        found: list[RegisterEntry] = []
        page = 1
        while True:
            result = self.register.search(RegisterQuery(division_prefix=division_prefix or None, page=page, per_page=PAGE))
            found.extend(result.items)
            if page * PAGE >= result.total:
                return found
            page += 1

    def _due(self, ctx: CommandContext, entry: RegisterEntry, year: int) -> list[Subsidy]:
        org = self._organization(entry.id)
        rule_set = self.rules.for_division(org.profile.division_code, date(year, 12, 31))
        if not rule_set.funding.subsidies:
            return []
        wants_grades = any(r.kind is SubsidyKind.GRADE_AWARD for r in rule_set.funding.subsidies)
        facts = self._facts(org, entry, year, ZoneInfo(rule_set.timezone), wants_grades)
        at = self._at(ctx, rule_set)
        return [
            Subsidy.grant(org.id, e, year, org.profile.district, at)
            for e in entitlements(rule_set.funding, facts, year, self.store.today(org.profile.division_code))
        ]

    def _facts(self, org: Organization, entry: RegisterEntry, year: int, zone: ZoneInfo, wants_grades: bool) -> SubsidyFacts:
        inspection = self._inspection_of(org.id, year)
        outcomes = {year: inspection.outcome.value} if inspection is not None and inspection.outcome else {}
        record = self._credit_record_of(org.id)
        penalties = tuple(p.decided_on for p in record.penalties) if record is not None else ()
        awards = self._grade_awards(org.id, zone) if wants_grades else ()
        return SubsidyFacts(
            active=org.status.value == "active",
            registered_on=org.registered_on,
            community_level=org.profile.community_level,
            public_benefit=org.profile.public_benefit,
            is_hub=org.profile.is_hub or entry.is_hub,
            public_benefit_members=self._public_benefit_members(org.id),
            inspection_outcomes=outcomes,
            grades_awarded=awards,
            penalty_dates=penalties,
        )

    def _grade_awards(self, org_id: UUID, zone: ZoneInfo) -> tuple[tuple[str, date], ...]:
        """When each grade was awarded (the day the decision took effect, which an entry made later
        names): read from the stream only where a rule pays grade awards."""
        events = list(self.store.events.get(org_id))
        return tuple(
            (e.level, e.provenance.effective_day(e.timestamp.astimezone(zone).date()))
            for e in events
            if isinstance(e, Organization.GradeAwarded)
        )

    def _public_benefit_members(self, hub_id: UUID) -> int:
        members = self.register.search(RegisterQuery(hub_id=hub_id, status="active", per_page=PAGE))
        return sum(1 for m in members.items if m.public_benefit)

"""Subsidies (资金扶持) granted from history by Anhui's rule set (Tongling's amounts), once per
period, with the yearly report per district; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.credit import Penalty, PenaltyKind
from domain.errors import InvalidValue
from domain.inspection import Outcome
from domain.subsidy import subsidy_id
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_credit_scenario import as_org, report
from tests.support.documents import attach_required


def test_a_years_subsidies_follow_the_rules_and_are_granted_once(system, clock) -> None:
    register = system.organizations.register_organization
    new = register(
        REGISTRAR, profile("郊区新成立社区公益服务社", public_benefit=True, community_level=True), code(1), date(2026, 3, 1)
    )
    hub = register(REGISTRAR, profile("郊区社会组织联合会"), code(2), date(2015, 1, 1))
    system.organizations.designate_as_hub(REGISTRAR, hub.id, None)
    members = [
        register(REGISTRAR, profile(f"郊区公益社{n}", public_benefit=True), code(10 + n), date(2018, 1, 1)) for n in range(4)
    ]
    for member in members:
        system.organizations.join_hub(REGISTRAR, member.id, None, hub.id)
    passed = register(REGISTRAR, profile("郊区养老服务中心"), code(3), date(2016, 1, 1))
    penalized = register(REGISTRAR, profile("郊区某协会"), code(4), date(2016, 1, 1))
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    for org in (passed, penalized):
        system.inspections.draft_report(as_org(org.id), org.id, 2025, None, report())
        attach_required(system, as_org(org.id), org.id, 2025)
        system.inspections.submit_report(as_org(org.id), org.id, 2025, None)
        system.inspections.review(REGISTRAR, org.id, 2025, None, Outcome.PASS, ())
    system.credit.record_penalty(
        REGISTRAR, penalized.id, Penalty(PenaltyKind.WARNING, "郊民罚〔2026〕3号", date(2026, 4, 1), "未按章程活动")
    )

    lines: list[tuple[int, int]] = []
    summary = system.subsidies.grant_year(REGISTRAR, 2026, "340711", progress=lambda done, total: lines.append((done, total)))
    assert (summary.organizations, summary.granted, summary.amount) == (8, 2, Decimal("8000"))
    assert lines[-1] == (8, 8)
    granted = {(s.organization_name, s.rule_key, s.period): s.amount for s in system.funding_view.subsidies(2026)}
    assert granted == {
        ("郊区新成立社区公益服务社", "startup", "once"): Decimal("3000"),
        ("郊区社会组织联合会", "hub", "2026"): Decimal("5000"),
    }
    assert system.store.repository.get(subsidy_id(new.id, "startup", "once")).amount_cny == Decimal("3000")
    grant = system.store.repository.get(subsidy_id(hub.id, "hub", "2026"))
    assert (grant.rule_set.id, grant.rule_set.version) == ("anhui", 1)

    last_year = system.subsidies.grant_year(REGISTRAR, 2025, "340711")
    assert {(s.organization_name, s.rule_key) for s in system.funding_view.subsidies(2025)} == {
        ("郊区养老服务中心", "annual_assessment"),
        ("郊区社会组织联合会", "hub"),
    }  # the penalized organization passed too, but a penalty within 3 years bars subsidies
    assert last_year.amount == Decimal("11000")

    again = system.subsidies.grant_year(REGISTRAR, 2026, "340711")
    assert (again.granted, again.already_granted) == (0, 2)
    report_lines = system.funding_view.subsidy_report(2026)
    assert [(r.district, r.rule_key, r.grants, r.amount) for r in report_lines] == [
        ("铜陵市郊区", "hub", 1, Decimal("5000")),
        ("铜陵市郊区", "startup", 1, Decimal("3000")),
    ]
    with pytest.raises(InvalidValue):
        system.subsidies.grant_year(REGISTRAR, 2027)

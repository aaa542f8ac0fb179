"""延期: an organization asks for more time for its annual report before the deadline; the
registrar grants (within the rule set's limit) or refuses with reasons. Everything downstream
follows the granted day: reminders are counted from it (the campaign's reminders, planned for
the old day, are not sent to it), the missed-report sweep waits for it, and the public card
says the deadline moved."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from application.context import CommandContext, system_context
from domain.errors import InvalidTransition, InvalidValue
from domain.provenance import Actor, Role
from tests.integration.conftest import login
from tests.integration.helpers import REGISTRAR, code, profile

SWEEP = system_context("sweep", "test-sweep")
CAMPAIGN_DEADLINE = date(2026, 5, 31)  # the national rule set's registration-authority deadline for 2025


def _as(org_id) -> CommandContext:  # type: ignore[no-untyped-def]
    return CommandContext(Actor(f"user-{org_id}", Role.ORGANIZATION), "req-org", actor_organization=org_id)


def _two_organizations(system, clock):  # type: ignore[no-untyped-def]
    clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
    asking = system.organizations.register_organization(REGISTRAR, profile("铜陵市郊区甲协会"), code(1), date(2015, 6, 1)).id
    other = system.organizations.register_organization(REGISTRAR, profile("铜陵市郊区乙协会"), code(2), date(2015, 6, 1)).id
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    return asking, other


def _due(system, day: date) -> set[tuple[object, str]]:  # type: ignore[no-untyped-def]
    return {(p.subject_id, p.offset) for p in system.reminders.plan(day) if p.kind == "inspection_due"}


def test_an_extension_moves_the_deadline_for_reminders_the_sweep_and_the_card(system, clock) -> None:
    asking, other = _two_organizations(system, clock)
    clock.move_to(date(2026, 5, 20))
    system.inspections.request_extension(_as(asking), asking, 2025, None, date(2026, 6, 20), "财务审计尚未完成")
    inspection = system.inspections.decide_extension(REGISTRAR, asking, 2025, None, True, None, "审计机构出具延期说明")
    assert (inspection.deadline, inspection.original_deadline) == (date(2026, 6, 20), CAMPAIGN_DEADLINE)

    # the campaign's reminder a week before 31 May goes to the other organization only; the asking
    # one is reminded from the granted day (30 days ahead of it)
    assert _due(system, date(2026, 5, 24)) == {(other, "7"), (asking, "30@2026-06-20")}
    # a week before the granted day, the asking one is reminded, under the new day
    assert _due(system, date(2026, 6, 13)) == {(asking, "7@2026-06-20")}

    clock.move_to(date(2026, 6, 1))
    assert system.inspections.record_missed(SWEEP, date(2026, 6, 1))["missed"] == 1  # the other one
    assert system.inspections.inspection(asking, 2025).outcome is None
    card = system.public.card(asking)
    [year] = [y for y in card.inspections if y.report_year == 2025]
    assert (year.filing, year.deadline, year.extended_from) == ("extended", date(2026, 6, 20), CAMPAIGN_DEADLINE)

    clock.move_to(date(2026, 6, 20))
    assert system.inspections.record_missed(SWEEP, date(2026, 6, 20))["missed"] == 0  # the granted day itself
    clock.move_to(date(2026, 6, 21))
    assert system.inspections.record_missed(SWEEP, date(2026, 6, 21))["missed"] == 1
    missed = system.inspections.inspection(asking, 2025)
    assert missed.outcome is not None and missed.outcome.value == "missed"
    [year] = [y for y in system.public.card(asking).inspections if y.report_year == 2025]
    assert year.filing == "overdue" and year.days_overdue == 1 and year.extended_from == CAMPAIGN_DEADLINE


def test_what_an_extension_cannot_be(system, clock) -> None:
    asking, _ = _two_organizations(system, clock)
    clock.move_to(date(2026, 5, 20))
    with pytest.raises(InvalidValue) as too_long:
        system.inspections.request_extension(_as(asking), asking, 2025, None, date(2026, 7, 15), "审计未完成")
    assert too_long.value.code == "extension.too_long" and "2026-06-30" in too_long.value.message_zh
    with pytest.raises(InvalidValue) as earlier:
        system.inspections.request_extension(_as(asking), asking, 2025, None, date(2026, 5, 30), "审计未完成")
    assert earlier.value.code == "extension.not_later"
    system.inspections.request_extension(_as(asking), asking, 2025, None, date(2026, 6, 10), "审计未完成")
    with pytest.raises(InvalidTransition) as twice:
        system.inspections.request_extension(_as(asking), asking, 2025, None, date(2026, 6, 12), "再申请")
    assert twice.value.code == "extension.pending"
    refused = system.inspections.decide_extension(REGISTRAR, asking, 2025, None, False, None, "理由不充分")
    assert refused.deadline == CAMPAIGN_DEADLINE and refused.extension.granted is False
    with pytest.raises(InvalidTransition) as none:
        system.inspections.decide_extension(REGISTRAR, asking, 2025, None, True, None, "再决定")
    assert none.value.code == "extension.none"
    clock.move_to(date(2026, 6, 2))
    with pytest.raises(InvalidTransition) as late:
        system.inspections.request_extension(_as(asking), asking, 2025, None, date(2026, 6, 20), "仍未完成")
    assert late.value.code == "extension.too_late" and "补报" in late.value.message_zh


def test_an_extension_over_http(system, clock, client) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile("铜陵市郊区丙协会"), code(3), date(2015, 6, 1)).id
    if not any(c.report_year == 2025 for c in system.compliance.campaigns()):  # the demo opens it
        system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    clock.move_to(date(2026, 5, 20), hour=12)
    system.accounts.add_user("org-c", "a-long-password", "organization", "丙协会", org)
    who = {"Authorization": f"Bearer {system.accounts.login('org-c', 'a-long-password').token}"}
    url = f"/api/organizations/{org}/inspections/2025"
    asked = client.post(
        f"{url}/extension-request",
        json={"until": "2026-06-15", "reason": "审计未完成"},
        headers={**who, "If-Match": '"0"'},  # no inspection yet: version 0
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["extension"]["requested_until"] == "2026-06-15"
    registrar = login(client, "registrar")
    version = asked.json()["version"]
    refused = client.post(
        f"{url}/extension-decision", json={"granted": True, "reasons": ""}, headers={**registrar, "If-Match": f'"{version}"'}
    )
    assert refused.status_code == 400  # reasons are required
    granted = client.post(
        f"{url}/extension-decision",
        json={"granted": True, "until": "2026-06-10", "reasons": "同意延至6月10日"},
        headers={**registrar, "If-Match": f'"{version}"'},
    )
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert (body["deadline"], body["original_deadline"], body["extension"]["granted"]) == ("2026-06-10", "2026-05-31", True)

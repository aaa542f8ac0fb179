"""A division with a year of history to draw spot checks from: 40 active organizations in
Tongling's Jiaoqu (4 missed their 2024 report and are on the abnormal list, 36 registered too late
to owe it), one in Hefei outside the draw, and four inspectors, the first working at the
organization complained about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from application.context import CommandContext, system_context
from domain.expert import Employment
from domain.provenance import Actor, Basis, Role
from tests.integration.helpers import REGISTRAR, code, profile

SWEEP = system_context("daily-sweep", "sweep-test")
DRAW = CommandContext(Actor("registrar-1", Role.REGISTRAR), "req-draw", Basis("铜民抽〔2026〕1号", "2026年度双随机抽查"))


def as_inspector(n: int) -> CommandContext:
    return CommandContext(Actor(f"inspector-user-{n}", Role.EVALUATOR), f"req-i{n}")


def as_org(org_id: UUID) -> CommandContext:
    return CommandContext(Actor("org-user", Role.ORGANIZATION), "req-org", actor_organization=org_id)


@dataclass
class Division:
    late: list[UUID]
    ordinary: list[UUID]
    complained: UUID
    outside: UUID
    inspectors: list[UUID]


def division(system, clock) -> Division:  # type: ignore[no-untyped-def]
    clock.current = datetime(2025, 1, 2, 1, tzinfo=UTC)
    register = system.organizations.register_organization
    late = [register(REGISTRAR, profile(f"铜陵市郊区逾期协会{n}"), code(n), date(2015, 6, 1)).id for n in range(1, 5)]
    ordinary = [register(REGISTRAR, profile(f"铜陵市郊区社工站{n}"), code(n), date(2024, 9, 1)).id for n in range(5, 41)]
    outside = register(
        REGISTRAR,
        profile("合肥市某协会", division_code="340102", district="合肥市瑶海区"),
        code(41, division="340102"),
        date(2015, 6, 1),
    ).id
    system.inspections.open_campaign(REGISTRAR, 2024, "3407")
    clock.move_to(date(2025, 6, 2))
    system.inspections.record_missed(SWEEP, date(2025, 6, 2))  # the four late ones are listed; the rest exempt
    complained = ordinary[0]
    enroll = system.evaluations.enroll_expert
    inspectors = [
        enroll(REGISTRAR, "inspector-user-1", "检查员1", "财务", "本站", (Employment("铜陵市郊区社工站5", complained),)).id,
        *(enroll(REGISTRAR, f"inspector-user-{n}", f"检查员{n}", "财务", "民政局").id for n in range(2, 5)),
    ]
    clock.move_to(date(2026, 5, 20))
    return Division(late, ordinary, complained, outside, inspectors)

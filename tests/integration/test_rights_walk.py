"""The rights table walked on a real system: every command of a case × every role × every
relation to it (chair of this case or of another, on the panel or off it, the case's own
organization or another) is refused with NotPermitted exactly where application/rights.py says so.
An allowed call may still be refused by the case's rules (wrong stage, missing grounds): that is
not an authorization refusal. Each call gets a fresh case, so no call changes another's relations."""

from __future__ import annotations

import inspect
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from application.context import CommandContext
from application.errors import NotPermitted
from application.evaluations import Evaluations
from application.rights import RIGHTS, Relation
from domain.drafts import TypedSheet
from domain.provenance import Actor, Role
from tests.integration.helpers import REGISTRAR, code, profile
from tests.unit.test_rights import commands

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
OWN_ORG, OTHER_ORG = uuid4(), uuid4()
CAST: dict[str, tuple[CommandContext, set[Relation]]] = {
    "registrar": (REGISTRAR, set()),
    "admin": (CommandContext(Actor("admin-1", Role.ADMIN), "req"), set()),
    "system": (CommandContext(Actor("system:job", Role.SYSTEM), "req"), set()),
    "auditor": (CommandContext(Actor("auditor-1", Role.AUDITOR), "req"), set()),
    "chair of this case": (CommandContext(Actor("chair-1", Role.CHAIR), "req"), {Relation.CHAIR}),
    "chair of another case": (CommandContext(Actor("chair-2", Role.CHAIR), "req"), set()),
    "member of the panel": (CommandContext(Actor("expert-user-1", Role.EVALUATOR), "req"), {Relation.MEMBER, Relation.SELF}),
    "evaluator off the panel": (CommandContext(Actor("expert-user-9", Role.EVALUATOR), "req"), set()),
    "the case's organization": (
        CommandContext(Actor("org-own", Role.ORGANIZATION), "req", actor_organization=OWN_ORG),
        {Relation.OWN},
    ),
    "another organization": (CommandContext(Actor("org-other", Role.ORGANIZATION), "req", actor_organization=OTHER_ORG), set()),
}
CASE_COMMANDS = [  # the commands on an existing case (evaluation_id required)
    c
    for c in commands()
    if c.startswith("evaluations.")
    and (p := inspect.signature(getattr(Evaluations, c.split(".")[1])).parameters.get("evaluation_id")) is not None
    and p.default is inspect.Parameter.empty
]


def expected(command: str, who: str) -> bool:
    ctx, holds = CAST[who]
    needed = RIGHTS[command].get(ctx.actor.role)
    return needed is not None and (needed is Relation.ANY or needed in holds)


def arguments(method: Any, case: Any, experts: list[Any]) -> dict[str, Any]:
    values = {
        "evaluation_id": case.id,
        "expected": None,
        "expert_id": experts[0].id,
        "note": "",
        "grounds": "",
        "reasons": "",
        "reason": "",
        "decision": "",
        "granted": False,
        "upheld": False,
        "scores": (),
        "typed": TypedSheet({}),
        "bonus": Decimal(0),
        "pool": [],
        "size": 1,
        "seed": 1,
        "expert_ids": [],
        "replacement_id": experts[-1].id,
        "revised_sheets": None,
        "self_assessment": None,
        "statement": "",
        "subject": "self_assessment",
        "slot_key": "self_assessment",
        "upload": None,
        "file_name": "x.pdf",
        "sha256": "0" * 64,
        "until": date(2026, 7, 1),
    }
    return {name: values[name] for name in inspect.signature(method).parameters if name not in ("self", "ctx")}


def test_every_case_command_refuses_exactly_whom_the_table_refuses(system) -> None:
    desk: Evaluations = system.evaluations
    system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1), OWN_ORG)
    experts = [desk.enroll_expert(REGISTRAR, f"expert-user-{n}", f"专家{n}", "财务", "高校") for n in range(1, 5)]
    assert len(CASE_COMMANDS) >= 20
    wrong = []
    for command in CASE_COMMANDS:
        method = getattr(desk, command.split(".")[1])
        for who, (ctx, _) in CAST.items():
            case = desk.open_grade_evaluation(REGISTRAR, OWN_ORG, date(2026, 6, 30), "chair-1")
            desk.check_eligibility(REGISTRAR, case.id)
            desk.assign_panel(REGISTRAR, case.id, None, [e.id for e in experts[:3]])
            given = arguments(method, case, experts)  # a parameter without a value fails here, loudly
            try:
                method(ctx, **given)
                allowed = True
            except NotPermitted:
                allowed = False
            except Exception:
                allowed = True
            if allowed != expected(command, who):
                wrong.append((command, who, "allowed" if allowed else "refused"))
    assert wrong == [], "\n".join(map(str, wrong))

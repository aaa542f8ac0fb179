"""The rights table covers every command: a public use-case method that takes a CommandContext
has a row, every other public method is declared a query, and a row names only real roles."""

from __future__ import annotations

import inspect

import pytest

from application.accounts import Accounts
from application.complaints import Complaints
from application.context import CommandContext
from application.credit import CreditRecords
from application.errors import NotPermitted
from application.evaluations import Evaluations
from application.funding import Funding
from application.inspections import Inspections
from application.objections import Objections
from application.organizations import Organizations
from application.register_import import RegisterImport
from application.reminders import Reminders
from application.rights import CONSOLE, QUERIES, RIGHTS, Relation, authorize
from application.spot_checks import SpotChecks
from application.subsidies import Subsidies
from domain.provenance import Actor, Role

GROUPS = {
    "organizations": Organizations,
    "evaluations": Evaluations,
    "inspections": Inspections,
    "credit": CreditRecords,
    "funding": Funding,
    "subsidies": Subsidies,
    "reminders": Reminders,
    "accounts": Accounts,
    "objections": Objections,
    "complaints": Complaints,
    "register_import": RegisterImport,
    "spot_checks": SpotChecks,
}


def public_methods(cls: type) -> dict[str, object]:
    """Methods the class itself (or its own use-case base) defines, not the framework's."""
    found: dict[str, object] = {}
    for klass in cls.__mro__:
        if klass.__module__.startswith("application.") and klass is not object:
            for name, member in vars(klass).items():
                if not name.startswith("_") and inspect.isfunction(member):
                    found.setdefault(name, member)
    return found


def takes_context(method: object) -> bool:
    return any("CommandContext" in str(p.annotation) for p in inspect.signature(method).parameters.values())  # type: ignore[arg-type]


def commands() -> list[str]:
    """Public methods taking a CommandContext, except reads declared as queries (a read may take
    the reader's context to decide what they see)."""
    return [
        f"{group}.{name}"
        for group, cls in GROUPS.items()
        for name, method in public_methods(cls).items()
        if takes_context(method) and name not in QUERIES[group]
    ]


def test_every_command_of_every_group_has_a_row_in_the_rights_table() -> None:
    found = commands()
    assert len(found) > 70
    missing = sorted(set(found) - set(RIGHTS))
    assert missing == [], f"commands without a row in application/rights.py: {missing}"
    stale = sorted(set(RIGHTS) - set(found))
    assert stale == [], f"rows for commands that no longer exist: {stale}"


def test_every_public_method_without_a_context_is_a_declared_query_or_console_command() -> None:
    undeclared = sorted(
        f"{group}.{name}"
        for group, cls in GROUPS.items()
        for name, method in public_methods(cls).items()
        if not takes_context(method) and name not in QUERIES[group] | CONSOLE.get(group, frozenset())
    )
    assert undeclared == [], f"a public method takes no CommandContext and is neither query nor console: {undeclared}"


def test_no_row_lets_the_public_or_the_auditor_change_anything() -> None:
    for command, row in RIGHTS.items():
        # 异议 and 投诉举报 come from anyone, by law
        assert Role.PUBLIC not in row or command in (
            "objections.file",
            "objections.attach",
            "complaints.file",
            "complaints.attach",
        ), command
        if command.split(".")[1] not in ("recipients_of", "inbox", "unread", "mark_read"):
            assert Role.AUDITOR not in row, command


@pytest.mark.parametrize("command", sorted(RIGHTS))
def test_authorize_follows_the_row_for_every_role_and_relation(command: str) -> None:
    row = RIGHTS[command]
    for role in Role:
        ctx = CommandContext(Actor("someone", role), "req")
        for relation in Relation:
            holds = {relation}
            expected = role in row and (row[role] is Relation.ANY or row[role] in holds)
            try:
                authorize(ctx, command, holds)
                granted = True
            except NotPermitted as refused:
                granted = False
                assert refused.message_zh and refused.message_en and refused.code == "access.denied"
            assert granted == expected, (command, role, relation)


def test_the_panel_commands_are_the_chairs_of_this_case_or_a_registrars() -> None:
    for command in ("assign_panel", "draw_panel", "force_recusal", "decide_recusal_request", "close_scoring", "finalize"):
        row = RIGHTS[f"evaluations.{command}"]
        assert row[Role.CHAIR] is Relation.CHAIR and row[Role.REGISTRAR] is Relation.ANY
        assert Role.ORGANIZATION not in row and Role.EVALUATOR not in row
    assert dict(RIGHTS["evaluations.request_recusal"]) == {Role.ORGANIZATION: Relation.OWN}
    assert set(RIGHTS["evaluations.declare_conflict"].values()) == {Relation.SELF}


def test_every_command_asks_the_table_before_it_decides() -> None:
    """Each command is declared with @command(its row), or (evaluations, reminders.mark_read)
    calls authorize with its own row before anything else."""
    unguarded = []
    for name in commands():
        group, method_name = name.split(".")
        method = public_methods(GROUPS[group])[method_name]
        if getattr(method, "command", None) == name:
            continue
        source = inspect.getsource(method)
        helper = getattr(GROUPS[group], f"_{method_name}", None)  # a retried command decides in _name
        source += inspect.getsource(helper) if helper is not None else ""
        if f'_authorize(ctx, "{method_name}"' in source or f'authorize(ctx, "{name}"' in source:
            continue
        unguarded.append(name)
    assert unguarded == [], f"commands that do not consult application/rights.py: {unguarded}"

from __future__ import annotations

import sqlite3
from typing import Any

from application.context import CommandContext
from domain.organization import OrganizationType, Profile
from domain.provenance import Actor, Basis, Role
from domain.uscc import complete_code

REGISTRAR = CommandContext(Actor("registrar-1", Role.REGISTRAR), "req-test", Basis("民社〔2026〕7号", "年度登记"))


def profile(name: str = "铜陵市郊区社会组织联合会", **changes: object) -> Profile:
    values: dict[str, object] = {
        "name": name,
        "org_type": OrganizationType.SOCIAL_ASSOCIATION,
        "legal_representative": "王建国",
        "address": "铜陵市郊区桥南街道",
        "division_code": "340711",
        "district": "铜陵市郊区",
    }
    values.update(changes)
    return Profile(**values)  # type: ignore[arg-type]


def code(n: int, type_digit: str = "1", division: str = "340711") -> str:
    return complete_code(f"5{type_digit}{division}MJ{n:07d}")


def sqlite_statements(monkeypatch: Any) -> list[str]:
    """Every statement the SQLite connections opened from now on run, as they ran (parameters in)."""
    said: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(said.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", traced)
    return said

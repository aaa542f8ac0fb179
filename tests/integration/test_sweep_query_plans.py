"""What a daily sweep asks of the register is answered from an index, not by reading every
organization: at a million organizations a scan of the register is seconds per question."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from infra.wiring import build_system, load_settings
from tests.integration.helpers import REGISTRAR, code, profile, sqlite_statements


def test_the_grades_about_to_expire_are_found_through_their_own_index(tmp_path: Path, monkeypatch: Any) -> None:
    said = sqlite_statements(monkeypatch)
    system = build_system(load_settings(data_dir=tmp_path, database_url="", scheduler=False, secret_key="t"))
    try:
        system.organizations.register_organization(REGISTRAR, profile("铜陵市某协会"), code(1), date(2015, 6, 1))
        said.clear()
        system.reminders.plan(date(2025, 5, 24))
        asked = [s for s in said if "grade_valid_until BETWEEN" in s]
        assert asked, said
        with system.database.transaction() as tx:
            plan = " | ".join(str(row["detail"]) for row in tx.execute(f"EXPLAIN QUERY PLAN {asked[0]}").all())
        assert "USING INDEX sl_register_grade_expiry" in plan, plan
        assert "SCAN sl_register" not in plan, plan
    finally:
        system.close()

"""The `starledger` command as an operator runs it, in a subprocess, on a fresh data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STARLEDGER = [sys.executable, "-m", "interfaces.cli"]


def run(*args: str, data_dir: Path, stdin: str | None = None, terminal: bool = False) -> subprocess.CompletedProcess[str]:
    """`terminal`: stderr counts as a terminal (rich's TTY_COMPATIBLE), so progress bars are drawn."""
    env = {**os.environ, "STARLEDGER_DATA_DIR": str(data_dir), "STARLEDGER_DATABASE_URL": "", "STARLEDGER_LOG_LEVEL": "warning"}
    env["TTY_COMPATIBLE"] = "1" if terminal else "0"
    return subprocess.run([*STARLEDGER, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_help_explains_the_commands_and_the_environment(tmp_path: Path) -> None:
    result = run("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for word in ("serve", "demo", "users", "projections", "scheduler", "sweep", "STARLEDGER_DATABASE_URL", "STARLEDGER_SWEEP_AT"):
        assert word in result.stdout


def test_demo_users_and_a_rebuild_with_progress(tmp_path: Path) -> None:
    assert run("demo", data_dir=tmp_path).returncode == 0
    assert "nothing changed" in run("demo", data_dir=tmp_path).stdout  # seeded once
    added = run(
        "users", "add", "inspector", "--role", "auditor", "--password-stdin", data_dir=tmp_path, stdin="a-long-password\n"
    )
    assert added.returncode == 0, added.stderr
    listing = run("users", "list", data_dir=tmp_path).stdout
    assert "inspector" in listing and "registrar" in listing
    short = run("users", "add", "x", "--role", "auditor", "--password-stdin", data_dir=tmp_path, stdin="short\n")
    assert short.returncode == 2 and "at least 10" in short.stderr
    nowhere = run(
        "users", "add", "y", "--role", "organization", "--organization-id", "00000000-0000-0000-0000-0000000000aa",
        "--password-stdin", data_dir=tmp_path, stdin="a-long-password\n",
    )  # fmt: skip
    assert nowhere.returncode == 2 and "No organization" in nowhere.stderr
    rebuilt = run("projections", "rebuild", data_dir=tmp_path, terminal=True)
    assert rebuilt.returncode == 0, rebuilt.stderr
    # 13 organizations entered, 6 joined hubs, 2 changes: 21 organization events (the claims are skipped),
    # 3 credit records opened with one listing each, and the graded centre's grade and certificate: 29;
    # the demo case: 4 experts enrolled, opened, application, eligibility, panel = 8 (the expert with a
    # conflict is kept off the panel); the demo project review: opened, eligibility, panel = 3; the graded
    # centre's case: opened, eligibility, panel, 3 drafts and 3 sheets, closed, computed, announced, finalized = 13
    assert "rebuilding register" in rebuilt.stderr and "register rebuilt: 29 events applied" in rebuilt.stdout
    assert "cases rebuilt: 24 events applied" in rebuilt.stdout
    # the demo round (1), 4 projects applied and checked (8), the review opened (1), 3 subsidies granted (3)
    assert "funding rebuilt: 13 events applied" in rebuilt.stdout
    # 2 campaigns and a deadline (3), 5 inspections (3 × 4 filed and passed, 2 missed, 2 drafted: 16),
    # 3 credit records (3 opened, 2 penalties, 3 listings: 8)
    assert "compliance rebuilt: 27 events applied" in rebuilt.stdout
    assert "position" in run("projections", "status", data_dir=tmp_path).stdout
    for quiet in (
        run("projections", "rebuild", data_dir=tmp_path),
        run("projections", "rebuild", "--quiet", data_dir=tmp_path, terminal=True),
    ):
        assert quiet.stderr == "" and "register rebuilt: 29 events applied" in quiet.stdout  # no terminal, or --quiet: no bars


def test_the_sweep_command_runs_for_a_date_and_changes_nothing_the_second_time(tmp_path: Path) -> None:
    from datetime import date

    assert run("demo", data_dir=tmp_path).returncode == 0
    first = run("sweep", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "sweep as of" in first.stdout
    again = run("sweep", "--as-of", date.today().isoformat(), data_dir=tmp_path)
    assert "0 campaign deadline(s), 0 missed, 0 exempt; credit: no change; grades expired: 0" in again.stdout, again.stdout
    future = run("sweep", "--as-of", "2999-01-01", data_dir=tmp_path)
    assert future.returncode == 2 and "future date" in future.stderr
    malformed = run("sweep", "--as-of", "yesterday", data_dir=tmp_path)
    assert malformed.returncode == 2 and "--as-of" in malformed.stderr


def test_subsidies_are_granted_once_and_reported_per_district(tmp_path: Path) -> None:
    from datetime import date

    assert run("demo", data_dir=tmp_path).returncode == 0
    year = str(date.today().year - 2)  # the demo's passed inspections (Tongling: CNY 6,000 each)
    again = run("subsidies", "grant", year, "--division", "3407", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 granted (CNY 0), 3 granted before" in again.stdout
    report = run("subsidies", "report", year, data_dir=tmp_path).stdout.splitlines()
    assert report[0] == "district,rule,grants,amount_cny"
    assert sorted(report[1:]) == ["铜陵市郊区,annual_assessment,2,12000.00", "铜陵市铜官区,annual_assessment,1,6000.00"]
    assert run("subsidies", "grant", "2999", data_dir=tmp_path).returncode == 2


def test_verify_reports_ok_then_names_a_tampered_event(tmp_path: Path) -> None:
    import sqlite3

    assert run("demo", data_dir=tmp_path).returncode == 0
    ok = run("verify", "--checkpoint", data_dir=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("ok: ") and "checkpoint recorded: #" in ok.stdout
    kept = run("verify", "--checkpoints", data_dir=tmp_path).stdout.splitlines()[-1]
    assert '"position"' in kept
    holds = run("verify", "--against", kept, data_dir=tmp_path)
    assert holds.returncode == 0 and "has only been appended to since" in holds.stdout, holds.stderr
    beyond = run("verify", "--against", "999999:" + "0" * 64, data_dir=tmp_path)
    assert beyond.returncode == 1 and "newer events were deleted" in beyond.stderr
    assert run("verify", "--against", "not-a-checkpoint", data_dir=tmp_path).returncode == 2
    recomputed = run("audit", "recompute", data_dir=tmp_path)
    assert recomputed.returncode == 0 and "0 mismatch(es)" in recomputed.stdout
    exported = run("export", "-o", str(tmp_path / "log.jsonl"), data_dir=tmp_path)
    assert exported.returncode == 0 and "exported" in exported.stderr
    fresh = tmp_path / "fresh"
    imported = run("import", str(tmp_path / "log.jsonl"), data_dir=fresh)
    assert imported.returncode == 0, imported.stderr
    assert run("replay", data_dir=fresh).returncode == 0
    assert run("verify", data_dir=fresh).stdout.split(" head ")[1] == ok.stdout.split(" head ")[1].splitlines()[0] + "\n"
    with sqlite3.connect(tmp_path / "starledger.sqlite3") as db:
        db.execute("UPDATE stored_events SET state = CAST(REPLACE(CAST(state AS TEXT), '铜陵', '铜岭') AS BLOB) WHERE rowid = 1")
    bad = run("verify", data_dir=tmp_path)
    assert bad.returncode == 1 and "event #1 " in bad.stderr and "does not match its link" in bad.stderr


def test_import_register_writes_its_template_checks_imports_and_imports_nothing_twice(tmp_path: Path) -> None:
    template = tmp_path / "登记名册模板.xlsx"
    written = run("import-register", "--template", str(template), data_dir=tmp_path)
    assert written.returncode == 0 and template.is_file()
    checked = run("import-register", str(template), "--dry-run", data_dir=tmp_path)
    assert checked.returncode == 0 and "would create 1" in checked.stdout, checked.stdout + checked.stderr
    imported = run("import-register", str(template), data_dir=tmp_path)
    assert imported.returncode == 0 and "created 1" in imported.stdout
    again = run("import-register", str(template), data_dir=tmp_path)
    assert "created 0, already in the register 1" in again.stdout and "已在登记名册中" in again.stdout
    (tmp_path / "bad.csv").write_text("名称,类型\n甲,社会团体\n", encoding="utf-8")
    refused = run("import-register", str(tmp_path / "bad.csv"), data_dir=tmp_path)
    assert refused.returncode == 2 and "统一社会信用代码" in refused.stderr and "header row lacks" in refused.stderr

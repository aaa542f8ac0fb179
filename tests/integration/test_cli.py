"""The `starledger` command as an operator runs it, in a subprocess, on a fresh data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STARLEDGER = [sys.executable, "-m", "interfaces.cli"]


def run(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STARLEDGER_DATA_DIR": str(data_dir), "STARLEDGER_DATABASE_URL": "", "STARLEDGER_LOG_LEVEL": "warning"}
    return subprocess.run([*STARLEDGER, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_help_explains_the_commands_and_the_environment(tmp_path: Path) -> None:
    result = run("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for word in ("serve", "demo", "users", "projections", "scheduler", "STARLEDGER_DATABASE_URL", "STARLEDGER_PORT"):
        assert word in result.stdout


def test_demo_users_and_a_rebuild_with_progress(tmp_path: Path) -> None:
    assert run("demo", data_dir=tmp_path).returncode == 0
    assert "nothing changed" in run("demo", data_dir=tmp_path).stdout  # seeded once
    added = run("users", "add", "inspector", "--role", "auditor", "--password-stdin", data_dir=tmp_path, stdin="a-long-password\n")
    assert added.returncode == 0, added.stderr
    listing = run("users", "list", data_dir=tmp_path).stdout
    assert "inspector" in listing and "registrar" in listing
    short = run("users", "add", "x", "--role", "auditor", "--password-stdin", data_dir=tmp_path, stdin="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    rebuilt = run("projections", "rebuild", data_dir=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    # 13 organizations entered, 6 joined hubs, 2 changes: 21 organization events (the claims are skipped);
    # the demo case: 4 experts enrolled, opened, application, eligibility, panel, 1 forced recusal = 9
    assert "rebuilding register [" in rebuilt.stderr and "register rebuilt: 21 events applied" in rebuilt.stdout
    assert "cases rebuilt: 9 events applied" in rebuilt.stdout
    assert "position" in run("projections", "status", data_dir=tmp_path).stdout

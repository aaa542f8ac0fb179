"""`starledger spot-checks` on SQLite and PostgreSQL: a recorded draw is reproduced from its
published seed and candidate list (verify, redraw); a changed list has a different hash and does
not match; a wrong seed does not match; --offline needs no store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from interfaces.cli import _parser, _run
from tests.integration.spot_check_support import DRAW, division
from tests.integration.test_cli import run


def starledger(settings: Any, *argv: str) -> int:
    return _run(_parser().parse_args(argv), settings)


def test_the_draw_is_reproduced_from_its_published_seed_and_a_changed_list_does_not_match(
    system, clock, settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = division(system, clock)
    made, _checks = system.spot_checks.draw(DRAW, 2026, "3407", [d.complained])
    published = tmp_path / "candidates.json"

    assert starledger(settings, "spot-checks", "candidates", str(made.id), "-o", str(published)) == 0
    assert hashlib.sha256(published.read_bytes()).hexdigest() == made.candidates_sha256
    capsys.readouterr()

    assert starledger(settings, "spot-checks", "verify", str(made.id)) == 0
    out = capsys.readouterr().out
    assert "result: MATCH / 一致" in out and made.candidates_sha256 in out

    assert starledger(settings, "spot-checks", "redraw", "--seed", made.seed, "--candidates", str(published)) == 0
    out = capsys.readouterr().out
    assert f"sha256: {made.candidates_sha256}" in out and "result: MATCH / 一致" in out
    for selected in made.selection:  # every organization drawn, with its group and team, is printed
        assert f"{selected.organization_id}  {selected.group}" in out
        assert ", ".join(str(i) for i in selected.inspector_ids) in out

    changed = json.loads(published.read_bytes())
    changed["organizations"] = changed["organizations"][1:]  # one candidate left out
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(changed, sort_keys=True, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
    assert starledger(settings, "spot-checks", "redraw", "--seed", made.seed, "--candidates", str(altered)) == 1
    out = capsys.readouterr().out
    altered_hash = hashlib.sha256(altered.read_bytes()).hexdigest()
    assert altered_hash != made.candidates_sha256 and f"sha256: {altered_hash}" in out
    assert "candidate list hash: DIFFERS" in out and "result: DIFFERS / 不一致" in out

    assert starledger(settings, "spot-checks", "redraw", "--seed", "f" * 32, "--candidates", str(published)) == 1
    out = capsys.readouterr().out
    assert "seed: DIFFERS" in out and "candidate list hash: matches" in out

    assert starledger(settings, "spot-checks", "redraw", "--offline", "--seed", made.seed, "--candidates", str(published)) == 0
    out = capsys.readouterr().out
    assert "result" not in out and f"selection ({len(made.selection)})" in out


def test_the_help_says_how_the_draw_is_made_and_rerun(tmp_path: Path) -> None:
    result = run("spot-checks", "--help", data_dir=tmp_path)
    assert result.returncode == 0 and "SHA-256(seed:organization:ID)" in result.stdout
    assert "verify" in result.stdout and "redraw" in result.stdout
    unreadable = tmp_path / "not-a-list.json"
    unreadable.write_text("{}")
    refused = run("spot-checks", "redraw", "--offline", "--seed", "0" * 32, "--candidates", str(unreadable), data_dir=tmp_path)
    assert refused.returncode == 2 and "cannot be read" in refused.stderr and "无法读取" in refused.stderr

"""Rule sets shipped as TOML files beside this module; one file per (locality, version)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import msgspec

from application.errors import NotFound
from domain.rules import RuleSet, choose_rule_set

RULESET_DIR = Path(__file__).parent


def load_rule_set(path: Path) -> RuleSet:
    with path.open("rb") as f:
        raw = tomllib.load(f)
    try:
        return msgspec.convert(raw, RuleSet, strict=False)
    except msgspec.ValidationError as e:
        raise ValueError(f"rule set {path.name}: {e}") from e


class FileRuleSetCatalog:
    def __init__(self, directory: Path = RULESET_DIR) -> None:
        self._rule_sets = sorted(
            (load_rule_set(p) for p in directory.glob("*.toml")), key=lambda r: (r.id, r.version)
        )
        seen = set()
        for r in self._rule_sets:
            if (r.id, r.version) in seen:
                raise ValueError(f"rule set {r.id} version {r.version} is defined twice")
            seen.add((r.id, r.version))

    def all(self) -> list[RuleSet]:
        return list(self._rule_sets)

    def get(self, id: str, version: int) -> RuleSet:
        for r in self._rule_sets:
            if r.id == id and r.version == version:
                return r
        raise NotFound("rule_set", f"{id}@{version}")

    def for_division(self, division_code: str, on: date) -> RuleSet:
        return choose_rule_set(self._rule_sets, division_code, on)

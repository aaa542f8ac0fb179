"""Rule sets shipped as TOML files beside this module; one file per (locality, version)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from application.errors import NotFound
from domain.documents import SLOTS
from domain.rules import RuleSet, ScoringScheme, choose_rule_set

RULESET_DIR = Path(__file__).parent
CHOSEN_KEPT = 20_000  # (division, day) answers remembered; all forgotten at once beyond


def _toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


def load_schemes(directory: Path) -> dict[str, dict[str, Any]]:
    schemes = {}
    for path in sorted((directory / "schemes").glob("*.toml")):
        raw = _toml(path)
        scheme = msgspec.convert(raw, ScoringScheme, strict=False)
        scheme.check_consistent()
        schemes[scheme.id] = raw
    return schemes


def load_rule_set(path: Path, schemes: dict[str, dict[str, Any]]) -> RuleSet:
    """A rule set file names its scoring schemes by id; they are resolved into the rule set."""
    raw = _toml(path)
    evaluation = raw.get("evaluation", {})
    try:
        evaluation["schemes"] = {kind: schemes[ref] for kind, ref in evaluation.get("schemes", {}).items()}
    except KeyError as e:
        raise ValueError(f"rule set {path.name}: unknown scoring scheme {e}") from None
    try:
        rule_set = msgspec.convert(raw, RuleSet, strict=False)
    except msgspec.ValidationError as e:
        raise ValueError(f"rule set {path.name}: {e}") from e
    unknown = {key for keys in rule_set.inspection.required_documents.values() for key in keys} - set(SLOTS)
    if unknown:
        raise ValueError(f"rule set {path.name}: unknown document slots {sorted(unknown)}")
    return rule_set


class FileRuleSetCatalog:
    def __init__(self, directory: Path = RULESET_DIR) -> None:
        schemes = load_schemes(directory)
        self._rule_sets = sorted((load_rule_set(p, schemes) for p in directory.glob("*.toml")), key=lambda r: (r.id, r.version))
        seen = set()
        for r in self._rule_sets:
            if (r.id, r.version) in seen:
                raise ValueError(f"rule set {r.id} version {r.version} is defined twice")
            seen.add((r.id, r.version))
        self._chosen: dict[tuple[str, date], RuleSet] = {}
        issuers: dict[str, str] = {}
        for r in self._rule_sets:  # each rule set's certificate numbers are its own
            if issuers.setdefault(r.certificates.issuer_code, r.id) != r.id:
                raise ValueError(f"rule sets {issuers[r.certificates.issuer_code]} and {r.id} share a certificate issuer code")

    def all(self) -> list[RuleSet]:
        return list(self._rule_sets)

    def get(self, id: str, version: int) -> RuleSet:
        for r in self._rule_sets:
            if r.id == id and r.version == version:
                return r
        raise NotFound("rule_set", f"{id}@{version}")

    def for_division(self, division_code: str, on: date) -> RuleSet:
        """Remembered per (division, day): the files are read once, so the answer never changes,
        and every command asks it (today's date is in the rule set's timezone), a sweep once per
        organization or more. A day with no rule set in force is not remembered: it raises again."""
        key = (division_code, on)
        found = self._chosen.get(key)
        if found is None:
            if len(self._chosen) >= CHOSEN_KEPT:
                self._chosen.clear()
            found = self._chosen[key] = choose_rule_set(self._rule_sets, division_code, on)
        return found

"""A generated population for the audit figures: N organizations registered over ten years,
about a third graded (some lowered later), some suspended, some listed on a credit list and
some removed again: every change a real event through the event store and the read models.
Aggregates are saved in batches (one transaction each), which is how a data migration would
load them; identifier claims are skipped (the codes are unique by construction)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from application.context import CommandContext
from domain.credit import CreditList, CreditRecord, Ground
from domain.organization import TYPE_DIGITS, Organization, OrganizationType, Profile
from domain.provenance import Actor, Basis, Role
from domain.uscc import complete_code
from interfaces.progress import Advance, progress_bars

CTX = CommandContext(Actor("bench-generator", Role.REGISTRAR), "bench-generator", Basis("民社〔生成〕1号", "生成的决定"))
DISTRICTS = [("340711", "铜陵市郊区"), ("340705", "铜官区"), ("340706", "义安区"), ("341802", "宣州区"), ("410305", "涧西区")]
TYPES = list(OrganizationType)
DIGIT = {kind: digit for digit, kind in TYPE_DIGITS.items()}  # the code's second character says the type
BATCH = 500


class StepClock:
    """Moves forward by a fixed step per reading: ten years of history in one run."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.current, self.step = start, step

    def now(self) -> datetime:
        self.current += self.step
        return self.current


def generate(system: Any, clock: StepClock, size: int, seed: int = 7) -> list[UUID]:
    """Registers `size` organizations, then walks them through grades, suspensions and listings."""
    rng = random.Random(seed)
    ids: list[UUID] = []
    with progress_bars() as bars:
        _register(system, clock, size, ids, bars("registering"))
        _changes(system, clock, ids, rng, bars("grades, status, credit"))
    return ids


def _register(system: Any, clock: StepClock, size: int, ids: list[UUID], show: Advance) -> None:
    for start in range(0, size, BATCH):
        batch = []
        for n in range(start, min(size, start + BATCH)):
            division, district = DISTRICTS[n % len(DISTRICTS)]
            kind = TYPES[n % len(TYPES)]
            profile = Profile(f"生成社会组织{n:07d}", kind, "张三", f"{district}第{n}号", division, district)
            batch.append(
                Organization.register(
                    id=system.ids.new_id(),
                    profile=profile,
                    code=complete_code(f"5{DIGIT[kind.value]}{division}MJ{n:07d}"),
                    registered_on=date(2015, 1, 1),
                    provenance=CTX.provenance(clock.now()),
                )
            )
        system.store.save(*batch)
        ids.extend(o.id for o in batch)
        show(len(ids), size)


def _changes(system: Any, clock: StepClock, ids: list[UUID], rng: random.Random, show: Advance) -> None:
    for start in range(0, len(ids), BATCH):
        changed: list[Any] = []
        for org_id in ids[start : start + BATCH]:
            roll = rng.random()
            if roll < 0.35:
                changed += _graded(system, clock, org_id, rng)
            elif roll < 0.42:
                changed += _listed(system, clock, org_id, rng)
            elif roll < 0.45:
                org = system.store.repository.get(org_id)
                org.suspend(CTX.provenance(clock.now()))
                changed.append(org)
        if changed:
            system.store.save(*changed)
        show(min(len(ids), start + BATCH), len(ids))


def _graded(system: Any, clock: StepClock, org_id: UUID, rng: random.Random) -> list[Any]:
    org = system.store.repository.get(org_id)
    at = CTX.provenance(clock.now())
    level = rng.choice(["1A", "2A", "3A", "4A", "5A"])
    org.award_grade(level, at.at.date(), at.at.date() + timedelta(days=5 * 365), system.ids.new_id(), True, at)
    if level != "1A" and rng.random() < 0.2:
        lower = str(int(level[0]) - 1) + "A"
        org.apply_grade_finding("penalty", "lower", lower, at.at.date(), CTX.provenance(clock.now()))
    return [org]


def _listed(system: Any, clock: StepClock, org_id: UUID, rng: random.Random) -> list[Any]:
    at = CTX.provenance(clock.now())
    record = CreditRecord.open(org_id, at)
    ground = rng.choice(["no_party_organization", "unreachable", "court_defaulter"])
    record.add_ground(Ground(ground, at.at.date(), "生成", f"{ground}:{org_id}"), at)
    if ground != "court_defaulter" and rng.random() < 0.5:
        rules = system.rules.for_division("340711", date(2026, 1, 1)).credit  # the generator's dates predate the rules
        record.verify_obligation(CreditList.ABNORMAL, at.at.date(), rules, CTX.provenance(clock.now()))
    return [record]

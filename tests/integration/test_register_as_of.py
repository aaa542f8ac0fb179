"""The register as of an instant, served from validity intervals, equals replaying every
organization's and credit record's events up to that instant: a generated population with
registrations, renames, grades awarded, lowered, revoked and expired, suspensions,
revocations, and listings on and off both credit lists, checked at every event's instant,
just before it, and at random instants between."""

from __future__ import annotations

import itertools
import random
from contextlib import suppress
from datetime import date, timedelta

import pytest

from application.queries.register import RegisterAsOfQuery
from domain.credit import CreditList, CreditRecord, Ground, credit_record_id
from domain.errors import InvalidTransition
from domain.organization import Status
from tests.integration.helpers import REGISTRAR, code, profile

LEVELS = ["1A", "2A", "3A", "4A", "5A"]


class Population:
    """Random commands on a few organizations, each saved through the real event store."""

    def __init__(self, system, clock, seed: int) -> None:  # type: ignore[no-untyped-def]
        self.system, self.clock, self.random = system, clock, random.Random(seed)
        self.ids: list = []
        self.serial = 0

    def provenance(self):  # type: ignore[no-untyped-def]
        return REGISTRAR.provenance(self.clock.now())

    def day(self):  # type: ignore[no-untyped-def]
        return self.clock.current.date()

    def step(self) -> None:
        self.clock.advance(hours=self.random.choice([0, 1, 7, 30, 24 * 40]))
        if not self.ids or self.random.random() < 0.15:
            self.serial += 1
            org = self.system.organizations.register_organization(
                REGISTRAR,
                profile(f"生成组织{self.serial}", district=self.random.choice(["铜陵市郊区", "义安区"])),
                code(9000 + self.serial),
            )
            self.ids.append(org.id)
            return
        org = self.system.organizations.organization(self.random.choice(self.ids))
        with suppress(InvalidTransition):  # e.g. a revoked organization: refused, nothing written
            getattr(self, self.random.choice(["grade", "status", "credit", "credit", "rename"]))(org)

    def grade(self, org) -> None:  # type: ignore[no-untyped-def]
        p, today = self.provenance(), self.day()
        if org.grade and org.grade_valid_until and org.grade_valid_until < today:
            org.expire_grade(today, p)
        elif org.grade and self.random.random() < 0.5:
            lower = LEVELS[LEVELS.index(org.grade) - 1] if org.grade != "1A" else None
            org.apply_grade_finding("test", "lower" if lower else "revoke", lower, today, p)
        elif not org.is_closed:
            org.award_grade(
                self.random.choice(LEVELS),
                today,
                today + timedelta(days=self.random.choice([10, 400])),
                self.system.ids.new_id(),
                False,
                p,
            )
        self.system.store.save(org)

    def status(self, org) -> None:  # type: ignore[no-untyped-def]
        p = self.provenance()
        if org.status is Status.ACTIVE:
            org.suspend(p) if self.random.random() < 0.8 else org.revoke(p)
        elif org.status is Status.SUSPENDED:
            org.resume(p)
        self.system.store.save(org)

    def rename(self, org) -> None:  # type: ignore[no-untyped-def]
        org.rename(f"{org.profile.name}·改", self.provenance())
        self.system.store.save(org)

    def credit(self, org) -> None:  # type: ignore[no-untyped-def]
        p, today = self.provenance(), self.day()
        try:
            record = self.system.store.repository.get(credit_record_id(org.id))
        except Exception:
            record = CreditRecord.open(org.id, p)
        listed = [name for name in CreditList if record.current(name)]
        if listed and self.random.random() < 0.5:
            name = self.random.choice(listed)
            record._removed(name, today, "test", p)
        else:
            ground = self.random.choice(["no_party_organization", "unreachable", "court_defaulter", "false_registration"])
            record.add_ground(Ground(ground, today, "生成", f"{ground}:{self.serial}:{record.version}"), p)
        self.system.store.save(record)


def _projected(system, at) -> dict:  # type: ignore[no-untyped-def]
    lines, page = {}, 1
    while True:
        found = system.audit.register_as_of(RegisterAsOfQuery(at=at, page=page, per_page=500))
        lines.update({row.id: (row.name, row.status, row.grade, row.credit_status) for row in found.items})
        if page >= found.pages:
            return lines
        page += 1


def _replayed(system, ids, at) -> dict:  # type: ignore[no-untyped-def]
    lines = {}
    for org_id in ids:
        line = system.audit.replayed_line(org_id, at)
        if line is not None:
            lines[org_id] = (line.name, line.status, line.grade, line.credit_status)
    return lines


@pytest.mark.parametrize("seed", [1, 2])
def test_register_as_of_equals_a_replay_of_the_events(system, clock, seed: int) -> None:
    population = Population(system, clock, seed)
    for _ in range(120):
        population.step()
    streams = [*population.ids, *(credit_record_id(i) for i in population.ids)]
    stamps = sorted(e.timestamp for stream in streams for e in system.store.events.get(stream))
    rng = random.Random(seed)
    instants = [s + d for s in rng.sample(stamps, min(40, len(stamps))) for d in (timedelta(0), -timedelta(microseconds=1))]
    instants += [stamps[0] + (stamps[-1] - stamps[0]) * rng.random() for _ in range(20)]
    instants += [stamps[0] - timedelta(days=1), stamps[-1] + timedelta(days=1)]
    kinds = set()
    for at in instants:
        projected = _projected(system, at)
        assert projected == _replayed(system, population.ids, at), at
        kinds |= {(status, grade is not None, credit) for _, status, grade, credit in projected.values()}
    # the population really went through the states the test is about
    assert {k[0] for k in kinds} >= {"active", "suspended"} and {k[2] for k in kinds} >= {"none", "abnormal", "serious"}
    assert any(k[1] for k in kinds)


def test_filters_and_intervals(system, clock) -> None:
    population = Population(system, clock, 3)
    for _ in range(60):
        population.step()
    at = clock.current
    everything = _projected(system, at)
    for status in ("active", "suspended", "revoked"):
        page = system.audit.register_as_of(RegisterAsOfQuery(at=at, status=status, per_page=500))
        assert {row.id for row in page.items} == {i for i, v in everything.items() if v[1] == status}
    ungraded = system.audit.register_as_of(RegisterAsOfQuery(at=at, grade="none", per_page=500))
    assert {row.id for row in ungraded.items} == {i for i, v in everything.items() if v[2] is None}
    serious = system.audit.register_as_of(RegisterAsOfQuery(at=at, credit_status="serious", per_page=500))
    assert {row.id for row in serious.items} == {i for i, v in everything.items() if v[3] == "serious"}
    paged = system.audit.register_as_of(RegisterAsOfQuery(at=at, per_page=3, page=2))
    assert paged.total == len(everything) and len(paged.items) == min(3, max(0, len(everything) - 3))
    lines = system.audit.register_intervals(population.ids[0])
    assert lines[0].valid_from == system.organizations.organization(population.ids[0]).created_on
    assert all(a.valid_to == b.valid_from for a, b in itertools.pairwise(lines)) and lines[-1].valid_to is None
    assert date.min < lines[0].valid_from.date()

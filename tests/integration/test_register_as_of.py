"""The register on two clocks, served from bitemporal intervals, equals a replay of the events:
for any day D and instant K, the register *in effect on D as known at K* is what the events
recorded by K say, each taking effect on its own day. A generated population registers
organizations (some with past registration dates), renames them, awards, lowers, revokes and
expires grades, suspends and revokes them, lists and removes them, and also enters decisions
late (a grade decided days before it is recorded, a listing on an earlier ground) and corrects
listings (removed with effect from the day they began, as an upheld objection does). Checked at
event boundaries, just before them, and at random days and instants.

The oracle below is written from the events' meaning, independently of the projection."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from application.queries.register import RegisterAsOfQuery
from domain.credit import CreditList, CreditRecord, Ground, credit_record_id
from domain.errors import InvalidTransition
from domain.organization import Status
from tests.integration.helpers import REGISTRAR, code, profile

LEVELS = ["1A", "2A", "3A", "4A", "5A"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Population:
    """Random commands on a few organizations, each saved through the real event store."""

    def __init__(self, system, clock, seed: int) -> None:  # type: ignore[no-untyped-def]
        self.system, self.clock, self.random = system, clock, random.Random(seed)
        self.ids: list = []
        self.serial = 0

    def provenance(self, late: bool = False):  # type: ignore[no-untyped-def]
        """Now; or, for a decision entered late, in effect a few days back (not before the last one)."""
        p = REGISTRAR.provenance(self.clock.now())
        return replace(p, effective_on=self.day() - timedelta(days=self.random.randint(1, 20))) if late else p

    def day(self) -> date:
        return self.clock.current.astimezone(SHANGHAI).date()

    def step(self) -> None:
        self.clock.advance(hours=self.random.choice([0, 1, 7, 30, 24 * 40]))
        if not self.ids or self.random.random() < 0.15:
            self.serial += 1
            back = self.random.choice([0, 0, 3, 400])  # some registered long before they are entered
            org = self.system.organizations.register_organization(
                REGISTRAR,
                profile(f"生成组织{self.serial}", district=self.random.choice(["铜陵市郊区", "义安区"])),
                code(9000 + self.serial),
                registered_on=self.day() - timedelta(days=back),
            )
            self.ids.append(org.id)
            return
        org = self.system.organizations.organization(self.random.choice(self.ids))
        with suppress(InvalidTransition):  # e.g. a revoked organization, a backdating refused: nothing written
            getattr(self, self.random.choice(["grade", "status", "credit", "credit", "rename", "correct"]))(org)

    def grade(self, org) -> None:  # type: ignore[no-untyped-def]
        p, today = self.provenance(late=self.random.random() < 0.3), self.day()
        if org.grade and org.grade_valid_until and org.grade_valid_until < today:
            org.expire_grade(today, self.provenance())
        elif org.grade and self.random.random() < 0.5:
            lower = LEVELS[LEVELS.index(org.grade) - 1] if org.grade != "1A" else None
            on = p.effective_on or today
            org.apply_grade_finding("test", "lower" if lower else "revoke", lower, on, p)
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
        p = self.provenance(late=self.random.random() < 0.3)
        if org.status is Status.ACTIVE:
            org.suspend(p) if self.random.random() < 0.8 else org.revoke(p)
        elif org.status is Status.SUSPENDED:
            org.resume(p)
        self.system.store.save(org)

    def rename(self, org) -> None:  # type: ignore[no-untyped-def]
        org.rename(f"{org.profile.name}·改", self.provenance(late=self.random.random() < 0.3))
        self.system.store.save(org)

    def _record(self, org) -> CreditRecord:  # type: ignore[no-untyped-def]
        try:
            return self.system.store.repository.get(credit_record_id(org.id))
        except Exception:
            return CreditRecord.open(org.id, self.provenance())

    def credit(self, org) -> None:  # type: ignore[no-untyped-def]
        p, today = self.provenance(), self.day()
        record = self._record(org)
        listed = [name for name in CreditList if record.current(name)]
        if listed and self.random.random() < 0.5:
            record._removed(self.random.choice(listed), today, "test", p)
        else:
            ground = self.random.choice(["no_party_organization", "unreachable", "court_defaulter", "false_registration"])
            on = today - timedelta(days=self.random.choice([0, 0, 2, 15]))  # a ground found some days ago
            record.add_ground(Ground(ground, on, "生成", f"{ground}:{self.serial}:{record.version}"), p)
        self.system.store.save(record)

    def correct(self, org) -> None:  # type: ignore[no-untyped-def]
        """A listing found wrong: removed with effect from the day it began."""
        record = self._record(org)
        listing = next((record.current(name) for name in CreditList if record.current(name)), None)
        if listing is not None:
            record._removed(listing.list_name, listing.listed_on, "objection_upheld", self.provenance())
            self.system.store.save(record)


# -- the oracle: the events' meaning, folded by the day each takes effect ---------------------------------
def _effect(name: str, e: Any) -> tuple[date | None, dict[str, Any]]:
    """(the day the event says it takes effect, or None for its provenance's; what it changes on the line)"""
    p = e.provenance
    return {
        "Registered": lambda: (e.registered_on, {"name": e.profile.name, "status": "active", "grade": None, "lists": set()}),
        "Renamed": lambda: (None, {"name": e.name}),
        "Suspended": lambda: (None, {"status": "suspended"}),
        "Resumed": lambda: (None, {"status": "active"}),
        "RegistrationRevoked": lambda: (None, {"status": "revoked"}),
        "GradeAwarded": lambda: (None, {"grade": e.level}),
        "GradeLowered": lambda: (e.on, {"grade": e.level}),
        "GradeRevoked": lambda: (e.on, {"grade": None}),
        "GradeExpired": lambda: (e.valid_until + timedelta(days=1), {"grade": None}),
        "Listed": lambda: (e.ground.on, {"+": e.list_name.value}),
        "Removed": lambda: (e.on, {"-": e.list_name.value}),
    }.get(name, lambda: (p.effective_on, {}))()


def _histories(system, ids) -> dict:  # type: ignore[no-untyped-def]
    """Each organization's events and its credit record's, read once from the log."""
    return {org_id: [list(system.store.events.get(s)) for s in (org_id, credit_record_id(org_id))] for org_id in ids}


def _replayed(histories: dict, on: date, known_at: datetime | None, on_both: set[Any]) -> dict:  # type: ignore[type-arg]
    """The lines in effect on the day as known at the instant; those on both lists added to `on_both`."""
    lines = {}
    for org_id, streams in histories.items():
        changes, listed = [], set()
        for events in streams:
            for e in events:
                if known_at is not None and e.timestamp > known_at:
                    continue
                recorded = e.timestamp.astimezone(SHANGHAI).date()
                said, change = _effect(type(e).__name__, e)
                # a ground on a list the organization is on joins that listing: it lists nothing anew
                if "+" in change and change["+"] in listed:
                    change = {}
                listed = listed | {change["+"]} if "+" in change else listed - {change.get("-")}
                said = said or e.provenance.effective_on
                day = recorded if said is None or said > recorded else said
                changes.append((day, e.timestamp, change))
        if not changes:
            continue
        entered = changes[0][0]  # nothing takes effect for an organization before its registration's day
        changes = [(max(day, entered), stamp, change) for day, stamp, change in changes]
        line: dict[str, Any] = {}
        for day, _, change in sorted(changes, key=lambda c: (c[0], c[1])):
            if day > on:
                break
            line.update({k: v for k, v in change.items() if k not in "+-"})
            if "+" in change:
                line["lists"] = line["lists"] | {change["+"]}
            if "-" in change:
                line["lists"] = line["lists"] - {change["-"]}
        if line:
            credit = "serious" if "serious" in line["lists"] else "abnormal" if "abnormal" in line["lists"] else "none"
            lines[org_id] = (line["name"], line["status"], line["grade"], credit)
            if len(line["lists"]) == 2:
                on_both.add(org_id)
    return lines


def _projected(system, on: date, known_at: datetime | None, district: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    lines, page = {}, 1
    while True:
        query = RegisterAsOfQuery(effective_on=on, known_at=known_at, district=district, page=page, per_page=500)
        found = system.audit.register_as_of(query)
        lines.update({row.id: (row.name, row.status, row.grade, row.credit_status) for row in found.items})
        if page >= found.pages:
            # the total (the entries summed by day, for the register or a district) is the rows there are
            assert found.total_exact and found.total == len(lines), (on, known_at, found.total, len(lines))
            return lines
        page += 1


def _matches(system, organization_id, line: tuple, shape: dict) -> bool:  # type: ignore[no-untyped-def,type-arg]
    _, status, grade, credit = line
    profile = system.organizations.organization(organization_id).profile
    wanted = {
        "credit_status": credit,
        "grade": grade or "none",
        "status": status,
        "district": profile.district,
        "org_type": profile.org_type.value,
    }
    if "division_prefix" in shape and not profile.division_code.startswith(shape["division_prefix"]):
        return False
    return all(wanted[k] == v for k, v in shape.items() if k != "division_prefix")


def _run(system, clock, seed: int, steps: int) -> Population:  # type: ignore[no-untyped-def]
    population = Population(system, clock, seed)
    for _ in range(steps):
        population.step()
    return population


@pytest.mark.parametrize("seed", [1, 2])
def test_the_register_on_both_axes_equals_a_replay_of_the_events_known_then(system, clock, monkeypatch, seed: int) -> None:
    from infra.projections import register_history

    population = _run(system, clock, seed, 140)
    histories = _histories(system, population.ids)
    events = [e for streams in histories.values() for history in streams for e in history]
    stamps = sorted(e.timestamp for e in events)
    rng = random.Random(seed)
    knowns: list[datetime | None] = [None, stamps[0] - timedelta(days=1)]
    knowns += [s + d for s in rng.sample(stamps, 12) for d in (timedelta(0), -timedelta(microseconds=1))]
    knowns += [stamps[0] + (stamps[-1] - stamps[0]) * rng.random() for _ in range(6)]
    first, last = stamps[0].date() - timedelta(days=420), stamps[-1].date() + timedelta(days=2)
    said = sorted({d for e in events for d in (_effect(type(e).__name__, e)[0],) if d is not None})
    days = [d + timedelta(days=k) for d in rng.sample(said, min(12, len(said))) for k in (-1, 0)]
    days += [first + timedelta(days=rng.randrange((last - first).days)) for _ in range(8)]
    kinds, differs, on_both = set(), 0, set[Any]()
    district_of = {i: system.organizations.organization(i).profile.district for i in population.ids}
    for known_at in knowns:
        for n, on in enumerate(days):
            projected = _projected(system, on, known_at)
            assert projected == _replayed(histories, on, known_at, on_both), (on, known_at)
            for district in sorted(set(district_of.values())) if n % 4 == 0 else ():
                wanted = {i: line for i, line in projected.items() if district_of[i] == district}
                assert _projected(system, on, known_at, district) == wanted, (on, known_at, district)
            # each list's total, counted apart, and its page, walking the names its organizations ever
            # had (every other time) or joining its listings to their lines: renamed lines show as named that day
            monkeypatch.setattr(register_history, "_walks_listed", lambda query, total, listed, walk=n % 4 == 0: walk)
            for credit in ("none", "abnormal", "serious") if n % 2 == 0 else ():
                query = RegisterAsOfQuery(effective_on=on, known_at=known_at, credit_status=credit, per_page=500)
                found = system.audit.register_as_of(query)
                expected = {i: line for i, line in projected.items() if line[3] == credit}
                assert found.total_exact and found.total == len(expected), (on, credit)
                assert {row.id: row.name for row in found.items} == {i: line[0] for i, line in expected.items()}, (
                    on,
                    known_at,
                    credit,
                )
            kinds |= {(status, grade is not None, credit) for _, status, grade, credit in projected.values()}
            differs += known_at is not None and projected != _projected(system, on, None)
    # the population really went through the states, and the knowledge axis really mattered
    assert {k[0] for k in kinds} >= {"active", "suspended"} and {k[2] for k in kinds} >= {"none", "abnormal", "serious"}
    assert any(k[1] for k in kinds) and differs > 0 and on_both, "some were on both lists at once"
    rewritten = [line for org_id in population.ids for line in system.audit.superseded_intervals(org_id)]
    assert rewritten, "late entries and corrections rewrote some known history"


@pytest.mark.parametrize("walked", [None, True, False], ids=["as_chosen", "names_walked", "listings_joined"])
def test_filters_and_intervals(system, clock, monkeypatch, walked: bool | None) -> None:
    """`names_walked`: every page found by walking the names (what a large register does), each
    line asked its filters and its lists in turn, a credit list's through the names its
    organizations ever had; `listings_joined`: a credit list's from its listings joined to their
    lines; otherwise as the sizes here choose."""
    from infra.projections import register_history

    if walked is not None:
        monkeypatch.setattr(register_history, "_DENSE", 0 if walked else 10**9)
        monkeypatch.setattr(register_history, "_walks_listed", lambda query, total, listed: walked)
    population = _run(system, clock, 3, 60)
    on = clock.current.astimezone(SHANGHAI).date()
    everything = _projected(system, on, None)
    for status in ("active", "suspended", "revoked"):
        page = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, status=status, per_page=500))
        assert {row.id for row in page.items} == {i for i, v in everything.items() if v[1] == status}
    ungraded = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, grade="none", per_page=500))
    assert {row.id for row in ungraded.items} == {i for i, v in everything.items() if v[2] is None}
    serious = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, credit_status="serious", per_page=500))
    assert {row.id for row in serious.items} == {i for i, v in everything.items() if v[3] == "serious"}
    districts = ("铜陵市郊区", "义安区")
    shapes = [{"credit_status": c} for c in ("none", "abnormal", "serious")] + [{"grade": g} for g in (*LEVELS, "none")]
    shapes += [{"district": d, **extra} for d in districts for extra in ({}, {"grade": "3A"}, {"status": "suspended"})]
    shapes += [{"org_type": "social_group"}, {"division_prefix": "3407"}, {"status": "revoked", "credit_status": "serious"}]
    for known_at in (None, clock.now()):  # every index SQLite is told to use answers what the filters ask
        for shape in shapes:
            for descending in (False, True):
                query = RegisterAsOfQuery(effective_on=on, known_at=known_at, per_page=500, descending=descending, **shape)
                found = system.audit.register_as_of(query)
                names = [row.name for row in found.items]
                assert names == sorted(names, reverse=descending) and found.total == len(found.items), shape
                assert {row.id for row in found.items} == {i for i, v in everything.items() if _matches(system, i, v, shape)}, (
                    shape
                )
    paged = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, per_page=3, page=2))
    assert paged.total == len(everything) and len(paged.items) == min(3, max(0, len(everything) - 3))
    first = population.ids[0]
    lines = system.audit.register_intervals(first)
    assert lines[0].valid_from == system.organizations.organization(first).registered_on
    assert all(a.valid_to == b.valid_from for a, b in itertools.pairwise(lines)) and lines[-1].valid_to is None
    assert all(line.recorded_to is None for line in lines)
    before = system.audit.register_intervals(first, datetime(2000, 1, 1, tzinfo=UTC))
    assert before == []


def test_a_large_filtered_count_stops_at_its_cap_and_says_so(system, clock, monkeypatch) -> None:
    """Beyond the cap a filtered total is a floor: the page says "more than", and the next page is offered while pages are full."""
    from infra.projections import register_history

    population = _run(system, clock, 5, 80)
    on = clock.current.astimezone(SHANGHAI).date()
    everything = _projected(system, on, None)
    districts = Counter(system.organizations.organization(i).profile.district for i in population.ids)
    district, many = districts.most_common(1)[0]
    active = sum(1 for line in everything.values() if line[1] == "active")
    assert many > 3 and len(everything) > many and active > 3
    monkeypatch.setattr(register_history, "COUNT_CAP", 3)
    filtered = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, status="active", per_page=2))
    assert filtered.total == 3 and not filtered.total_exact and filtered.pages == 2
    # the whole register and a district are summed, never capped, on both clocks
    for known_at in (None, clock.now()):
        whole = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, known_at=known_at, per_page=2))
        assert whole.total_exact and whole.total == len(everything)
        one = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, known_at=known_at, district=district, per_page=2))
        assert one.total_exact and one.total == many
    last = system.audit.register_as_of(RegisterAsOfQuery(effective_on=on, status="active", per_page=2, page=99))
    assert last.items == [] and last.pages == last.page  # an empty page past the end offers no next one


def test_each_credit_status_alone_is_counted_exactly_whatever_the_cap(system, clock, monkeypatch) -> None:
    """The lists' sizes are sums by day and the register on no list is the register less them:
    exact on both clocks, however few rows a filtered question may count."""
    from infra.projections import register_history

    _run(system, clock, 3, 60)
    on = clock.current.astimezone(SHANGHAI).date()
    everything = _projected(system, on, None)
    by_status = {status: {i for i, line in everything.items() if line[3] == status} for status in ("none", "serious", "abnormal")}
    assert len(by_status["none"]) > 3 and all(by_status.values())  # some on each list, most on none

    def counted(status: str, known_at: datetime | None) -> tuple[int, bool, set[Any]]:
        found = system.audit.register_as_of(
            RegisterAsOfQuery(effective_on=on, known_at=known_at, credit_status=status, per_page=500)
        )
        return found.total, found.total_exact, {row.id for row in found.items}

    for known_at in (None, clock.now()):
        with monkeypatch.context() as m:
            m.setattr(register_history, "COUNT_CAP", 2)
            for status, expected in by_status.items():
                assert counted(status, known_at) == (len(expected), True, expected), status


def test_a_lists_size_summed_by_day_is_its_listings_in_effect_whatever_was_rewritten(system) -> None:
    """Listings begun, ended and no longer believed, in any order a rewrite leaves them (an ended
    one retired, one retired at the instant it was recorded): each list's size from its sums by
    day equals its listings in effect counted row by row, on every day as known at every instant."""
    from infra.projections import register_history as rh

    rng = random.Random(11)
    start = datetime(2024, 1, 1, 2, tzinfo=UTC)
    moments = [start + timedelta(hours=7 * n + rng.randrange(5)) for n in range(160)]  # several a day, some days apart
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(0, 60, 2)]
    retired_closed = retired_at_once = 0
    with system.register_history.db.transaction(write=True) as tx:
        store = rh._Tables(tx)
        for moment in moments:
            recorded = rh.instant(moment)
            owner = f"org-{rng.randrange(6)}"
            known = store.known_listings(owner, "serious")
            roll, begin = rng.random(), (date(2024, 1, 1) + timedelta(days=rng.randrange(50))).isoformat()
            if known and roll < 0.3:
                row = rng.choice(known)
                retired_closed += row["valid_to"] is not None
                rh._retire_listing(store, owner, row, recorded)
            elif known and known[-1]["valid_to"] is None and roll < 0.6:
                end = max(begin, (date.fromisoformat(known[-1]["valid_from"]) + timedelta(days=1)).isoformat())
                rh._close_listing(store, owner, known[-1], end, recorded)
            elif not known or known[-1]["valid_to"] is not None:
                first = max([begin, *(r["valid_to"] for r in known)])
                end = None if roll < 0.8 else (date.fromisoformat(first) + timedelta(days=1 + rng.randrange(9))).isoformat()
                rh._insert_listing(store, owner, "serious", first, end, recorded)
                if rng.random() < 0.1:  # no longer believed at the instant it was recorded: gone
                    retired_at_once += 1
                    rh._retire_listing(store, owner, store.known_listings(owner, "serious")[-1], recorded)
    assert retired_closed > 3 and retired_at_once > 3

    with system.register_history.db.transaction() as tx:
        for on, known_at in itertools.product(days, [None, *moments[::7], moments[-1] + timedelta(days=1)]):
            query = RegisterAsOfQuery(effective_on=on, known_at=known_at)
            where, params = rh._in_effect(query, "")
            sql = f"SELECT COUNT(*) FROM sl_register_listings WHERE list_name = 'serious' AND {' AND '.join(where)}"
            in_effect = tx.execute(sql, params).scalar()
            assert rh._listed_count(tx, query, "serious") == in_effect, (on, known_at)

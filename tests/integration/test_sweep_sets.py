"""The set-based sweeps against the per-aggregate ones, on SQLite and PostgreSQL: the same
scenario in two systems, one sweeping in sets and one loading every aggregate, stores the same
events (types, versions, bytes); a second run changes nothing; and an organization another writer
changes between the sweep's query and its write is decided on its loaded aggregates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from application.context import CommandContext, system_context
from application.organizations import MigratedGrade
from application.precedent import Precedent
from domain.credit import Penalty, PenaltyKind
from domain.inspection import AnnualReport, Outcome
from domain.provenance import Actor, Role
from infra.wiring import build_system, load_settings
from tests.integration.helpers import REGISTRAR, code, profile
from tests.support import postgres
from tests.support.documents import attach_required
from tests.support.fakes import CountingIds, CountingSeeds, CountingTokens, SteppingClock

SWEEP = system_context("daily-sweep", "sweep-sets-test")


def as_org(org_id: UUID) -> CommandContext:
    return CommandContext(Actor("org-user", Role.ORGANIZATION), "req-org", actor_organization=org_id)


REPORT = AnnualReport("开展社区服务 12 次", Decimal("1000"), Decimal("900"), Decimal("100"), 2, 5, True)


@pytest.fixture
def pg_url_2(pg_admin_url: str) -> Iterator[str]:
    """A second database: the reference system beside the one under test."""
    url = postgres.create_database(pg_admin_url)
    yield url
    postgres.drop_database(pg_admin_url, url)


def build(settings: Any, clock: SteppingClock) -> Any:
    return build_system(settings, clock=clock, ids=CountingIds(), tokens=CountingTokens(), seeds=CountingSeeds())


def settings_for(backend: str, path: Path, request: pytest.FixtureRequest, name: str) -> Any:
    url = request.getfixturevalue(name) if backend == "postgres" else ""
    return load_settings(data_dir=path, database_url=url, scheduler=False, secret_key="test-secret")


def population(system: Any, clock: SteppingClock) -> dict[str, UUID]:
    """Plain organizations (decided in a set), and one of each kind the set leaves to the aggregates."""
    clock.current = datetime(2023, 2, 1, tzinfo=clock.current.tzinfo)
    orgs = {
        f"plain{n}": system.organizations.register_organization(
            REGISTRAR, profile(f"铜陵市协会{n}"), code(n), date(2015, 6, 1)
        ).id
        for n in range(1, 8)
    }
    clock.move_to(date(2024, 10, 1))
    orgs["recent"] = system.organizations.register_organization(
        REGISTRAR, profile("铜陵市新社工站"), code(20), date(2024, 9, 1)
    ).id
    orgs["recent2"] = system.organizations.register_organization(
        REGISTRAR, profile("铜陵市新志愿站"), code(25), date(2024, 9, 15)
    ).id
    graded = system.organizations.register_with_history(
        REGISTRAR,
        profile("铜陵市等级协会"),
        code(21),
        date(2012, 1, 1),
        UUID(int=0xA1),
        MigratedGrade("4A", date(2022, 1, 1), date(2026, 12, 31), "铜民评〔2021〕1号"),
        [],
    )
    system.store.save(*graded)
    orgs["graded"] = graded[0].id
    orgs["drafted"] = system.organizations.register_organization(
        REGISTRAR, profile("铜陵市草稿协会"), code(22), date(2015, 1, 1)
    ).id
    orgs["penalized"] = system.organizations.register_organization(
        REGISTRAR, profile("铜陵市受罚协会"), code(23), date(2015, 1, 1)
    ).id
    orgs["filed"] = system.organizations.register_organization(
        REGISTRAR, profile("铜陵市按时协会"), code(24), date(2015, 1, 1)
    ).id
    clock.move_to(date(2025, 1, 6))
    system.inspections.open_campaign(REGISTRAR, 2024, "3407")
    system.credit.record_penalty(
        REGISTRAR, orgs["penalized"], Penalty(PenaltyKind.WARNING, "铜民罚〔2025〕1号", date(2025, 1, 6), "未按章程活动")
    )
    clock.move_to(date(2025, 3, 1))
    system.inspections.draft_report(as_org(orgs["drafted"]), orgs["drafted"], 2024, None, REPORT)
    system.inspections.draft_report(as_org(orgs["filed"]), orgs["filed"], 2024, None, REPORT)
    attach_required(system, as_org(orgs["filed"]), orgs["filed"], 2024)
    system.inspections.submit_report(as_org(orgs["filed"]), orgs["filed"], 2024, None)
    return orgs


def sweeps(system: Any, clock: SteppingClock) -> list[dict[str, Any]]:
    results = []
    for day, run in ((date(2025, 6, 1), system.inspections.record_missed), (date(2027, 6, 1), system.credit.apply_rules)):
        clock.move_to(day)
        results.append(run(SWEEP, day))
        results.append(run(SWEEP, day))  # a second run changes nothing
    return results


def log(system: Any) -> list[tuple[Any, ...]]:
    notifications = system.store.recorder.select_notifications(start=1, limit=100_000)
    return [(n.originator_id, n.originator_version, n.topic, n.state) for n in notifications]


class StillClock(SteppingClock):
    """A clock that does not move between readings (as a sweep's bench holds it): many instants equal."""

    def now(self) -> datetime:
        return self.current


@pytest.mark.parametrize("clock_kind", [SteppingClock, StillClock])
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_set_based_sweep_stores_exactly_the_events_of_the_per_aggregate_sweep(
    backend: str, clock_kind: type[SteppingClock], tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = {}
    for set_based, fixture in ((True, "pg_url"), (False, "pg_url_2")):
        clock = clock_kind()
        system = build(settings_for(backend, tmp_path / str(set_based), request, fixture), clock)
        try:
            system.inspections.set_based = system.credit.set_based = set_based
            orgs = population(system, clock)
            in_sets = spy(system.inspections, "_decide_missed_new")
            made = spy_class(monkeypatch, Precedent, "made_for")
            read_together = spy(system.credit.reader, "get_many")
            results = sweeps(system, clock)
            assert len(in_sets) == (9 if set_based else 0)  # the seven plain ones missed, the two recent ones exempt
            assert len(made) == (7 if set_based else 0)  # the first plain one and the first recent one decided by the domain
            assert len(read_together) == (2 if set_based else 0)  # the credit sweep's one chunk, twice
            found[set_based] = (results, log(system))
            if set_based:
                assert system.inspections.inspection(orgs["plain1"], 2024).outcome is Outcome.MISSED
                assert system.inspections.inspection(orgs["recent"], 2024).outcome is Outcome.EXEMPT
                assert system.inspections.inspection(orgs["drafted"], 2024).outcome is Outcome.MISSED
                assert system.inspections.inspection(orgs["graded"], 2024).simplified
                assert system.organizations.organization(orgs["graded"]).grade != "4A"  # the finding lowered it
                assert system.credit.record_of(orgs["plain1"]).status == "serious"  # escalated two years later
                ids = [*orgs.values(), *(system.credit.record_of(o).id for o in orgs.values() if system.credit.record_of(o))]
                read = system.credit.reader.get_many([*ids, UUID(int=7)])
                assert sorted(read) == sorted(ids)  # one query, the same aggregates as the repository's
                assert all(vars(read[i]) == vars(system.store.repository.get(i)) for i in ids)
        finally:
            system.close()
    assert found[True][0] == found[False][0]
    assert found[True][0][0] == {"campaigns": 1, "missed": 10, "exempt": 2}
    assert found[True][0][1] == {"campaigns": 0, "missed": 0, "exempt": 0}
    assert found[True][0][3] == {}
    assert len(found[True][1]) == len(found[False][1])
    assert found[True][1] == found[False][1]


def spy(target: Any, name: str) -> list[Any]:
    """The arguments of each call of a method of one object (which still runs)."""
    calls: list[Any] = []
    method = getattr(target, name)

    def recorded(*args: Any) -> Any:
        calls.append(args)
        return method(*args)

    setattr(target, name, recorded)
    return calls


def spy_class(monkeypatch: pytest.MonkeyPatch, cls: Any, name: str) -> list[Any]:
    """The arguments of each call of a method of a class, on any instance (which still runs)."""
    calls: list[Any] = []
    method = getattr(cls, name)

    def recorded(self: Any, *args: Any) -> Any:
        calls.append(args)
        return method(self, *args)

    monkeypatch.setattr(cls, name, recorded)
    return calls


class Meanwhile:
    """The compliance view, with another writer acting right after the sweep's query of a chunk."""

    def __init__(self, view: Any, act: Any) -> None:
        self.view, self.act, self.done = view, act, False

    def missed_candidates(self, *args: Any) -> Any:
        found = self.view.missed_candidates(*args)
        if found[0] and not self.done:
            self.done = True
            self.act()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_change_between_the_query_and_the_write_is_decided_on_the_loaded_aggregates(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clock = SteppingClock()
    system = build(settings_for(backend, tmp_path, request, "pg_url"), clock)
    try:
        orgs = population(system, clock)
        clock.move_to(date(2025, 6, 1))

        def another_writer() -> None:
            # a draft opens plain1's inspection, a penalty opens plain2's credit record, plain3 is renamed
            system.inspections.draft_report(as_org(orgs["plain1"]), orgs["plain1"], 2024, None, REPORT)
            system.credit.record_penalty(
                REGISTRAR, orgs["plain2"], Penalty(PenaltyKind.WARNING, "铜民罚〔2025〕9号", date(2025, 6, 1), "未按章程活动")
            )
            system.organizations.rename(REGISTRAR, orgs["plain3"], None, "铜陵市改名协会")

        system.inspections.view = Meanwhile(system.inspections.view, another_writer)
        alone = spy(system.inspections, "_decided_alone")
        assert system.inspections.record_missed(SWEEP, date(2025, 6, 1)) == {"campaigns": 1, "missed": 10, "exempt": 2}
        assert len(alone) == 12  # the collision: every organization of the chunk decided again on its aggregates
        assert system.inspections.record_missed(SWEEP, date(2025, 6, 1)) == {"campaigns": 0, "missed": 0, "exempt": 0}
        drafted = system.inspections.inspection(orgs["plain1"], 2024)
        assert drafted.outcome is Outcome.MISSED and drafted.report == REPORT  # missed on the draft another writer made
        types = [e.event_type for e in system.store.history(drafted.id)]
        assert types == ["Opened", "ReportDrafted", "Missed"]
        record = system.credit.record_of(orgs["plain2"])
        assert record is not None and [g.code for g in record.current(record.listings[0].list_name).grounds] == [
            "small_penalty",
            "report_not_filed",
        ]
        for org in orgs.values():
            if org != orgs["filed"]:
                assert system.inspections.inspection(org, 2024).outcome in (Outcome.MISSED, Outcome.EXEMPT)
                assert [e.event_type for e in system.store.history(system.inspections.inspection(org, 2024).id)].count(
                    "Missed"
                ) <= 1
    finally:
        system.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_an_organization_whose_version_moved_since_the_query_is_decided_alone_on_its_aggregates(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    clock = SteppingClock()
    system = build(settings_for(backend, tmp_path, request, "pg_url"), clock)
    try:
        orgs = population(system, clock)
        clock.move_to(date(2025, 6, 1))
        renamed = orgs["plain3"]
        system.inspections.view = Meanwhile(
            system.inspections.view, lambda: system.organizations.rename(REGISTRAR, renamed, None, "铜陵市改名协会")
        )
        loaded = spy(system.inspections, "_decide_missed")
        alone = spy(system.inspections, "_decided_alone")
        assert system.inspections.record_missed(SWEEP, date(2025, 6, 1)) == {"campaigns": 1, "missed": 10, "exempt": 2}
        assert not alone  # no collision
        assert renamed in [call[2] for call in loaded]  # decided on its loaded aggregates
        assert orgs["plain4"] not in [call[2] for call in loaded]
        assert system.inspections.inspection(renamed, 2024).outcome is Outcome.MISSED
    finally:
        system.close()

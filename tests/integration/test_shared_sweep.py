"""Two instances on one database share a sweep (application/sweep_runs.py), on SQLite and
PostgreSQL: run at once, both claim chunks, every organization is decided exactly once, the
counts are everyone's and the campaign records its deadline once; an instance that dies in the
middle of a chunk leaves a lease that runs out, and the other claims the chunk again and finishes
the sweep, recording nothing twice."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

import application.inspections
import application.sweep_runs
from application.context import system_context
from application.sweep import sweep
from domain.inspection import campaign_id
from infra.wiring import build_system
from interfaces.scheduler import daily_sweep
from tests.integration.helpers import REGISTRAR, code, profile
from tests.support.fakes import CountingTokens, SteppingClock

SWEEP = system_context("daily-sweep", "shared-sweep-test")
ORGS = 24


class SpreadIds:
    """Random-looking ids from a seed (as uuid4 makes them in production), so the organizations
    spread over the chunks, which are ranges of the ids' leading hex digits."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self._random.getrandbits(128), version=4)


def two_systems(settings: Any, clock: SteppingClock) -> tuple[Any, Any]:
    systems = []
    for seed in (1, 2):
        system = build_system(settings, clock=clock, ids=SpreadIds(seed), tokens=CountingTokens())
        system.sweep_runs.chunk_size = 3  # 24 candidates: 8 chunks
        system.sweep_runs.poll = 0.01
        systems.append(system)
    return systems[0], systems[1]


def populate(system: Any, clock: SteppingClock) -> None:
    clock.current = datetime(2023, 2, 1, tzinfo=clock.current.tzinfo)
    for n in range(1, ORGS + 1):
        system.organizations.register_organization(REGISTRAR, profile(f"铜陵市协会{n}"), code(n), date(2015, 6, 1))
    clock.move_to(date(2025, 1, 6))
    system.inspections.open_campaign(REGISTRAR, 2024, "3407")


def slowed(system: Any) -> None:
    """A pause after each claim, so that the other instance's thread gets chunks too."""
    chunks = system.sweep_runs.chunks
    claim = chunks.claim

    def slow_claim(*args: Any) -> Any:
        found = claim(*args)
        if found is not None:
            time.sleep(0.03)
        return found

    chunks.claim = slow_claim


def at_once(*jobs: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            results[i] = job()
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def events(system: Any, start: int = 1) -> list[Any]:
    return system.store.recorder.select_notifications(start=start, limit=100_000)


def topics(notifications: list[Any], suffix: str) -> Counter[uuid.UUID]:
    return Counter(n.originator_id for n in notifications if n.topic.endswith(suffix))


def claimers(system: Any, run_prefix: str) -> Counter[str]:
    with system.database.transaction() as tx:
        rows = tx.execute(
            "SELECT claimed_by FROM sl_sweep_chunks WHERE run LIKE ? AND done_at IS NOT NULL", (f"{run_prefix}%",)
        ).all()
    return Counter(r["claimed_by"].rsplit("#", 1)[0] for r in rows)


def deadline_passed(system: Any) -> list[Any]:
    found = system.store.events.get(campaign_id(2024, "3407"))
    return [e for e in found if type(e).__name__ == "DeadlinePassed"]


def test_two_instances_split_a_sweep_and_decide_every_organization_once(settings: Any, clock: SteppingClock) -> None:
    first, second = two_systems(settings, clock)
    try:
        populate(first, clock)
        slowed(first)
        slowed(second)
        clock.move_to(date(2025, 6, 1))
        shown: dict[str, list[tuple[int, int]]] = {"first": [], "second": []}

        def swept(system: Any, name: str) -> dict[str, Any]:
            def progress(label: str) -> Callable[[int, int], None]:
                return lambda done, total: shown[name].append((done, total)) if label == "missed inspections" else None

            return sweep(system.organizations, system.inspections, system.credit, SWEEP, date(2025, 6, 1), progress=progress)

        before = len(events(first))
        done = at_once(lambda: swept(first, "first"), lambda: swept(second, "second"))
        assert done[0]["inspections"] == done[1]["inspections"] == {"campaigns": 1, "missed": ORGS, "exempt": 0}
        log = events(first, before + 1)
        missed = topics(log, "Inspection.Missed")
        assert len(missed) == ORGS and set(missed.values()) == {1}
        assert [(e.missed, e.exempt) for e in deadline_passed(first)] == [(ORGS, 0)]
        split = claimers(first, f"2025-06-01/missed/{campaign_id(2024, '3407')}")
        assert sum(split.values()) == 8 and len(split) == 2, split  # both instances did chunks
        with first.database.transaction() as tx:  # one round, each step walked once (nobody started it over)
            generations = tx.execute("SELECT MAX(generation) FROM sl_sweep_runs WHERE run LIKE ?", ("2025-06-01/%",))
            assert generations.scalar() == 1
        # the progress each instance shows is the sweep's, everyone's windows counted
        assert all(total == ORGS for name in shown for _, total in shown[name])
        assert max(done for name in shown for done, _ in shown[name]) == ORGS

        clock.move_to(date(2027, 6, 1))  # two years listed: every record escalates, through the scheduler's job
        before = len(events(first))
        at_once(lambda: daily_sweep(first), lambda: daily_sweep(second))
        log = events(first, before + 1)
        per_event = Counter((n.originator_id, n.topic) for n in log)
        assert set(per_event.values()) == {1}  # nothing recorded twice
        escalated = {n.originator_id for n in log if n.topic.endswith("CreditRecord.Removed")}
        assert len(escalated) == ORGS
        assert len(claimers(first, "2027-06-01/credit")) == 2
        again = second.credit.apply_rules(SWEEP, date(2027, 6, 1))  # run again alone: a new round, nothing to do
        assert again == {}
    finally:
        first.close()
        second.close()


class Died(Exception):
    pass


def test_a_chunk_of_an_instance_that_died_is_claimed_again_when_its_lease_runs_out(
    settings: Any, clock: SteppingClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_systems(settings, clock)
    try:
        populate(first, clock)
        clock.move_to(date(2025, 6, 1))
        monkeypatch.setattr(first.store, "sweep_set_size", 2)  # chunks of 3: two windows each
        decided = first.inspections._miss_set
        windows = 0

        def dies_in_its_second_window(*args: Any) -> Any:
            nonlocal windows
            windows += 1
            if windows == 2:
                raise Died  # the first window is saved and counted, the rest of the chunk is not done
            return decided(*args)

        first.inspections._miss_set = dies_in_its_second_window
        first.sweep_runs.chunks.release = lambda _claim: None  # a process killed gives nothing up
        with pytest.raises(Died):
            first.inspections.record_missed(SWEEP, date(2025, 6, 1))
        waits: list[float] = []

        def wait(seconds: float) -> None:  # while the other instance waits, the dead one's lease runs out
            waits.append(seconds)
            clock.advance(seconds=30)

        second.sweep_runs.sleep = wait
        before = len(events(first))
        done = second.inspections.record_missed(SWEEP, date(2025, 6, 1))
        assert done == {"campaigns": 1, "missed": ORGS, "exempt": 0}  # the dead one's saved window counted once
        assert 4 <= len(waits) <= 6  # it waited for the lease (two minutes), not for ever
        everything = events(first)
        missed = topics(everything, "Inspection.Missed")
        assert len(missed) == ORGS and set(missed.values()) == {1}
        assert len(topics(everything[before:], "Inspection.Missed")) < ORGS  # the dead one's window was not redone
        assert [(e.missed, e.exempt) for e in deadline_passed(first)] == [(ORGS, 0)]
        with first.database.transaction() as tx:
            reclaimed = tx.execute(
                "SELECT chunk, claims, done_at FROM sl_sweep_chunks WHERE run LIKE ? AND claims > 1", ("2025-06-01/missed/%",)
            ).all()
        assert len(reclaimed) == 1 and reclaimed[0]["done_at"] is not None
        assert second.inspections.record_missed(SWEEP, date(2025, 6, 1)) == {"campaigns": 0, "missed": 0, "exempt": 0}
    finally:
        first.close()
        second.close()


def test_a_wait_in_which_nothing_moves_gives_up(settings: Any, clock: SteppingClock) -> None:
    first, second = two_systems(settings, clock)
    try:
        populate(first, clock)
        clock.move_to(date(2025, 6, 1))
        runs = second.sweep_runs
        runs.lease = timedelta(hours=1)  # the holder's lease outlasts the wait
        runs.stall = timedelta(minutes=5)
        runs.sleep = lambda _: clock.advance(minutes=1)
        generation = runs.chunks.open_run("2025-06-01/grades", [application.sweep_runs.IdRange()], clock.now())
        assert runs.chunks.claim("2025-06-01/grades", generation, "gone#1", clock.now(), clock.now() + timedelta(hours=1))
        with pytest.raises(application.sweep_runs.SweepStalled):
            runs.run("2025-06-01/grades", lambda _ids, _report: None)
    finally:
        first.close()
        second.close()


def test_reports_made_at_once_each_see_everything_reported_before_them(settings: Any, clock: SteppingClock) -> None:
    """Two claimers reporting at the same moment take turns: every report's `seen` counts the ones
    before it, so the last one shows the whole sweep (a progress bar that ends at 100 %)."""
    first, second = two_systems(settings, clock)
    try:
        generation = first.sweep_runs.chunks.open_run("2025-06-01/reports", application.sweep_runs.id_ranges(2), clock.now())
        until = clock.now() + timedelta(hours=1)
        claims = [
            system.sweep_runs.chunks.claim("2025-06-01/reports", generation, f"{name}#1", clock.now(), until)
            for system, name in ((first, "first"), (second, "second"))
        ]
        assert all(claims)
        start = threading.Barrier(2)

        def reports(system: Any, claim: Any) -> list[int]:
            start.wait()
            return [system.sweep_runs.chunks.report(claim, {"seen": 1}, until) for _ in range(40)]

        shown = at_once(lambda: reports(first, claims[0]), lambda: reports(second, claims[1]))
        assert sorted(shown[0] + shown[1]) == list(range(1, 81))
    finally:
        first.close()
        second.close()


def test_a_chunk_whose_work_failed_is_free_again_at_once(settings: Any, clock: SteppingClock) -> None:
    first, second = two_systems(settings, clock)
    try:
        populate(first, clock)
        clock.move_to(date(2025, 6, 1))
        decided = first.inspections._miss_set

        def fails_once(*args: Any) -> Any:
            first.inspections._miss_set = decided
            raise Died

        first.inspections._miss_set = fails_once
        with pytest.raises(Died):
            first.inspections.record_missed(SWEEP, date(2025, 6, 1))
        second.sweep_runs.sleep = lambda _: pytest.fail("no wait: the failed chunk was given up")
        assert second.inspections.record_missed(SWEEP, date(2025, 6, 1)) == {"campaigns": 1, "missed": ORGS, "exempt": 0}
    finally:
        first.close()
        second.close()


def test_runs_finished_long_ago_are_forgotten(settings: Any, clock: SteppingClock) -> None:
    first, second = two_systems(settings, clock)
    try:
        clock.move_to(date(2026, 6, 1))
        runs = first.sweep_runs
        runs.run("2026-06-01/grades", lambda _ids, report: report({"expired": 1}))
        clock.move_to(date(2026, 8, 1))
        assert runs.run("2026-08-01/grades", lambda _ids, report: report({"expired": 2})) == {"expired": 2}
        with first.database.transaction() as tx:
            left = [r["run"] for r in tx.execute("SELECT run FROM sl_sweep_runs").all()]
            counted = tx.execute("SELECT COUNT(*) FROM sl_sweep_counts").scalar()
        assert left == ["2026-08-01/grades"] and counted == 1
    finally:
        first.close()
        second.close()


def test_in_one_round_an_instance_arriving_after_a_step_is_done_takes_its_counts(settings: Any, clock: SteppingClock) -> None:
    first, second = two_systems(settings, clock)
    try:
        populate(first, clock)
        clock.move_to(date(2025, 6, 1))
        first.inspections.record_missed(SWEEP, date(2025, 6, 1))
        clock.move_to(date(2027, 6, 1))
        walked: list[Any] = []
        listed = second.compliance.listed_records
        second.compliance.listed_records = lambda *args: walked.append(args) or listed(*args)
        with first.sweep_runs.round("2027-06-01"):
            done = first.credit.apply_rules(SWEEP, date(2027, 6, 1))
            with second.sweep_runs.round("2027-06-01"):  # the same round: first has not left it
                assert second.credit.apply_rules(SWEEP, date(2027, 6, 1)) == done == {"escalated": ORGS}
            assert walked == []
        with second.sweep_runs.round("2027-06-01"):  # the round is over: a new one walks again, finds nothing
            assert second.credit.apply_rules(SWEEP, date(2027, 6, 1)) == {}
        assert walked
    finally:
        first.close()
        second.close()

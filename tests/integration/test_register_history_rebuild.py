"""The bulk rebuild of the register through time writes exactly the rows the live path wrote:
the same intervals with the same values, closed and retired ones included, after late entries
and corrections rewrote history. A command committed while it runs is there after it."""

from __future__ import annotations

import logging
import threading
from contextlib import suppress
from typing import Any

import pytest

from domain.errors import InvalidTransition
from domain.organization import Status
from infra import database, wiring
from infra.projections import base
from infra.projections.register_history import RegisterHistoryProjection
from infra.wiring import build_system
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_register_as_of import LEVELS, Population

ORDER = {
    "sl_register_intervals": "organization_id, valid_from, recorded_from",
    "sl_register_listings": "organization_id, list_name, valid_from, recorded_from",
    "sl_register_overlaps": "organization_id",
    "sl_listing_days": "list_name, day, recorded_day",
    "sl_listing_changes": "list_name, recorded_at, organization_id, day",
    "sl_listed_names": "list_name, name, organization_id",
    "sl_interval_credit": "credit_record_id",
}


def _rows(system: Any) -> dict[str, list[dict[str, Any]]]:
    with system.register_history.db.transaction() as tx:
        return {table: tx.execute(f"SELECT * FROM {table} ORDER BY {order}").all() for table, order in ORDER.items()}


class Varied(Population):
    """The random population of the as-of tests, with filings, promotions and corrected decisions too."""

    def step(self) -> None:
        roll = self.random.random()
        if roll < 0.05:
            self.serial += 1
            org = self.system.organizations.file_organization(
                REGISTRAR, profile(f"备案组织{self.serial}"), f"备-{self.serial}", "幸福街道", filed_on=self.day()
            )
            self.ids.append(org.id)
        elif roll < 0.08 and self.ids:
            org = self.system.organizations.organization(self.random.choice(self.ids))
            with suppress(Exception):  # registered already, or its code taken: nothing written
                self.system.organizations.promote_to_registration(REGISTRAR, org.id, None, code(5000 + self.serial), None)
        elif roll < 0.14 and self.ids:
            with suppress(InvalidTransition):  # nothing to correct
                self.system.organizations.correct_last_decision(REGISTRAR, self.random.choice(self.ids), None)
        elif roll < 0.22 and self.ids:
            org = self.system.organizations.organization(self.random.choice(self.ids))
            if org.grade:
                lower = LEVELS[LEVELS.index(org.grade) - 1] if org.grade != "1A" else None
                with suppress(InvalidTransition):
                    org.apply_grade_finding("test", "lower" if lower else "revoke", lower, self.day(), self.provenance())
                    self.system.store.save(org)
        elif roll < 0.25 and self.ids:  # two changes in one instant: the second replaces the first's interval
            org = self.system.organizations.organization(self.random.choice(self.ids))
            if org.status is Status.ACTIVE:
                p = self.provenance()
                org.suspend(p)
                org.resume(p)
                self.system.store.save(org)
        else:
            super().step()


@pytest.mark.parametrize(("seed", "batch"), [(1, 20_000), (2, 7), (3, 50)])
def test_the_bulk_rebuild_writes_the_rows_the_live_path_wrote(system, clock, monkeypatch, seed: int, batch: int) -> None:
    population = Varied(system, clock, seed)
    for _ in range(400):
        population.step()
    live = _rows(system)
    intervals = live["sl_register_intervals"]
    assert any(r["recorded_to"] for r in intervals), "late entries and corrections retired some rows"
    assert any(r["closed_at"] for r in intervals) and live["sl_interval_credit"]
    assert any(r["track"] == "filed" for r in intervals)
    listings = live["sl_register_listings"]  # on both lists, some ended, some rewritten
    assert {r["list_name"] for r in listings} == {"abnormal", "serious"} and any(r["closed_at"] for r in listings)
    assert any(r["recorded_to"] for r in listings) and live["sl_register_overlaps"]  # some on both lists at once
    topics = {type(e).__name__ for org in population.ids for e in system.store.events.get(org)}
    assert {"DecisionCorrected", "Renamed", "Suspended", "Filed", "PromotedToRegistration"} <= topics
    assert topics & {"GradeLowered", "GradeRevoked"} and "GradeExpired" in topics

    monkeypatch.setattr(base, "BULK_READ", batch)  # several batches: rows queued, flushed and spilled across them
    system.register_history.rebuild()

    assert _rows(system) == live
    assert system.register_history.position() == int(system.store.recorder.max_notification_id())
    # the live path goes on from the rebuilt tables
    system.organizations.rename(REGISTRAR, population.ids[0], None, "重建之后改名")
    assert any(r["name"] == "重建之后改名" and r["recorded_to"] is None for r in _rows(system)["sl_register_intervals"])


def test_a_command_committed_during_the_rebuild_is_there_after_it(system, clock) -> None:
    population = Varied(system, clock, 4)
    for _ in range(60):
        population.step()
    seen: dict[str, Any] = {}

    def command() -> None:  # another thread, as a live request would be
        clock.advance(hours=2)
        system.organizations.rename(REGISTRAR, population.ids[0], None, "重建期间改名")
        seen["new"] = system.organizations.register_organization(REGISTRAR, profile("重建期间登记"), code(8800)).id
        seen["live"] = _rows(system)  # the old tables, still answering, followed the commands

    def progress(done: int, total: int) -> None:
        if not seen:
            worker = threading.Thread(target=command)
            worker.start()
            worker.join()

    system.register_history.rebuild(progress)

    rows = _rows(system)
    assert rows == seen["live"]
    current = [r for r in rows["sl_register_intervals"] if r["recorded_to"] is None and r["valid_to"] is None]
    assert any(r["name"] == "重建期间改名" for r in current)
    assert any(r["organization_id"] == str(seen["new"]) for r in current)


@pytest.mark.parametrize(("start_from", "bulk"), [(1, True), (10**9, False)], ids=["long log", "short log"])
def test_a_new_version_of_the_read_model_is_rebuilt_in_bulk_when_the_server_starts(
    settings, clock, monkeypatch, caplog, start_from: int, bulk: bool
) -> None:
    """An upgrade that changes register_history's version drops its tables; the next start brings
    it back, in bulk on a long log (not event by event), to the rows the live path wrote, and the
    log says what it is doing (a rebuild at a million organizations takes minutes)."""
    system = build_system(settings, clock=clock)
    try:
        population = Varied(system, clock, 5)
        for _ in range(120):
            population.step()
        live = _rows(system)
        with system.database.transaction(write=True) as tx:  # as a release with a new version would find it
            tx.execute("UPDATE sl_read_models SET version = version - 1 WHERE name = ?", (system.register_history.name,))
    finally:
        system.close()
    rebuilt: list[int] = []
    in_bulk = RegisterHistoryProjection.rebuild
    monkeypatch.setattr(RegisterHistoryProjection, "rebuild", lambda self, *a: rebuilt.append(1) or in_bulk(self, *a))
    monkeypatch.setattr(base, "BULK_START_FROM", start_from)
    monkeypatch.setattr(base, "BULK_READ", 100)  # several batches, each a line of progress
    monkeypatch.setattr(wiring, "PROGRESS_EVERY", 0)

    with caplog.at_level(logging.INFO, logger="starledger"):
        started = build_system(settings, clock=clock)
    try:
        assert rebuilt == ([1] if bulk else [])
        said = [r.getMessage() for r in caplog.records if "register_history" in r.getMessage()]
        if bulk:
            assert said[0] == "read model register_history starts over: rebuilding it in bulk"
            assert any(" events read (" in line for line in said[1:-1]), said
            assert said[-1].startswith("read model register_history rebuilt: ")
        else:
            assert not said
        assert _rows(started) == live
        assert started.register_history.position() == int(started.store.recorder.max_notification_id())
    finally:
        started.close()


def test_a_second_rebuild_waits_for_one_under_way(system) -> None:
    """Two bulk rebuilds of one read model would write the same fresh tables: the lock the start
    and `starledger projections rebuild` take lets the second in only once the first is done
    (two holders here are two threads, each with its own lock file handle or connection, as two
    processes would have)."""
    locks = system.sweep_lock
    held, entered, release = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with locks.rebuilding("test"):
            held.set()
            release.wait(10)

    def second() -> None:
        held.wait(10)
        with locks.rebuilding("test"):
            entered.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    held.wait(10)
    assert not entered.wait(0.3), "the second took the lock while the first held it"
    release.set()
    assert entered.wait(10), "the second never got the lock"
    for t in threads:
        t.join()


@pytest.mark.parametrize("arrays_from", [1, 10**9], ids=["arrays", "row by row"])
@pytest.mark.parametrize("batch", [5_000, 13])
def test_events_applied_many_at_a_time_write_the_rows_of_one_command_at_a_time(
    system, clock, monkeypatch, batch, arrays_from
) -> None:
    """A sweep's chunk or a catch-up applies many events at once (the open rows read ahead, new
    rows written at the end, a row inserted and retired in the same apply never written): the
    rows are those the commands wrote one at a time, rewrites of history included."""
    population = Varied(system, clock, 5)
    for _ in range(300):
        population.step()
    live = _rows(system)
    assert any(r["recorded_to"] for r in live["sl_register_intervals"]), "rewrites among the events"
    assert any(r["recorded_to"] for r in live["sl_register_listings"]), "listings rewritten among them"

    monkeypatch.setattr(base, "REBUILD_BATCH", batch)
    monkeypatch.setattr(database, "ARRAYS_FROM", arrays_from)  # PostgreSQL: as arrays (unnest) or a statement per row
    base.Projection.rebuild(system.register_history)  # the whole log through `apply`, `batch` events at a time

    assert _rows(system) == live

"""Snapshots: every aggregate the demo builds survives a snapshot stored and read back exactly,
and with snapshots on, loads and as-of reads give the same states as replaying every event."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid5

import pytest

from application.context import system_context
from application.demo import _NS, seed_demo
from domain.organization import Organization
from tests.support.fakes import CountingIds, CountingTokens


def _aggregate_ids(system) -> list[UUID]:  # type: ignore[no-untyped-def]
    return list(dict.fromkeys(n.originator_id for n in system.store.recorder.select_notifications(start=1, limit=100_000)))


@pytest.mark.usefixtures("demo")
def test_every_demo_aggregate_survives_a_snapshot(system) -> None:
    store = system.store
    kinds = set()
    for aggregate_id in _aggregate_ids(system):
        original = store.repository.get(aggregate_id)
        snapshot = type(original).Snapshot.take(original)
        restored = store.mapper.to_domain_event(store.mapper.to_stored_event(snapshot)).mutate(None)
        assert type(restored) is type(original)
        assert vars(restored) == vars(original), type(original).__name__
        kinds.add(type(original).__name__)
    assert {"Organization", "CreditRecord", "Evaluation", "Expert", "FundingRound", "Project", "Inspection"} <= kinds


@pytest.fixture
def snapshotting(settings, clock):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from infra.wiring import build_system

    built = build_system(replace(settings, snapshot_interval=3), clock=clock, ids=CountingIds(), tokens=CountingTokens())
    yield built
    built.close()


def test_loads_and_as_of_reads_from_snapshots_equal_a_full_replay(snapshotting, clock) -> None:
    system = snapshotting
    seed_demo(system, say=lambda _: None)
    hub = uuid5(_NS, "tl-hub")
    ctx = system_context("registrar", "snapshot-test")
    for n in range(8):
        clock.advance(hours=1)
        org = system.organizations.organization(hub)
        system.organizations.change_address(ctx, hub, org.version, f"铜陵市义安区第{n}号")
    snapshots = list(system.store.snapshots.get(hub))
    assert [s.originator_version for s in snapshots] == list(range(3, system.organizations.organization(hub).version + 1, 3))

    events = list(system.store.events.get(hub))
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
        moment = event.timestamp + timedelta(microseconds=1)
        assert system.audit.version_at(hub, moment) == event.originator_version
        assert system.audit.state_at(hub, moment).state == system.audit.state_at_version(hub, event.originator_version).state
        from_snapshot = system.store.repository.get(hub, version=event.originator_version)
        assert vars(from_snapshot) == vars(replayed)
    assert system.audit.version_at(hub, events[0].timestamp - timedelta(microseconds=1)) == 0
    latest = system.organizations.organization(hub)
    assert isinstance(latest, Organization) and latest.profile.address == "铜陵市义安区第7号"


def test_a_cold_read_from_the_last_snapshot_and_the_events_after_it_equals_a_full_replay(snapshotting, settings, clock) -> None:
    """Another instance, nothing cached: each aggregate read in one statement (its last snapshot
    and the events after it) is the state a replay of every event gives."""
    from dataclasses import replace

    from eventsourcing.application import AggregateNotFoundError

    from infra.wiring import build_system

    system = snapshotting
    seed_demo(system, say=lambda _: None)
    hub = uuid5(_NS, "tl-hub")
    ctx = system_context("registrar", "snapshot-test")
    for n in range(4):
        system.organizations.change_address(ctx, hub, None, f"铜陵市义安区第{n}号")
    cold = build_system(replace(settings, snapshot_interval=3), clock=clock, ids=CountingIds(9), tokens=CountingTokens())
    try:
        shapes = set()
        for aggregate_id in _aggregate_ids(system):
            replayed = None
            for event in system.store.events.get(aggregate_id):
                replayed = event.mutate(replayed)
            assert replayed is not None
            last = max((s.originator_version for s in system.store.snapshots.get(aggregate_id)), default=None)
            shapes.add("none" if last is None else "at the last event" if last == replayed.version else "events after")
            loaded = cold.store.repository.get(aggregate_id)
            assert vars(loaded) == vars(replayed), type(replayed).__name__
        assert shapes == {"none", "at the last event", "events after"}
        with pytest.raises(AggregateNotFoundError):
            cold.store.repository.get(uuid5(_NS, "nobody-registered-this"))
    finally:
        cold.close()

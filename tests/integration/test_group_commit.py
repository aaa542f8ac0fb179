"""Saves that arrive together are written in one transaction (infra/persistence/group_commit.py),
yet each keeps its own answer: the one that collides is refused alone, the others are stored
with their links and read models, in order."""

from __future__ import annotations

import threading
import time
from datetime import date

from application.errors import DuplicateIdentifier
from tests.integration.helpers import REGISTRAR, code, profile


def _held_together(system, commands) -> list[object]:  # type: ignore[no-untyped-def]
    """Runs the commands in threads while the writer is held, so that all their saves queue up
    and are written as one group; returns each command's result or exception."""
    group = system.store.recorder._group
    results: list[object] = [None] * len(commands)

    def run(n: int) -> None:
        try:
            results[n] = commands[n]()
        except Exception as e:
            results[n] = e

    with group._cond:
        group._writing = True  # as if another save were being written
    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(commands))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(group._queue) < len(commands) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(group._queue) == len(commands)
    with group._cond:
        group._writing = False
        group._cond.notify_all()
    for t in threads:
        t.join(timeout=60)
    return results


def test_a_group_of_saves_keeps_each_answer(system) -> None:
    existing = system.organizations.register_organization(REGISTRAR, profile("先来的协会"), code(1), date(2015, 6, 1))

    def register(n: int, number: int):  # type: ignore[no-untyped-def]
        return lambda: system.organizations.register_organization(
            REGISTRAR, profile(f"第{n}协会"), code(number), date(2015, 6, 1)
        )

    commands = [register(n, 10 + n) for n in range(5)]
    commands += [register(5, 99), register(6, 99)]  # the same code twice: one of them is refused
    commands += [register(7, 1)]  # the code of an organization already registered: refused
    results = _held_together(system, commands)

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 2 and all(isinstance(r, DuplicateIdentifier) for r in refused), refused
    saved = [r for r in results if not isinstance(r, Exception)]
    assert len(saved) == 6
    for org in [existing, *saved]:
        entry = system.register_view.get(org.id)  # type: ignore[attr-defined]
        assert entry is not None and entry.name == org.profile.name  # type: ignore[attr-defined]
    head = int(system.store.recorder.max_notification_id())
    assert {p.position() for p in system.projections} == {head}  # every read model applied every save
    assert system.integrity.verify().ok  # and every event has its link, in order


def test_a_group_then_single_saves_carry_on(system) -> None:
    results = _held_together(
        system,
        [
            lambda n=n: system.organizations.register_organization(REGISTRAR, profile(f"第{n}会"), code(40 + n), date(2015, 6, 1))
            for n in range(3)
        ],
    )
    assert not any(isinstance(r, Exception) for r in results)
    org = results[0]
    system.organizations.suspend(REGISTRAR, org.id, None)  # type: ignore[attr-defined]
    assert system.register_view.get(org.id).status == "suspended"  # type: ignore[attr-defined,union-attr]
    assert system.integrity.verify().ok


def test_a_saves_recordings_are_its_events_with_the_notification_ids_they_were_stored_under(system) -> None:
    """The event store makes each recording without eventsourcing's `put`, and SQLite inserts a
    save's several events in one statement and derives their ids: each recording must be what
    eventsourcing's would be, the id the one the log holds the event under."""
    from eventsourcing.persistence import Notification, Recording

    system.organizations.register_organization(REGISTRAR, profile("先来的协会"), code(1), date(2015, 6, 1))
    seen: list[list[Recording]] = []
    system.store.on_saved(seen.append)
    org = system.organizations.register_organization(REGISTRAR, profile("后到的协会"), code(2), date(2015, 6, 1))
    (recordings,) = seen
    assert len(recordings) >= 2  # several events in one save
    logged = {n.id: n for n in system.store.recorder.select_notifications(1, 100)}
    for r in recordings:
        stored = logged[r.notification.id]
        assert r == Recording(
            r.domain_event, Notification(stored.originator_id, stored.originator_version, stored.topic, stored.state, stored.id)
        )
        assert (r.domain_event.originator_id, r.domain_event.originator_version) == (
            stored.originator_id,
            stored.originator_version,
        )
    assert org.id in {r.domain_event.originator_id for r in recordings}
    assert system.integrity.verify().ok

"""Several processes on one SQLite file (`serve --workers N`, a CLI beside the server) take turns
to write through a lock file beside it (infra/persistence/writers.py), instead of polling
SQLite's write lock; what they write is all there, linked and projected."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import date
from pathlib import Path
from typing import Any

from application.queries.register import RegisterQuery
from infra.persistence.writers import WritersTurn
from infra.wiring import build_system, load_settings
from tests.integration.helpers import REGISTRAR, code, profile


def _settings(data_dir: Path):  # type: ignore[no-untyped-def]
    return load_settings(data_dir=data_dir, database_url="", scheduler=False, secret_key="t")


def test_a_save_waits_while_another_writer_holds_the_turn(tmp_path: Path) -> None:
    system = build_system(_settings(tmp_path))
    try:
        org = system.organizations.register_organization(REGISTRAR, profile("铜陵市某协会"), code(1), date(2015, 6, 1))
        other = WritersTurn(str(system.settings.sqlite_path))  # its own open file, as another process has
        saved = threading.Event()

        def suspend() -> None:
            system.organizations.suspend(REGISTRAR, org.id, None)
            saved.set()

        with other.turn():
            writer = threading.Thread(target=suspend)
            writer.start()
            assert not saved.wait(0.5), "the save was written during another writer's turn"
        assert saved.wait(30), "the save did not follow when the turn was let go"
        writer.join()
        other.close()
        assert system.register_view.get(org.id).status == "suspended"  # type: ignore[union-attr]
    finally:
        system.close()


def test_a_turn_is_free_for_a_database_in_memory() -> None:
    with WritersTurn(":memory:").turn(), WritersTurn("").turn():
        pass


def _register(data_dir: str, first: int, count: int, together: Any) -> None:
    system = build_system(_settings(Path(data_dir)))
    try:
        together.wait(60)  # both built: they write at the same time
        for n in range(first, first + count):
            system.organizations.register_organization(REGISTRAR, profile(f"第{n}协会"), code(n), date(2015, 6, 1))
    finally:
        system.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    build_system(_settings(tmp_path)).close()  # the tables, before both start
    spawn = multiprocessing.get_context("spawn")
    together = spawn.Barrier(2)
    writers = [spawn.Process(target=_register, args=(str(tmp_path), first, 150, together)) for first in (1, 201)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=120)
        assert w.exitcode == 0
    system = build_system(_settings(tmp_path))
    try:
        assert system.register_view.search(RegisterQuery()).total == 300
        head = int(system.store.recorder.max_notification_id())
        assert {p.position() for p in system.projections} == {head}
        assert system.integrity.verify().ok
    finally:
        system.close()

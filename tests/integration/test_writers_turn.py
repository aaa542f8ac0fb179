"""Several processes on one SQLite file (`serve --workers N`, a CLI beside the server) take turns
to write through a lock file beside it (infra/persistence/writers.py), instead of polling
SQLite's write lock; what they write is all there, linked and projected."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

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
        other = WritersTurn(str(system.settings.sqlite_path), 30)  # its own open file, as another process has
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


def test_a_turn_is_free_for_a_database_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # where a lock file named after ":memory:" would be made
    with WritersTurn(":memory:", 1).turn(), WritersTurn("file::memory:?cache=shared", 1).turn(), WritersTurn("", 1).turn():
        pass
    assert list(tmp_path.iterdir()) == []


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


def test_the_turns_file_has_the_databases_permissions(tmp_path: Path) -> None:
    system = build_system(_settings(tmp_path))
    try:
        database = system.settings.sqlite_path
        os.chmod(database, 0o640)
        (tmp_path / f"{database.name}-writers").unlink(missing_ok=True)  # made anew at the next first save
        system.store.recorder._writers.close()  # type: ignore[attr-defined]
        before = os.umask(0o022)
        try:
            system.organizations.register_organization(REGISTRAR, profile("铜陵市某协会"), code(1), date(2015, 6, 1))
        finally:
            os.umask(before)
        made = os.stat(f"{database}-writers")
        assert made.st_mode & 0o777 == 0o640
        assert (made.st_uid, made.st_gid) == (os.stat(database).st_uid, os.stat(database).st_gid)
    finally:
        system.close()


def test_a_save_without_its_turn_is_still_saved(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The lock file cannot be opened (here a folder stands in its way; elsewhere another user's
    file): the saves wait on SQLite's lock alone, and the log says so once."""
    system = build_system(_settings(tmp_path))
    try:
        system.store.recorder._writers.close()  # type: ignore[attr-defined]
        blocking = Path(f"{system.settings.sqlite_path}-writers")
        blocking.unlink(missing_ok=True)
        blocking.mkdir()
        with caplog.at_level(logging.WARNING, logger="starledger"):
            first = system.organizations.register_organization(REGISTRAR, profile("第一协会"), code(1), date(2015, 6, 1))
            second = system.organizations.register_organization(REGISTRAR, profile("第二协会"), code(2), date(2015, 6, 1))
        assert system.register_view.get(first.id) is not None and system.register_view.get(second.id) is not None
        warned = [r.getMessage() for r in caplog.records if "take no turns" in r.getMessage()]
        assert len(warned) == 1 and str(blocking) in warned[0]
    finally:
        system.close()


def test_a_turn_held_past_the_busy_timeout_refuses_the_save_as_sqlite_would(tmp_path: Path) -> None:
    """A holder that hangs holds SQLite's lock too: the save is refused after the timeout
    ("database is locked", which the server answers 503), not kept waiting for ever."""
    database = str(tmp_path / "db.sqlite3")
    Path(database).touch()
    holder, waiter = WritersTurn(database, 5), WritersTurn(database, 0.2)
    with holder.turn():
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), waiter.turn():
            pass
        assert 0.2 <= time.monotonic() - started < 5
    with waiter.turn():  # let go: the next one takes it
        pass
    holder.close()
    waiter.close()

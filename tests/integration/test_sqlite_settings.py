"""SQLite's settings reach every connection: ours (read models' queries, sweeps' chunks) and the
event store's pool, whose connections eventsourcing opens (its writes are most of a sweep)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from infra.wiring import build_system, load_settings
from tests.integration.helpers import REGISTRAR, code, profile, sqlite_statements

EXPECTED = (-65536, 20000, 256 * 1024 * 1024)
ASKED = ("PRAGMA cache_size", "PRAGMA wal_autocheckpoint", "PRAGMA soft_heap_limit")


def test_our_connections_and_the_event_stores_have_the_page_cache_and_checkpoint(tmp_path: Path) -> None:
    system = build_system(load_settings(data_dir=tmp_path, database_url="", scheduler=False, secret_key="t"))
    try:
        with system.database.transaction() as tx:
            assert tuple(tx.execute(pragma).scalar() for pragma in ASKED) == EXPECTED
        with system.store.recorder.datastore.transaction(commit=False) as cursor:
            found = []
            for pragma in ASKED:
                cursor.execute(pragma)
                found.append(cursor.fetchone()[0])
        assert tuple(found) == EXPECTED
    finally:
        system.close()


def test_a_read_of_the_log_is_one_statement_and_a_save_one_transaction(tmp_path: Path, monkeypatch: Any) -> None:
    """eventsourcing wrapped every read in BEGIN and ROLLBACK: three calls into SQLite, each
    releasing and retaking the GIL, where one SELECT reads a consistent state on its own."""
    said = sqlite_statements(monkeypatch)
    system = build_system(load_settings(data_dir=tmp_path, database_url="", scheduler=False, secret_key="t"))
    try:
        org = system.organizations.register_organization(REGISTRAR, profile("铜陵市某协会"), code(1), date(2015, 6, 1))
        said.clear()
        system.store.repository.get(org.id)  # read cold: the last snapshot and the events after it together
        assert system.store.repository.get(org.id).version == org.version  # from the cache, and the events after it
        assert [s.split()[0] for s in said] == ["WITH", "SELECT"], said

        said.clear()
        system.organizations.rename(REGISTRAR, org.id, org.version, "铜陵市某协会(更名)")
        words = [s.split()[0] for s in said]
        assert words.count("BEGIN") == words.count("COMMIT") >= 1 and "ROLLBACK" not in words, said
    finally:
        system.close()

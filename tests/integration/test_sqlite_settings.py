"""SQLite's settings reach every connection: ours (read models' queries, sweeps' chunks) and the
event store's pool, whose connections eventsourcing opens (its writes are most of a sweep)."""

from __future__ import annotations

from pathlib import Path

from infra.wiring import build_system, load_settings

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

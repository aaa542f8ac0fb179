"""Read-model tables declared `clustered` are one B-tree in their key's order on SQLite (WITHOUT
ROWID), and plain tables on PostgreSQL, however they were made: created with the schema or
rebuilt in bulk under another name."""

from __future__ import annotations

from typing import Any

from infra.read_models import READ_MODELS

CLUSTERED = {table for kind in READ_MODELS for table in kind.clustered}
ALL = {table for kind in READ_MODELS for table in kind.tables}


def test_the_clustered_tables_are_without_rowid_on_sqlite_only(system: Any) -> None:
    assert "sl_register_entries" in CLUSTERED <= ALL
    with system.database.transaction() as tx:
        if tx.dialect == "sqlite":
            made = dict(tx.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").tuples())
            assert {t for t in ALL if made[t].rstrip().endswith("WITHOUT ROWID")} == CLUSTERED
        else:
            made = dict(
                tx.execute(
                    "SELECT relname, relkind FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
                ).tuples()
            )
            assert all(made[t] == "r" for t in ALL)


def test_a_table_made_under_another_name_is_clustered_as_declared() -> None:
    for kind in READ_MODELS:
        for table in kind.tables:
            sqlite, postgres = (kind.table_ddl(table, f"{table}_rebuild", d) for d in ("sqlite", "postgres"))
            assert sqlite.startswith(f"{table}_rebuild (") and postgres.startswith(f"{table}_rebuild (")
            assert sqlite.endswith(" WITHOUT ROWID") == (table in CLUSTERED)
            assert "WITHOUT ROWID" not in postgres

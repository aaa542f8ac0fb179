"""The one list of read models: each after those it reads, names and tables declared once."""

from __future__ import annotations

from infra.read_models import READ_MODELS, read_model_statements


def test_each_read_model_comes_after_those_it_reads() -> None:
    for position, kind in enumerate(READ_MODELS):
        assert set(kind.reads) <= set(READ_MODELS[:position]), kind.name


def test_names_and_tables_are_declared_once() -> None:
    names = [kind.name for kind in READ_MODELS]
    tables = [table for kind in READ_MODELS for table in kind.tables]
    assert len(set(names)) == len(names) and all(names)
    assert len(set(tables)) == len(tables)
    assert all(kind.version > 0 and kind.tables for kind in READ_MODELS)


def test_every_table_and_index_is_created_on_both_databases() -> None:
    for dialect in ("sqlite", "postgres"):
        statements = read_model_statements(dialect)
        for kind in READ_MODELS:
            for table in kind.tables:
                assert f"CREATE TABLE IF NOT EXISTS {table} (" in "\n".join(statements)
            assert set(kind.indexes) <= set(statements)

"""The tests' PostgreSQL databases used again: a database given back holds what a new one holds,
or it is dropped; never does a test see what the test before it wrote."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.database_pool import DatabasePool, Fresh

pytestmark = pytest.mark.postgres


@pytest.fixture
def pool(pg_admin_url: str):  # type: ignore[no-untyped-def]
    pool = DatabasePool(pg_admin_url)
    yield pool
    pool.drop_all()


def exists(admin_url: str, url: str) -> bool:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url) as conn:
        return conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone() == (1,)


def test_a_database_given_back_is_as_a_fresh_one_and_handed_out_again(pool: DatabasePool, pg_admin_url: str) -> None:
    url = pool.take()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO sl_read_models (name, version) VALUES ('a test''s', 1)")
        conn.execute("UPDATE sl_tracking SET position = 42")
        conn.execute("SELECT nextval(%s)", (pool.fresh.sequences[0],))  # type: ignore[union-attr]
        holder = psycopg.connect(url)  # a connection the test forgot to close
    pool.give_back(url)
    assert _refused(holder)  # cut off, so that the next test has the database to itself
    holder.close()
    assert pool.take() == url
    with psycopg.connect(url, autocommit=True) as conn:
        again = Fresh.read(conn)
        assert again.rows == pool.fresh.rows  # type: ignore[union-attr]
        assert conn.execute("SELECT nextval(%s)", (again.sequences[0],)).fetchone() == (1,)
    pool.drop_all()  # as at the session's end: a database still handed out is dropped too, not left behind
    assert not exists(pg_admin_url, url)


def _refused(conn: psycopg.Connection) -> bool:  # type: ignore[type-arg]
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return True
    return False


def test_a_database_whose_schema_changed_is_dropped(pool: DatabasePool, pg_admin_url: str) -> None:
    url = pool.take()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE INDEX a_tests_index ON sl_tracking (position)")
    pool.give_back(url)
    assert not exists(pg_admin_url, url) and pool.idle == []

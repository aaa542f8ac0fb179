"""Shared fixtures: the same test body runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from $STARLEDGER_TEST_DATABASE_URL, else 127.0.0.1:5432, else a throwaway
cluster started from the binaries; if there is none, PostgreSQL tests are skipped with the
reason, except under CI=true where that is a failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.database_pool import DatabasePool
from tests.support.demo_template import DemoTemplates, Seeded
from tests.support.fakes import CountingIds, CountingSeeds, CountingTokens, SteppingClock

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI requires this test to run, but: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    url, cluster, how = postgres.find_server()
    if url is None:
        skip_or_fail(f"PostgreSQL tests skipped: {how}")
    print(f"\nPostgreSQL for tests: {how}")
    yield url  # type: ignore[misc]
    if cluster is not None:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_pool(pg_admin_url: str) -> Iterator[DatabasePool]:
    pool = DatabasePool(pg_admin_url)
    yield pool
    pool.drop_all()


@pytest.fixture
def pg_url(pg_admin_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    release: Callable[[str], None] = partial(postgres.drop_database, pg_admin_url)
    if wants_demo(request):  # a copy of the session's seeded demo database
        templates: DemoTemplates = request.getfixturevalue("demo_templates")
        templates.get("postgres", pg_admin_url)
        url = templates.create_postgres(pg_admin_url)
    elif request.node.get_closest_marker("fresh_database"):
        url = postgres.create_database(pg_admin_url)
    else:  # an emptied one, if there is one
        pool: DatabasePool = request.getfixturevalue("pg_pool")
        url, release = pool.take(), pool.give_back
    yield url
    release(url)


# A test that asks for the demo data (the `demo` fixture, directly or through `client` or `site`)
# starts from a copy of the session's seeded store instead of seeding its own.
DEMO_FIXTURES = frozenset({"demo"})


def wants_demo(request: pytest.FixtureRequest) -> bool:
    return bool(DEMO_FIXTURES.intersection(request.fixturenames))


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTemplates]:
    templates = DemoTemplates(tmp_path_factory.mktemp("demo-templates"))
    yield templates
    templates.drop()


def _demo(request: pytest.FixtureRequest) -> Seeded | None:
    """The seeded demo this test copies (its counters go on from it), or None."""
    if not wants_demo(request):
        return None
    backend = request.getfixturevalue("backend")
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgres" else None
    templates: DemoTemplates = request.getfixturevalue("demo_templates")
    return templates.get(backend, admin)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    from infra.wiring import load_settings

    url = request.getfixturevalue("pg_url") if backend == "postgres" else ""
    if backend == "sqlite" and _demo(request) is not None:
        request.getfixturevalue("demo_templates").copy_sqlite(tmp_path / "data")
    return load_settings(data_dir=tmp_path / "data", database_url=url, scheduler=False, secret_key="test-secret")


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> SteppingClock:
    seeded = _demo(request)
    return seeded.clock() if seeded else SteppingClock()


@pytest.fixture
def system(settings, clock, request):  # type: ignore[no-untyped-def]
    from infra.wiring import build_system

    seeded = _demo(request)
    fakes = seeded.fakes() if seeded else {"ids": CountingIds(), "tokens": CountingTokens(), "seeds": CountingSeeds()}
    built = build_system(settings, clock=clock, **fakes)
    yield built
    built.close()


@pytest.fixture
def demo(system):  # type: ignore[no-untyped-def]
    """The system holding the demo data. Its store is a copy of the seeded one, so seeding finds
    the demo there and writes nothing."""
    from application.demo import seed_demo

    assert seed_demo(system, say=lambda _: None) is False, "the store should be a copy of the seeded demo"
    return system


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        skip_or_fail("browser tests skipped: no chromium (apt-get install chromium)")
    return path  # type: ignore[return-value]

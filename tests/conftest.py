"""Shared fixtures: the same test body runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from $STARLEDGER_TEST_DATABASE_URL, else 127.0.0.1:5432, else a throwaway
cluster started from the binaries; if there is none, PostgreSQL tests are skipped with the
reason, except under CI=true where that is a failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import postgres
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


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    url = postgres.create_database(pg_admin_url)
    yield url
    postgres.drop_database(pg_admin_url, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    from infra.wiring import load_settings

    url = request.getfixturevalue("pg_url") if backend == "postgres" else ""
    return load_settings(data_dir=tmp_path / "data", database_url=url, scheduler=False, secret_key="test-secret")


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def system(settings, clock):  # type: ignore[no-untyped-def]
    from infra.wiring import build_system

    built = build_system(settings, clock=clock, ids=CountingIds(), tokens=CountingTokens(), seeds=CountingSeeds())
    yield built
    built.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        skip_or_fail("browser tests skipped: no chromium (apt-get install chromium)")
    return path  # type: ignore[return-value]

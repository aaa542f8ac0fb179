"""On a machine without a running server, the suite starts its own PostgreSQL from the
binaries: this proves that path works (here, beside the local server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.integration.helpers import REGISTRAR, code, profile
from tests.support import postgres

pytestmark = pytest.mark.postgres


def test_a_throwaway_cluster_starts_serves_the_registry_and_stops(tmp_path: Path) -> None:
    bin_dir = postgres.binaries()
    if bin_dir is None:
        skip_or_fail("no PostgreSQL binaries (initdb) on this machine")
    cluster = postgres.ThrowawayCluster(bin_dir).start()
    try:
        from infra.wiring import build_system, load_settings

        url = postgres.create_database(cluster.url)
        system = build_system(load_settings(data_dir=tmp_path, database_url=url, secret_key="x", scheduler=False))
        try:
            org = system.organizations.register_organization(REGISTRAR, profile(), code(1))
            assert system.register_view.get(org.id).name == profile().name
            assert system.backend == "postgres"
        finally:
            system.close()
    finally:
        cluster.stop()
    assert not postgres.answers(cluster.url)

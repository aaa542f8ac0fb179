"""What several figures share: the bench's actor, generated profiles and codes, and throwaway
PostgreSQL databases. Figures import it, never `bench.__main__` (which imports them)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import psycopg

from application.context import CommandContext
from domain.organization import Organization, OrganizationType, Profile
from domain.provenance import Actor, Role
from domain.uscc import complete_code

ADMIN_URL = os.environ.get("STARLEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CTX = CommandContext(Actor("bench", Role.REGISTRAR), "bench")


def profile(n: int) -> Profile:
    return Profile(f"基准测试社会组织{n:07d}", OrganizationType.SOCIAL_ASSOCIATION, "张三", "铜陵市郊区", "340711", "铜陵市郊区")


def code(n: int) -> str:
    return complete_code(f"51340711MJ{n:07d}")


def fresh_pg_database() -> tuple[str, Callable[[], None]]:
    """A new empty PostgreSQL database's URL, and what drops it."""
    name = f"sl_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlsplit(ADMIN_URL)._replace(path=f"/{name}").geturl(), drop


def settle(database_url: str) -> None:
    """On PostgreSQL, the tables as autovacuum leaves them between jobs: statistics that know
    how many rows there are and how many are open, and the visibility map (index-only scans).
    The benches' servers run with autovacuum off (CI's configuration): without this the planner
    guessed a freshly loaded register by its defaults and read every open interval for each
    chunk's 500 organizations (1.4 s a query; the credit sweep at 100,000 took 377 s)."""
    if database_url:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def register_in_batches(
    system: Any, now: Callable[[], datetime], size: int, show: Callable[[int, int], object] = lambda *_: None
) -> list[UUID]:
    """`size` organizations registered 500 to a transaction, as a migration would load them (the
    figures measure what comes after); their ids."""
    ids: list[UUID] = []
    for start in range(0, size, 500):
        batch = [
            Organization.register(
                id=system.ids.new_id(),
                profile=profile(n),
                code=code(n),
                registered_on=date(2015, 1, 1),
                provenance=CTX.provenance(now()),
            )
            for n in range(start, min(size, start + 500))
        ]
        system.store.save(*batch)
        ids.extend(o.id for o in batch)
        show(len(ids), size)
    return ids

"""The demo data seeded once per test session and database, then copied into each test that asks
for it (the `client` and `site` fixtures): seeding it took over a second a test, hundreds of times.

A copy is the store exactly as seeding left it (a SQLite file; a PostgreSQL database made with
the template as TEMPLATE), and the test's clock, ids, tokens and seeds go on from where seeding
left them, so nothing the test makes can take an id or an instant the demo already used."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from tests.support.fakes import CountingIds, CountingSeeds, CountingTokens, SteppingClock

SQLITE_FILE = "starledger.sqlite3"


@dataclass(frozen=True)
class Seeded:
    """Where the seeded store is, and where the counters stood after seeding."""

    source: str  # the SQLite file, or the PostgreSQL template database's name
    clock_at: datetime
    next_id: int
    next_token: int
    next_seed: int

    def clock(self) -> SteppingClock:
        return SteppingClock(self.clock_at)

    def fakes(self) -> dict[str, object]:
        return {
            "ids": CountingIds(start=self.next_id),
            "tokens": CountingTokens(self.next_token),
            "seeds": CountingSeeds(self.next_seed),
        }


class DemoTemplates:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seeded: dict[str, Seeded] = {}
        self.admin_url: str | None = None

    def get(self, backend: str, admin_url: str | None = None) -> Seeded:
        if backend not in self.seeded:
            self.seeded[backend] = self._seed(backend, admin_url)
        return self.seeded[backend]

    def _seed(self, backend: str, admin_url: str | None) -> Seeded:
        from application.demo import seed_demo
        from infra.wiring import build_system, load_settings

        data = self.folder / backend
        url = ""
        if backend == "postgres":
            assert admin_url is not None
            self.admin_url = admin_url
            name = f"sl_demo_template_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = urlsplit(admin_url)._replace(path=f"/{name}").geturl()
        clock, ids, tokens, seeds = SteppingClock(), CountingIds(), CountingTokens(), CountingSeeds()
        settings = load_settings(data_dir=data, database_url=url, scheduler=False, secret_key="test-secret")
        system = build_system(settings, clock=clock, ids=ids, tokens=tokens, seeds=seeds)
        try:
            seed_demo(system, say=lambda _: None)
        finally:
            system.close()
        if backend == "sqlite":
            with sqlite3.connect(data / SQLITE_FILE) as conn:  # the write-ahead log into the file: one file to copy
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        source = name if backend == "postgres" else str(data / SQLITE_FILE)
        return Seeded(source, clock.current, ids.next_value, tokens.next_value, seeds.next_value)

    def copy_sqlite(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.seeded["sqlite"].source, data_dir / SQLITE_FILE)

    def create_postgres(self, admin_url: str) -> str:
        """A new database, a copy of the seeded template; its URL."""
        name = f"sl_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.seeded["postgres"].source}"')
        return urlsplit(admin_url)._replace(path=f"/{name}").geturl()

    def drop(self) -> None:
        seeded = self.seeded.get("postgres")
        if seeded is not None and self.admin_url is not None:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{seeded.source}" WITH (FORCE)')

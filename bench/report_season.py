"""Annual-report season (年报季): N organizations, each signed in as itself, file their annual report
over HTTP at C concurrent clients (read the report for its version, then submit it with the report
in the body and If-Match), next to the bare PUT at the same concurrency in the same server.

`python -m bench.report_season [--organizations N] [--clients C] [--database sqlite|postgres|URL]`.
Preparation is not measured: organizations registered in batches, their accounts (one argon2 hash
of the bench password shared by all, so 10,000 accounts do not take minutes of hashing) and
sessions, the year's campaign, and the documents the rule set asks for attached to each report."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from application.documents import accept
from bench.common import CTX, fresh_pg_database, profile, register_in_batches
from bench.http_load import _figures, _free_port, _wait, cpu_per_request, server_cpu
from bench.population import BATCH
from domain.documents import slot
from domain.inspection import Inspection
from infra.wiring import build_system, load_settings
from interfaces.progress import progress_bars

PASSWORD = "bench-season-password"
REPORT = {
    "activities": "全年开展社区服务 48 场",
    "income": "426000.00",
    "expenditure": "401250.80",
    "net_assets": "118000",
    "staff": 6,
    "volunteers": 85,
    "party_organization": True,
}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class _OneHash:
    """Preparation only: every bench account has the same password, so one argon2 hash serves them
    all (the server verifies nothing here: the sessions are opened in preparation too)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.hashed: dict[str, str] = {}

    def hash(self, password: str) -> str:
        if password not in self.hashed:
            self.hashed[password] = self.inner.hash(password)
        return self.hashed[password]

    def verify(self, hashed: str, password: str) -> bool:
        return self.hashed.get(password) == hashed or bool(self.inner.verify(hashed, password))


@dataclass(frozen=True)
class Filer:
    organization_id: str
    token: str


def prepare(data_dir: Path, url: str, organizations: int, year: int) -> list[Filer]:
    """The organizations, their accounts and sessions, the campaign, each report's documents."""
    system = build_system(load_settings(data_dir=data_dir, database_url=url, secret_key="b", scheduler=False))
    system.accounts.hasher = _OneHash(system.accounts.hasher)
    filers = []
    try:
        with progress_bars() as bars:
            show = bars(f"preparing {organizations:,} organizations")
            ids = register_in_batches(system, system.clock.now, organizations)
            campaign = system.inspections.open_campaign(CTX, year, "3407")
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                _open_reports(system, campaign, chunk)
                for n, org_id in enumerate(chunk, start):
                    system.accounts.add_user(f"season-{n}", PASSWORD, "organization", None, org_id)
                    filers.append(Filer(str(org_id), system.accounts.login(f"season-{n}", PASSWORD).token))
                show(start + len(chunk), organizations)
    finally:
        system.close()
    return filers


def _open_reports(system: Any, campaign: Any, chunk: list[Any]) -> None:
    """Each organization's report opened with the documents the rule set asks for, a chunk per
    transaction, by the domain's own methods (the application's way is a command per document)."""
    rule_set = system.rules.get(campaign.rule_set.id, campaign.rule_set.version)
    at = CTX.provenance(system.clock.now(), rule_set.ref)
    upload = system.documents.upload()
    upload.write(PDF)
    stored = upload.finish()  # the same bytes for every report: stored once
    reports = []
    for org_id in chunk:
        report = Inspection.open(org_id, campaign, False, at)
        for key in rule_set.inspection.documents_required(profile(0).org_type.value):
            kind = slot(key)
            ref = accept(system.documents, stored, kind.key, f"{key}.pdf", kind.types)
            report.attach_document(kind, ref, kind.public, at)
        reports.append(report)
    upload.discard()
    system.store.save(*reports)


async def _file(base: str, filers: list[Filer], clients: int, year: int) -> tuple[int, list[float], int, float]:
    """Each client takes the next organization until none is left: read, then submit."""
    queue: asyncio.Queue[Filer] = asyncio.Queue()
    for f in filers:
        queue.put_nowait(f)
    latencies: list[float] = []
    failures = 0

    async def client() -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while not queue.empty():
                f = queue.get_nowait()
                headers = {"Authorization": f"Bearer {f.token}"}
                url = f"/api/organizations/{f.organization_id}/inspections/{year}"
                started = time.perf_counter()
                current = await http.get(url, headers=headers)
                answer = await http.post(
                    f"{url}/submission", json=REPORT, headers={**headers, "If-Match": current.headers.get("etag", "")}
                )
                latencies.append(time.perf_counter() - started)
                failures += current.status_code != 200 or answer.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies), latencies, failures, time.perf_counter() - started


async def _bare(base: str, clients: int, seconds: float) -> tuple[int, list[float], int]:
    from bench.http_load import _drive

    return await _drive(base, [("/api/bench/bare", {}, REPORT)] * clients, seconds)


def run(organizations: int, clients: int, url: str, say: Callable[[str], None] = print) -> None:
    year = date.today().year - 1
    with tempfile.TemporaryDirectory() as data_dir:
        filers = prepare(Path(data_dir), url, organizations, year)
        port = _free_port()
        env = {**os.environ, "STARLEDGER_LOG_LEVEL": "warning"}
        server = subprocess.Popen([sys.executable, "-m", "bench.http_server", data_dir, str(port), url], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            count, latencies, failed = asyncio.run(_bare(base, clients, 8.0))
            rate, p50, p99 = _figures(count, latencies, 8.0)
            say(
                f"{'bare Litestar PUT, ' + str(clients) + ' clients':44} {rate:10,.0f} {p50:8.1f} {p99:8.1f} {'-':>8} {failed:7d}"
            )
            cpu = server_cpu(server.pid)
            count, latencies, failed, seconds = asyncio.run(_file(base, filers, clients, year))
            used = cpu_per_request(cpu, server_cpu(server.pid), count)
            filed, f50, f99 = _figures(count, latencies, seconds)
            label = f"reports filed (read + submit), {clients} clients"
            say(f"{label:44} {filed:10,.0f} {f50:8.1f} {f99:8.1f} {filed / rate:8.0%} {failed:7d}")
            say(
                f"{count:,} organizations filed in {seconds:.1f} s"
                + ("" if used is None else f"; the server's CPU {used:.2f} ms a filing")
            )
        finally:
            server.terminate()
            server.wait(timeout=20)


def report(organizations: int, clients: int, backend: str) -> None:
    """The season's figure on one database (a throwaway PostgreSQL database for "postgres")."""
    url, drop = fresh_pg_database() if backend == "postgres" else (backend if "://" in backend else "", lambda: None)
    name = "PostgreSQL" if url else "SQLite"
    print(f"\nAnnual-report season on {name}: {organizations:,} organizations, {clients} clients", flush=True)
    print(f"{'measurement':44} {'per second':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'errors':>7}", flush=True)
    try:
        run(organizations, clients, url, lambda line: print(line, flush=True))
    finally:
        drop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_season", description=__doc__)
    parser.add_argument("--organizations", type=int, default=10_000, help="organizations filing (default 10000)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent HTTP clients (default 64)")
    parser.add_argument("--database", default="postgres", help="sqlite, postgres (a throwaway database) or a URL")
    args = parser.parse_args(argv)
    logging.getLogger("starledger").setLevel(logging.WARNING)  # a line per event would be the bench
    report(args.organizations, args.clients, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())

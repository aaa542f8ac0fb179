"""Faults on real processes over loopback, on PostgreSQL (issue 8):

- `starledger serve` killed with SIGKILL under write load: every registration answered 201 is in
  the log with its identifier claim (no half-saved command), retrying the requests whose answer
  was lost (same Idempotency-Key) creates nothing twice, the read models after the restart equal
  a rebuild from scratch, and the integrity chain verifies;
- PostgreSQL stopped and started under load: meanwhile clients get 503 problem+json with
  Retry-After, afterwards the pool recovers by itself and nothing acknowledged is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.demo import DEMO_PASSWORD
from application.queries.register import RegisterQuery
from infra.wiring import build_system, load_settings
from tests.conftest import skip_or_fail
from tests.integration.helpers import code
from tests.integration.test_integrity import read_models
from tests.support import postgres
from tests.support.server import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

ROOT = Path(__file__).resolve().parents[2]
NAME = "故障演练协会"
WRITERS = 6


class ServeProcess:
    """`starledger serve` as a child process, the way it runs in production."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "serve.log"
        self.env = {
            **os.environ,
            "STARLEDGER_DATABASE_URL": database_url,
            "STARLEDGER_DATA_DIR": str(tmp_path / "data"),
            "STARLEDGER_HOST": "127.0.0.1",
            "STARLEDGER_PORT": str(self.port),
            "STARLEDGER_SCHEDULER": "off",
            "STARLEDGER_SECRET_KEY": "fault-tests",
            "STARLEDGER_LOG_LEVEL": "warning",
            "STARLEDGER_DB_POOL_SIZE": "8",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> ServeProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "interfaces.cli", "serve", *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited:\n{self.log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve did not answer /health:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def registration(n: int) -> dict[str, Any]:
    profile = {
        "name": f"{NAME}{n}",
        "org_type": "social_association",
        "legal_representative": "周敏",
        "address": "铜陵市郊区桥南街道",
        "division_code": "340711",
        "district": "铜陵市郊区",
    }
    return {"profile": profile, "code": code(n)}


@dataclass
class Writer:
    """One client registering organizations as fast as it is answered."""

    number: int
    headers: dict[str, str]
    acknowledged: dict[str, str] = field(default_factory=dict)  # Idempotency-Key → organization id
    unanswered: dict[str, dict[str, Any]] = field(default_factory=dict)  # sent, answer lost or refused
    statuses: Counter[int] = field(default_factory=Counter)
    not_problems: list[str] = field(default_factory=list)  # non-2xx answers that were not problem+json
    lock: threading.Lock = field(default_factory=threading.Lock)  # the test reads while the writer writes

    def run(self, base: str, stop: threading.Event, until_dead: bool) -> None:
        with httpx.Client(base_url=base, timeout=15) as http:
            for i in range(1, 100_000):
                if stop.is_set():
                    return
                key, body = f"writer{self.number}-{i}", registration(self.number * 10_000 + i)
                if not self.send(http, key, body) and until_dead:
                    return  # the server is gone

    def send(self, http: httpx.Client, key: str, body: dict[str, Any]) -> bool:
        """True when the server answered at all."""
        try:
            answer = http.post("/api/organizations", json=body, headers={**self.headers, "Idempotency-Key": key})
        except httpx.TransportError:
            with self.lock:
                self.unanswered[key] = body
            time.sleep(0.05)
            return False
        with self.lock:
            self.statuses[answer.status_code] += 1
            if answer.status_code == 201:
                self.acknowledged[key] = answer.json()["id"]
                self.unanswered.pop(key, None)
                return True
            self.unanswered[key] = body
            if not answer.headers.get("content-type", "").startswith("application/problem+json"):
                self.not_problems.append(f"{answer.status_code} {answer.headers.get('content-type')}: {answer.text[:200]}")
        if answer.status_code == 503:
            assert int(answer.headers["retry-after"]) > 0
            time.sleep(0.2)
        return True

    def retry_unanswered(self, base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            for key, body in list(self.unanswered.items()):
                self.send(http, key, body)


def sign_in(base: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/auth/login", json={"username": "registrar", "password": DEMO_PASSWORD}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def under_load(
    base: str, until_dead: bool, acknowledged_first: int
) -> tuple[list[Writer], threading.Event, list[threading.Thread]]:
    """WRITERS clients registering, once the first registrations are acknowledged."""
    writers = [Writer(n, sign_in(base)) for n in range(1, WRITERS + 1)]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(base, stop, until_dead), daemon=True) for w in writers]
    for t in threads:
        t.start()
    wait_for(lambda: len(acknowledged(writers)) >= acknowledged_first, 120, f"{acknowledged_first} acknowledged registrations")
    return writers, stop, threads


def retry_unanswered(base: str, writers: list[Writer]) -> None:
    """What a client does with a request it got no answer for: send it again with the same key."""
    for w in writers:
        w.retry_unanswered(base)
    assert all(not w.unanswered for w in writers), [w.unanswered for w in writers]


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def acknowledged(writers: list[Writer]) -> dict[str, str]:
    found: dict[str, str] = {}
    for w in writers:
        with w.lock:
            found.update(w.acknowledged)
    return found


def assert_log_holds_exactly(database_url: str, tmp_path: Path, expected: dict[str, str]) -> None:
    """Every acknowledged organization is in the log with its claim, there is no other one of
    ours, the read models equal a rebuild, and the chain verifies."""
    settings = load_settings(data_dir=tmp_path / "check", database_url=database_url, scheduler=False, secret_key="x")
    system = build_system(settings)
    try:
        for org_id in expected.values():
            org = system.organizations.organization(org_id)
            assert system.organizations.organization_by_code(org.code).id == org.id  # the claim came with it
        ours = system.register_view.search(RegisterQuery(text=NAME, per_page=1))
        assert ours.total == len(expected)  # nothing created twice, nothing unacknowledged left over
        caught_up = read_models(system)
        for projection in system.projections:
            projection.rebuild()
        assert read_models(system) == caught_up
        verification = system.integrity.verify()
        assert verification.ok, verification.problem
    finally:
        system.close()


def test_kill_9_under_write_load_loses_and_duplicates_nothing(pg_url, tmp_path) -> None:
    server = ServeProcess(tmp_path, pg_url).start("--demo")
    try:
        writers, _, threads = under_load(server.base, until_dead=True, acknowledged_first=120)
        server.kill()  # mid-write: several requests are in flight
        for t in threads:
            t.join(timeout=30)
        before_restart = acknowledged(writers)
        assert all(set(w.statuses) <= {201} for w in writers), [w.statuses for w in writers]
        assert any(w.unanswered for w in writers)  # the kill did cut requests off

        server.start()  # the same database, the same sessions
        retry_unanswered(server.base, writers)
        after = acknowledged(writers)
        assert before_restart.items() <= after.items()
        for org_id in after.values():
            assert httpx.get(f"{server.base}/api/organizations/{org_id}", timeout=10).status_code == 200
    finally:
        server.stop()
    assert_log_holds_exactly(pg_url, tmp_path, after)


@pytest.fixture
def own_cluster() -> Any:
    """A PostgreSQL cluster this test may stop and start (not the shared one)."""
    bin_dir = postgres.binaries()
    if bin_dir is None:
        skip_or_fail("no PostgreSQL binaries (initdb, pg_ctl) to start a cluster that can be restarted")
    cluster = postgres.ThrowawayCluster(bin_dir).start()
    yield cluster
    cluster.stop()


def test_postgres_restarting_under_load_gives_503_then_recovers(own_cluster, tmp_path) -> None:
    database_url = postgres.create_database(own_cluster.url)
    server = ServeProcess(tmp_path, database_url).start("--demo")
    try:
        writers, stop, threads = under_load(server.base, until_dead=False, acknowledged_first=60)
        own_cluster.pause()
        wait_for(lambda: sum(w.statuses[503] for w in writers) >= WRITERS, 60, "503 answers while PostgreSQL is down")
        health = httpx.get(f"{server.base}/health", timeout=30)
        assert health.status_code == 503 and int(health.headers["retry-after"]) > 0
        during = len(acknowledged(writers))
        own_cluster.resume()
        wait_for(lambda: len(acknowledged(writers)) >= during + 60, 120, "60 more acknowledged after the restart")
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert httpx.get(f"{server.base}/health", timeout=10).status_code == 200
        statuses = sum((w.statuses for w in writers), Counter())
        assert set(statuses) <= {201, 503}, statuses  # never a 500 while the database was away
        assert [p for w in writers for p in w.not_problems] == []
        retry_unanswered(server.base, writers)
    finally:
        server.stop()
    assert_log_holds_exactly(database_url, tmp_path, acknowledged(writers))


def worker_processes(supervisor: int) -> set[int]:
    """The server processes `serve --workers N` started (uvicorn spawns each: `spawn_main` in its command line)."""
    children: set[int] = set()
    for task in Path(f"/proc/{supervisor}/task").iterdir():
        children.update(int(pid) for pid in (task / "children").read_text().split())
    found = set()
    for pid in children:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except FileNotFoundError:  # gone meanwhile
            continue
    return found


def test_workers_share_one_port_and_a_killed_one_is_replaced_losing_nothing(pg_url, tmp_path) -> None:
    """`serve --workers 2` on PostgreSQL: two server processes on one port, the scheduler run once
    (by the supervising process); a worker killed under write load is replaced, and every
    registration is there once, after the clients resend what got no answer."""
    server = ServeProcess(tmp_path, pg_url)
    server.env.update(STARLEDGER_SCHEDULER="on", STARLEDGER_LOG_LEVEL="info")
    server.start("--demo", "--workers", "2")
    try:
        assert server.process is not None
        supervisor = server.process.pid
        wait_for(lambda: len(worker_processes(supervisor)) == 2, 60, "two worker processes")
        writers, stop, threads = under_load(server.base, until_dead=False, acknowledged_first=60)
        victim = min(worker_processes(supervisor))
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: victim not in worker_processes(supervisor), 30, "the killed worker gone")
        wait_for(lambda: len(worker_processes(supervisor)) == 2, 60, "the killed worker replaced")
        before = len(acknowledged(writers))
        wait_for(lambda: len(acknowledged(writers)) >= before + 60, 60, "registrations after the replacement")
        stop.set()
        for t in threads:
            t.join(timeout=30)
        retry_unanswered(server.base, writers)
        after = acknowledged(writers)
        assert all(set(w.statuses) <= {201} for w in writers), [w.statuses for w in writers]
        assert not [p for w in writers for p in w.not_problems]
        for org_id in after.values():
            assert httpx.get(f"{server.base}/api/organizations/{org_id}", timeout=10).status_code == 200
    finally:
        server.stop()
    log = server.log.read_text()
    assert log.count("scheduler started") == 1, log[-3000:]  # by the supervisor, not by each worker
    assert_log_holds_exactly(pg_url, tmp_path, after)

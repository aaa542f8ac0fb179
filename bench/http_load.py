"""Score submissions over HTTP at N concurrent clients, next to the bare endpoint in the same server."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from application.context import CommandContext
from domain.organization import OrganizationType, Profile
from domain.provenance import Actor, Role
from domain.scoring import IndicatorScore
from domain.uscc import complete_code
from infra.wiring import build_system, load_settings

CTX = CommandContext(Actor("bench", Role.REGISTRAR), "bench")
PASSWORD = "bench-password"


def prepare(data_dir: Path, url: str, cases: int) -> tuple[list[str], list[dict[str, Any]]]:
    """One case per client, each with the client's evaluator and two more experts."""
    system = build_system(load_settings(data_dir=data_dir, database_url=url, secret_key="b", scheduler=False))
    try:
        opened = open_cases(system, cases)
        sheet = {"scores": [{"key": s.key, "points": str(s.points), "comment": s.comment} for s in opened[0][2]]}
    finally:
        system.close()
    return [str(case_id) for case_id, _, _ in opened], [{"username": user.username, "sheet": sheet} for _, user, _ in opened]


def open_cases(system: Any, cases: int) -> list[tuple[Any, Any, tuple[IndicatorScore, ...]]]:
    """(case id, its evaluator's account, a sheet at 90 % of every maximum) per case."""
    chair = system.accounts.add_user("bench-chair", PASSWORD, "chair")
    opened = []
    scheme = system.rules.get("anhui", 1).evaluation.scheme_for("social_association")
    sheet = tuple(IndicatorScore(i.key, i.maximum * Decimal("0.9"), "良好") for i in scheme.indicators)
    for n in range(cases):
        profile = Profile(f"压测组织{n:04d}", OrganizationType.SOCIAL_ASSOCIATION, "张三", "铜陵", "340711", "铜陵市郊区")
        org = system.organizations.register_organization(CTX, profile, complete_code(f"51340711MJ{n:07d}"), date(2015, 1, 1))
        user = system.accounts.add_user(f"bench-e{n}", PASSWORD, "evaluator")
        experts = [system.evaluations.enroll_expert(CTX, user.id, f"专家{n}", "", "")] + [
            system.evaluations.enroll_expert(CTX, f"other-{n}-{k}", f"他人{k}", "", "") for k in range(2)
        ]
        case = system.evaluations.open_grade_evaluation(CTX, org.id, date(2099, 1, 1), chair.id)
        system.evaluations.check_eligibility(CTX, case.id)
        system.evaluations.assign_panel(CTX, case.id, None, [e.id for e in experts])
        opened.append((case.id, user, sheet))
    return opened


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _drive(base: str, jobs: list[tuple[str, dict[str, str], Any]], seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client(path: str, headers: dict[str, str], body: Any) -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                answer = await http.put(path, json=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                failures += answer.status_code >= 300

    await asyncio.gather(*(client(*job) for job in jobs))
    return len(latencies), latencies, failures


def server_cpu(pid: int) -> float | None:
    """The server's CPU seconds so far, all threads, user and system, its workers' included (Linux's
    /proc; None elsewhere): per request, a figure the load generator's share of two cores cannot blur."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    except OSError:
        return None
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(server_cpu(child) or 0.0 for child in children)


def cpu_per_request(before: float | None, after: float | None, count: int) -> float | None:
    """Milliseconds of the server's CPU per request."""
    return None if before is None or after is None or not count else (after - before) / count * 1000


def _figures(count: int, latencies: list[float], seconds: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return count / seconds, statistics.median(ordered) * 1000, p99 * 1000


Row = tuple[str, float, float, float, int, float | None]  # label, per second, p50, p99, errors, server CPU ms a request


def run(clients: list[int], seconds: float, url: str = "", workers: int = 1) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as data_dir:
        case_ids, users = prepare(Path(data_dir), url, max(clients))
        port = _free_port()
        env = {**os.environ, "STARLEDGER_LOG_LEVEL": "warning"}
        server = subprocess.Popen([sys.executable, "-m", "bench.http_server", data_dir, str(port), url, str(workers)], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            tokens = [
                httpx.post(f"{base}/api/auth/login", json={"username": u["username"], "password": PASSWORD}).json()["token"]
                for u in users
            ]
            for n in clients:
                bare = [("/api/bench/bare", {}, users[i]["sheet"]) for i in range(n)]
                scored = [
                    (f"/api/evaluations/{case_ids[i]}/my-sheet", {"Authorization": f"Bearer {tokens[i]}"}, users[i]["sheet"])
                    for i in range(n)
                ]
                for label, jobs in ((f"bare Litestar PUT, {n} clients", bare), (f"score sheet saves, {n} clients", scored)):
                    cpu = server_cpu(server.pid)
                    count, latencies, failed = asyncio.run(_drive(base, jobs, seconds))
                    used = cpu_per_request(cpu, server_cpu(server.pid), count)
                    rows.append((label, *_figures(count, latencies, seconds), failed, used))
        finally:
            server.terminate()
            server.wait(timeout=20)
    return rows


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("bench server did not start")

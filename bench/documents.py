"""Documents through HTTP: upload and download throughput of 1 MiB and 20 MiB files against a
raw write of the same bytes to the same database in the same run, and the server's peak
memory during a 20 MiB upload above its idle size (`python -m bench --only documents`)."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid5

import httpx

from application.demo import _NS, DEMO_PASSWORD, seed_demo
from application.sample_documents import pdf
from infra.documents import CHUNK_BYTES
from infra.wiring import build_system, load_settings

MIB = 1024 * 1024
SIZES = ((1 * MIB, 10), (20 * MIB - 4096, 3))  # (bytes, files); a 20 MiB file stays under the default limit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _raw_write_mib_s(database: object, data: bytes) -> float:
    """The floor: the same bytes in 512 KiB rows, one transaction, no HTTP, no hashing."""
    blob = "BYTEA" if database.dialect == "postgres" else "BLOB"  # type: ignore[attr-defined]
    with database.transaction(write=True) as tx:  # type: ignore[attr-defined]
        tx.execute(f"CREATE TABLE IF NOT EXISTS bench_raw (id TEXT, seq INTEGER, data {blob})")
    started = time.perf_counter()
    with database.transaction(write=True) as tx:  # type: ignore[attr-defined]
        for seq in range(0, len(data), CHUNK_BYTES):
            tx.execute(
                "INSERT INTO bench_raw (id, seq, data) VALUES (?, ?, ?)", (str(started), seq, data[seq : seq + CHUNK_BYTES])
            )
    return len(data) / MIB / (time.perf_counter() - started)


def run(database_url: str) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(data_dir=Path(data_dir), database_url=database_url, secret_key="b", scheduler=False)
        system = build_system(settings)
        seed_demo(system, say=lambda _: None)
        year = system.store.today().year - 1
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "bench.http_server", data_dir, str(port), database_url])
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            with httpx.Client(base_url=base, timeout=120) as client:
                token = client.post("/api/auth/login", json={"username": "org", "password": DEMO_PASSWORD}).json()["token"]
                auth = {"Authorization": f"Bearer {token}"}
                url = f"/api/organizations/{uuid5(_NS, 'tl-hub')}/inspections/{year}/documents"
                for size, files in SIZES:
                    label = f"{size / MIB:.0f} MiB"
                    bodies = [pdf(f"bench {size} {n}", pad_to=size) for n in range(files)]
                    floor = sum(_raw_write_mib_s(system.database, b) for b in bodies) / files
                    idle = _rss_kib(server.pid)  # before this size's uploads (after the smaller size's, for 20 MiB)
                    peak, stop = [idle], threading.Event()
                    sampler = threading.Thread(target=_sample, args=(server.pid, peak, stop), daemon=True)
                    sampler.start()
                    up, hashes = _timed(
                        lambda: [
                            client.post(f"{url}?slot=report_other&name=b{n}.pdf", content=b, headers=auth)
                            for n, b in enumerate(bodies)  # noqa: B023 (timed within this iteration)
                        ],
                        bodies,
                    )
                    stop.set()
                    sampler.join()
                    down, _ = _timed(lambda: [client.get(f"{url}/{h}", headers=auth) for h in hashes], bodies)  # noqa: B023
                    rows.append((f"floor: raw write of {label} to the database", floor, floor))
                    rows.append((f"upload {label} through HTTP", up, floor))
                    rows.append((f"download {label} through HTTP", down, floor))
                    rows.append(
                        (f"peak server memory above idle during {label} uploads (MiB)", (max(peak) - idle) / 1024, 2 * size / MIB)
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)
            system.close()
    return rows


def _timed(send: Callable[[], list[httpx.Response]], bodies: list[bytes]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    answers = send()
    elapsed = time.perf_counter() - started
    bad = [a.status_code for a in answers if a.status_code not in (200, 201)]
    if bad:
        raise SystemExit(f"documents bench: unexpected answers {bad}: {answers[0].text[:300]}")
    hashes = [a.json()["sha256"] for a in answers if a.status_code == 201]
    return sum(len(b) for b in bodies) / MIB / elapsed, hashes


def _sample(pid: int, peak: list[int], stop: threading.Event) -> None:
    while not stop.is_set():
        peak.append(_rss_kib(pid))
        time.sleep(0.005)


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("documents bench: the server did not start")


def report(fresh_pg: Callable[[], tuple[str, Callable[[], None]]]) -> None:
    for backend in ("SQLite", "PostgreSQL"):
        url, drop = fresh_pg() if backend == "PostgreSQL" else ("", lambda: None)
        try:
            rows = run(url)
        finally:
            drop()
        print(f"\nDocuments on {backend}: MiB/s, against a raw write of the same bytes (memory: against 2 × the file)")
        print(f"{'measurement':60} {'value':>9} {'vs floor':>9}")
        for label, value, against in rows:
            print(f"{label:60} {value:9.1f} {value / against:9.0%}", flush=True)

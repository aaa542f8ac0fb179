"""Find a PostgreSQL server for the tests: $STARLEDGER_TEST_DATABASE_URL, else the local
server at 127.0.0.1:5432, else a throwaway cluster started from the PostgreSQL binaries."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg

LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def binaries() -> str | None:
    """The folder with initdb and pg_ctl, newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if found:
        return os.path.dirname(found[0])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary folder, owned by the 'postgres' user when run as root."""

    bin_dir: str
    port: int = field(default_factory=_free_port)
    root: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="starledger-pg-"))

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    @property
    def data(self) -> str:
        return os.path.join(self.root, "data")

    def start(self) -> ThrowawayCluster:
        self._run(f"{self.bin_dir}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return self.resume()

    def pause(self) -> None:
        """Stop the server (fast shutdown: open connections are cut), keeping the data."""
        self._run(f"{self.bin_dir}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def resume(self) -> ThrowawayCluster:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(f"{self.bin_dir}/pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.root, "log"), "-w", "start")
        deadline = time.monotonic() + 30
        while not answers(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"throwaway PostgreSQL did not answer on port {self.port}")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        try:
            with contextlib.suppress(subprocess.CalledProcessError):  # a paused cluster is stopped already
                self._run(f"{self.bin_dir}/pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def find_server() -> tuple[str | None, ThrowawayCluster | None, str]:
    """(admin URL, cluster we started or None, how it was found or why not)."""
    url = os.environ.get("STARLEDGER_TEST_DATABASE_URL")
    if url:
        return (url, None, "STARLEDGER_TEST_DATABASE_URL") if answers(url) else (None, None, f"{url} does not answer")
    if answers(LOCAL_URL):
        return LOCAL_URL, None, "local server at 127.0.0.1:5432"
    bin_dir = binaries()
    if bin_dir is None:
        return None, None, "no server at 127.0.0.1:5432 and no PostgreSQL binaries (initdb) to start one"
    cluster = ThrowawayCluster(bin_dir).start()
    return cluster.url, cluster, f"throwaway cluster from {bin_dir} on port {cluster.port}"


def create_database(admin_url: str) -> str:
    """A fresh, empty database for one test; returns its URL."""
    name = f"sl_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


def drop_database(admin_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

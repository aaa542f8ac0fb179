"""The shared sweep's chunks in our tables (application/sweep_runs.py says how they are used).
A claim leases one chunk in one short write transaction: PostgreSQL locks the candidate row and
skips rows another claimer is locking (FOR UPDATE SKIP LOCKED); SQLite's writers are serialized
(BEGIN IMMEDIATE). Either way no two claimers hold one chunk's lease at once. Counts are appended,
one row per report, so claimers never overwrite each other's."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from application.ports import ChunkClaim, IdRange, RunState
from infra.database import PostgresDatabase, SQLiteDatabase, Tx

log = logging.getLogger("starledger.sweep")
KEPT = timedelta(days=30)  # finished runs are kept this long (what each instance did, for a look afterwards)

TABLES = [
    """CREATE TABLE IF NOT EXISTS sl_sweep_runs (
        run TEXT NOT NULL,
        generation INTEGER NOT NULL,
        chunks INTEGER NOT NULL,
        opened_at TEXT NOT NULL,
        finished_at TEXT,
        PRIMARY KEY (run, generation))""",
    """CREATE TABLE IF NOT EXISTS sl_sweep_chunks (
        run TEXT NOT NULL,
        generation INTEGER NOT NULL,
        chunk INTEGER NOT NULL,
        lo TEXT NOT NULL,
        hi TEXT NOT NULL,
        claimed_by TEXT,
        lease_until TEXT,
        claims INTEGER NOT NULL DEFAULT 0,
        done_at TEXT,
        PRIMARY KEY (run, generation, chunk))""",
    """CREATE TABLE IF NOT EXISTS sl_sweep_counts (
        run TEXT NOT NULL,
        generation INTEGER NOT NULL,
        chunk INTEGER NOT NULL,
        claimed_by TEXT NOT NULL,
        name TEXT NOT NULL,
        n BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sl_sweep_counts_run ON sl_sweep_counts (run, generation)",
]


def _at(moment: datetime) -> str:
    """UTC ISO text with microseconds always: compares as text on both databases."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class SqlSweepChunks:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase) -> None:
        self.db = db

    def open_run(self, run: str, ranges: Sequence[IdRange], now: datetime, *, again: bool = True) -> int:
        with self.db.transaction(write=True) as tx:
            last = tx.execute(
                "SELECT generation, finished_at FROM sl_sweep_runs WHERE run = ? ORDER BY generation DESC LIMIT 1", (run,)
            ).one()
            if last is not None and (last["finished_at"] is None or not again):
                return int(last["generation"])
            generation = 1 if last is None else int(last["generation"]) + 1
            _forget_old_runs(tx, _at(now - KEPT))
            # two instances opening the same generation at once: the first one's rows stand
            tx.execute(
                "INSERT INTO sl_sweep_runs (run, generation, chunks, opened_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (run, generation, len(ranges), _at(now)),
            )
            tx.executemany(
                "INSERT INTO sl_sweep_chunks (run, generation, chunk, lo, hi) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(run, generation, n, r.lo, r.hi) for n, r in enumerate(ranges)],
            )
        return generation

    def claim(self, run: str, generation: int, token: str, now: datetime, until: datetime) -> ChunkClaim | None:
        free = (
            "SELECT run, generation, chunk FROM sl_sweep_chunks WHERE run = ? AND generation = ? AND done_at IS NULL "
            "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY chunk LIMIT 1"
        )
        with self.db.transaction(write=True) as tx:
            row = tx.lease_one(
                "sl_sweep_chunks",
                ("run", "generation", "chunk"),
                "claimed_by = ?, lease_until = ?, claims = claims + 1",
                free,
                ("chunk", "lo", "hi"),
                (token, _at(until), run, generation, _at(now)),
            )
        if row is None:
            return None
        return ChunkClaim(run, generation, int(row["chunk"]), IdRange(row["lo"], row["hi"]), token, until)

    def report(self, claim: ChunkClaim, counts: dict[str, int], until: datetime) -> int:
        """Adds the counts; the run's `seen` so far, everyone's. The run's row is locked first, so two
        claimers reporting at once take turns: otherwise each PostgreSQL transaction sums without the
        other's uncommitted row, and the sweep's last two reports both show less than it has done."""
        with self.db.transaction(write=True) as tx:
            tx.execute("UPDATE sl_sweep_runs SET chunks = chunks WHERE run = ? AND generation = ?", (claim.run, claim.generation))
            tx.executemany(
                "INSERT INTO sl_sweep_counts (run, generation, chunk, claimed_by, name, n) VALUES (?, ?, ?, ?, ?, ?)",
                [(claim.run, claim.generation, claim.chunk, claim.token, k, v) for k, v in counts.items() if v],
            )
            tx.execute(
                "UPDATE sl_sweep_chunks SET lease_until = ? WHERE run = ? AND generation = ? AND chunk = ? "
                "AND claimed_by = ? AND done_at IS NULL",
                (_at(until), claim.run, claim.generation, claim.chunk, claim.token),
            )
            seen = tx.execute(
                "SELECT COALESCE(SUM(n), 0) FROM sl_sweep_counts WHERE run = ? AND generation = ? AND name = 'seen'",
                (claim.run, claim.generation),
            ).scalar()
        return int(seen)

    def finish(self, claim: ChunkClaim, now: datetime) -> bool:
        """Marks the chunk done; then, the chunk's writes being in, the statistics of the tables it
        grew are brought up to date, so the next chunk's questions are planned for the tables as
        they are now (PostgreSQL; see `refresh_statistics`)."""
        with self.db.transaction(write=True) as tx:
            row = tx.execute(
                "UPDATE sl_sweep_chunks SET done_at = ? WHERE run = ? AND generation = ? AND chunk = ? "
                "AND claimed_by = ? AND done_at IS NULL RETURNING chunk",
                (_at(now), claim.run, claim.generation, claim.chunk, claim.token),
            ).one()
        refreshed = self.db.refresh_statistics()
        if refreshed:
            log.info("statistics refreshed after chunk %d of %s: %s", claim.chunk, claim.run, ", ".join(refreshed))
        return row is not None

    def release(self, claim: ChunkClaim) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute(
                "UPDATE sl_sweep_chunks SET lease_until = NULL WHERE run = ? AND generation = ? AND chunk = ? "
                "AND claimed_by = ? AND done_at IS NULL",
                (claim.run, claim.generation, claim.chunk, claim.token),
            )

    def state(self, run: str, generation: int) -> RunState:
        with self.db.transaction() as tx:
            head = tx.execute(
                "SELECT r.chunks, r.finished_at, (SELECT COUNT(*) FROM sl_sweep_chunks c WHERE c.run = r.run "
                "AND c.generation = r.generation AND c.done_at IS NOT NULL) AS done "
                "FROM sl_sweep_runs r WHERE r.run = ? AND r.generation = ?",
                (run, generation),
            ).one()
            rows = tx.execute(
                "SELECT name, SUM(n) AS n FROM sl_sweep_counts WHERE run = ? AND generation = ? GROUP BY name ORDER BY name",
                (run, generation),
            ).all()
        assert head is not None, f"no sweep run {run} #{generation}"
        counts = {r["name"]: int(r["n"]) for r in rows}
        return RunState(int(head["chunks"]), int(head["done"]), head["finished_at"] is not None, counts)

    def finish_run(self, run: str, generation: int, now: datetime) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute(
                "UPDATE sl_sweep_runs SET finished_at = ? WHERE run = ? AND generation = ? AND finished_at IS NULL",
                (_at(now), run, generation),
            )


def _forget_old_runs(tx: Tx, before: str) -> None:
    old = "SELECT run, generation FROM sl_sweep_runs WHERE finished_at IS NOT NULL AND opened_at < ?"
    for table in ("sl_sweep_counts", "sl_sweep_chunks"):
        tx.execute(f"DELETE FROM {table} WHERE (run, generation) IN ({old})", (before,))
    tx.execute("DELETE FROM sl_sweep_runs WHERE finished_at IS NOT NULL AND opened_at < ?", (before,))

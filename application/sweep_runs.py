"""A sweep step shared by the instances on one database: the step's id space is cut into chunks
(ranges of the ids' leading hex digits, the same for everyone, without reading the candidates
first), each chunk is claimed with a lease, worked through by the step's own code restricted to
its range, and marked done; an instance with nothing left to claim waits until the others' chunks
are done, so the steps keep their order across instances. A claimer that dies leaves a lease that
runs out, and its chunk is claimed again: the decisions are idempotent (each re-checks the state,
and a collision on an aggregate's version is decided again or skipped), so doing part of a chunk
twice records nothing twice. The run's finishing action (a campaign recording its deadline) is
done by whoever sees every chunk done, and guarded by the aggregate itself."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from application.ports import ChunkClaim, Clock, IdRange, SweepChunks
from domain.errors import DomainError

Report = Callable[[dict[str, int]], int]  # counts of work saved → the run's `seen` so far (everyone's)
Work = Callable[[IdRange, Report], object]  # what it returns is not used

SPACE = 0x10000  # chunks are ranges of the ids' first four hex digits
MAX_CHUNKS = 64  # enough for a few instances; each chunk costs a claim and a finish (two small transactions)
# candidates a chunk should hold at least (two of the missed sweep's windows: a chunk's last window is
# a partial one, and each window costs its queries and a transaction); small steps stay one chunk
CHUNK_SIZE = 1000


class SweepStalled(DomainError):
    def __init__(self, run: str, seconds: float) -> None:
        super().__init__(
            "sweep.stalled",
            f"清理步骤 {run} 等待其他实例 {seconds:.0f} 秒仍未完成",
            f"The sweep step {run} waited {seconds:.0f} s for other instances' chunks without progress",
        )


def id_ranges(count: int) -> list[IdRange]:
    """`count` ranges of the UUID text's first four hex digits covering every id, in order."""
    count = max(1, min(count, SPACE))
    bounds = ["", *(f"{i * SPACE // count:04x}" for i in range(1, count)), ""]
    return [IdRange(lo, hi) for lo, hi in itertools.pairwise(bounds)]


def chunks_for(candidates: int, chunk_size: int = CHUNK_SIZE, most: int = MAX_CHUNKS) -> int:
    return max(1, min(most, candidates // max(1, chunk_size)))


class SharedRuns:
    """`lease`: how long a claimed chunk is the claimer's without a word (every report renews it);
    `poll`: the pause between looks while other instances finish their chunks; a wait in which
    nothing moves for `stall` (longer than a lease, so a dead claimer's chunk comes free first)
    gives up with SweepStalled."""

    def __init__(
        self,
        chunks: SweepChunks,
        clock: Clock,
        worker: str,
        *,
        lease: timedelta = timedelta(minutes=2),
        poll: float = 0.2,
        stall: timedelta | None = None,
        chunk_size: int = CHUNK_SIZE,
        max_chunks: int = MAX_CHUNKS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.chunks = chunks
        self.clock = clock
        self.worker = worker
        self.lease = lease
        self.poll = poll
        self.stall = stall if stall is not None else 3 * lease
        self.chunk_size = chunk_size
        self.max_chunks = max_chunks
        self.sleep = sleep
        self._claims = itertools.count(1)
        self._round: ContextVar[str | None] = ContextVar("sweep_round", default=None)

    @contextmanager
    def round(self, name: str) -> Iterator[None]:
        """The steps of one sweep (`name`: its day) as a whole. Inside, a step's run is joined as it
        stands, finished or not: an instance that reaches a step after the others finished it takes
        their counts instead of walking it again. The round is over when a sweep leaves it without
        an error; a sweep begun after that starts a new round and does every step again (finding
        nothing to do), as a second sweep of the day always did. Outside a round (a step run alone)
        the step is its own round."""
        generation = self.chunks.open_run(f"{name}/round", [], self.clock.now())
        token = self._round.set(f"@{generation}")
        try:
            yield
        finally:
            self._round.reset(token)
        self.chunks.finish_run(f"{name}/round", generation, self.clock.now())

    def run(
        self,
        run: str,
        work: Work,
        *,
        candidates: int = 0,
        finish: Callable[[dict[str, int]], None] | None = None,
    ) -> dict[str, int]:
        """Claims and works the run's chunks until none is left, waits for those others hold, then
        (every chunk done) the finishing action with the summed counts; the run's counts. One chunk
        when `candidates` is small (or not given): a step one instance does while the others wait."""
        count = chunks_for(candidates, self.chunk_size, self.max_chunks)
        in_round = self._round.get()
        if in_round is not None:
            run = f"{run}{in_round}"
        generation = self.chunks.open_run(run, id_ranges(count), self.clock.now(), again=in_round is None)
        waited_since = None
        last = None
        while True:
            now = self.clock.now()
            claim = self.chunks.claim(run, generation, self._token(), now, now + self.lease)
            if claim is not None:
                try:
                    work(claim.ids, self._reporter(claim))
                except BaseException:  # a failure, not a death: the chunk is free again at once
                    self.chunks.release(claim)
                    raise
                self.chunks.finish(claim, self.clock.now())
                waited_since = last = None
                continue
            state = self.chunks.state(run, generation)
            if state.done == state.chunks:
                if finish is not None and not state.finished:
                    finish(state.counts)  # idempotent: whoever sees every chunk done may do it
                self.chunks.finish_run(run, generation, self.clock.now())
                return state.counts
            moved = (state.done, state.counts.get("seen", 0))
            if moved != last or waited_since is None:
                waited_since, last = now, moved
            elif now - waited_since > self.stall:
                raise SweepStalled(run, (now - waited_since).total_seconds())
            self.sleep(self.poll)

    def _token(self) -> str:
        return f"{self.worker}#{next(self._claims)}"

    def _reporter(self, claim: ChunkClaim) -> Report:
        def report(counts: dict[str, int]) -> int:
            return self.chunks.report(claim, counts, self.clock.now() + self.lease)

        return report

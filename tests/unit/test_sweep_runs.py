"""The shared sweep's chunks: ranges of the ids' leading hex digits that every instance computes
alike, covering every id exactly once, as many as the candidates warrant."""

from __future__ import annotations

import itertools
import uuid

from application.sweep_runs import MAX_CHUNKS, chunks_for, id_ranges


def test_the_ranges_cover_every_id_once_in_order() -> None:
    for count in (1, 2, 3, 7, 64):
        ranges = id_ranges(count)
        assert len(ranges) == count and ranges[0].lo == "" and ranges[-1].hi == ""
        assert all(a.hi == b.lo for a, b in itertools.pairwise(ranges))
        for text in [str(uuid.uuid4()) for _ in range(200)] + [str(uuid.UUID(int=0)), str(uuid.UUID(int=2**128 - 1))]:
            inside = [r for r in ranges if (not r.lo or text >= r.lo) and (not r.hi or text < r.hi)]
            assert len(inside) == 1


def test_small_steps_stay_one_chunk_and_large_ones_are_capped() -> None:
    assert chunks_for(0) == chunks_for(999) == 1
    assert chunks_for(20_000) == 20
    assert chunks_for(1_000_000) == MAX_CHUNKS

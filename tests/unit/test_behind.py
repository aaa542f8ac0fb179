"""A sweep's chunk saved behind the next one's decisions: results in order, on the caller's
thread; an error is raised to the caller and nothing after it starts."""

from __future__ import annotations

import threading
from functools import partial

import pytest

from application.behind import Behind


@pytest.mark.parametrize("threaded", [True, False])
def test_each_result_reaches_the_caller_in_order_by_the_end(threaded: bool) -> None:
    results: list[tuple[int, str]] = []
    ran_on: set[str] = set()

    def job(n: int) -> int:
        ran_on.add(threading.current_thread().name)
        return n * n

    with Behind("test-behind", threaded) as behind:
        for n in range(5):
            behind.submit(partial(job, n), lambda r: results.append((r, threading.current_thread().name)))
    assert [r for r, _ in results] == [0, 1, 4, 9, 16]
    assert {thread for _, thread in results} == {threading.current_thread().name}
    if threaded:
        assert len(ran_on) == 1 and next(iter(ran_on)).startswith("test-behind")
    else:
        assert ran_on == {threading.current_thread().name}


@pytest.mark.parametrize("threaded", [True, False])
def test_a_failed_job_is_raised_and_nothing_after_it_starts(threaded: bool) -> None:
    started: list[int] = []

    def job(n: int) -> int:
        started.append(n)
        if n == 1:
            raise RuntimeError("chunk 1 failed")
        return n

    done: list[int] = []
    with pytest.raises(RuntimeError, match="chunk 1"), Behind("test-behind", threaded) as behind:
        for n in range(4):
            behind.submit(partial(job, n), done.append)
    assert started == [0, 1]
    assert done == [0]

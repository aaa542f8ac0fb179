"""A sweep's saves run one chunk behind its decisions: while a chunk is written (on PostgreSQL
the process waited for the server with nothing else to do), the next one is read and decided.
Only where a save waits on a server (`EventStore.saves_behind`): on SQLite both threads would
need the GIL for nearly all of their work, and the sweeps were slower."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from typing import Any, TypeVar

R = TypeVar("R")


class Behind:
    """One job at a time on a thread of its own, in the order given; each job's `then` runs on the
    caller's thread when the next job is submitted or at the end, and a job's error is raised
    there (nothing after it is started). Only for jobs whose writes the next decisions do not
    read: a sweep's chunks are disjoint sets of aggregates."""

    def __init__(self, name: str, threaded: bool = True) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) if threaded else None
        self._pending: tuple[Future[Any], Callable[[Any], object]] | None = None

    def submit(self, job: Callable[[], R], then: Callable[[R], object] = lambda _: None) -> None:
        """Not threaded: the job and its `then` run now, in the caller's thread."""
        self.wait()
        if self._thread is None:
            then(job())
            return
        future = self._thread.submit(copy_context().run, job)  # the command's context goes along
        self._pending = (future, then)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            future, then = pending
            then(future.result())

    def __enter__(self) -> Behind:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.wait()
        finally:
            if self._thread is not None:
                self._thread.shutdown()

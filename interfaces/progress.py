"""Progress of long jobs (import, export, rebuild, verify, sweep, subsidies; the bench's generated
populations): rich's bars on stderr, so stdout keeps only the job's result. None at all when stderr
is not a terminal (a pipe, a log file, cron) or when asked to be quiet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

Advance = Callable[[int, int], None]  # (done, total), as the application's and infra's jobs report it


class _Rate(ProgressColumn):
    """Items per second (rich's own speed column counts bytes)."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "", style="progress.data.speed")


class Bars:
    """Makes a labelled bar per job step; a bar appears at its first report, so a step with
    nothing to do shows none."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def __call__(self, label: str) -> Advance:
        task: TaskID | None = None

        def advance(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = self._progress.add_task(label, total=total)
            self._progress.update(task, completed=done, total=total)

        return advance


@contextmanager
def progress_bars(quiet: bool = False) -> Iterator[Bars]:
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _Rate(), TimeRemainingColumn())
    # stdout stays the job's own (an export may be writing to it): no redirecting into the bars
    with Progress(
        *columns, console=console, disable=quiet or not console.is_terminal, redirect_stdout=False, redirect_stderr=False
    ) as progress:
        yield Bars(progress)

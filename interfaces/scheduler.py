"""APScheduler 3.x: the jobs and their schedules. Jobs are thin: each calls one use case."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger("starledger.scheduler")


def catch_up_read_models(system: Any) -> None:
    """Events written by other processes (a second instance, the CLI) reach this one's read models."""
    processed = sum(projection.catch_up() for projection in system.projections)
    if processed:
        log.info("read models caught up: %d events", processed)


def daily_sweep(system: Any) -> None:
    """Missed inspections and credit timers as of today (Asia/Shanghai); idempotent."""
    from uuid import uuid4

    from application.context import system_context
    from application.sweep import sweep

    sweep(system.inspections, system.credit, system_context("daily-sweep", f"sweep-{uuid4()}"), system.registry.today())


def _add_jobs(scheduler: Any, system: Any) -> Any:
    hour, minute = system.settings.sweep_at.split(":")
    scheduler.add_job(
        daily_sweep, "cron", hour=int(hour), minute=int(minute), args=[system], id="daily_sweep",
        max_instances=1, coalesce=True, misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(
        catch_up_read_models,
        "interval",
        seconds=system.settings.catch_up_seconds,
        args=[system],
        id="catch_up_read_models",
        max_instances=1,
        coalesce=True,
    )
    return scheduler


def build_scheduler(system: Any) -> AsyncIOScheduler | None:
    """The in-process scheduler of `starledger serve` (None when STARLEDGER_SCHEDULER=off)."""
    if not system.settings.scheduler:
        return None
    return _add_jobs(AsyncIOScheduler(timezone="Asia/Shanghai"), system)


def run_standalone(system: Any) -> None:
    """`starledger scheduler`: the same jobs without the web server."""
    scheduler = _add_jobs(BlockingScheduler(timezone="Asia/Shanghai"), system)
    log.info("scheduler running: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    scheduler.start()

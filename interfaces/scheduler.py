"""APScheduler 3.x: the jobs and their schedules. Jobs are thin: each calls one use case."""

from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

if TYPE_CHECKING:
    from infra.wiring import System

log = logging.getLogger("starledger.scheduler")


def catch_up_read_models(system: System) -> None:
    """Events written by other processes (a second instance, the CLI) reach this one's read models."""
    processed = sum(projection.catch_up() for projection in system.projections)
    if processed:
        log.info("read models caught up: %d events", processed)


def daily_sweep(system: System) -> None:
    """Deadline transitions, then reminders, as of today (Asia/Shanghai). Every instance takes
    part: the sweep's steps are cut into chunks the instances claim from the database
    (application/sweep_runs.py), each step begun only when the one before is done everywhere.
    Reminders and the integrity checkpoint are not worth cutting up: whoever gets the lock does
    them once the sweep is done (the others skip them; a later run finds them done)."""
    from application.context import system_context
    from application.sweep import sweep

    ctx = system_context("daily-sweep", f"sweep-{system.ids.new_id()}")
    today = system.store.today()
    sweep(system.organizations, system.inspections, system.credit, ctx, today, planning=system.reminders.planning)
    with system.sweep_lock.exclusive("daily-sweep") as held:
        if not held:
            log.info("daily sweep: reminders skipped, another instance is issuing them")
            return
        system.reminders.issue(ctx, today)
        checkpoint = system.integrity.checkpoint(system.clock.now())
        log.info("integrity checkpoint #%d %s", checkpoint.position, checkpoint.hash)


def deliver_reminders(system: System) -> None:
    """Pending email and webhook deliveries whose next attempt is due (retries back off). No lock:
    every instance delivers, each attempt claims its delivery row first (see Reminders.deliver_due)."""
    from application.context import system_context

    counts = system.reminders.deliver_due(
        system_context("delivery", f"delivery-{system.ids.new_id()}"), deliverer=deliverer_name("scheduler")
    )
    if any(counts.values()):
        log.info("reminder deliveries: %s", counts)


def deliverer_name(kind: str) -> str:
    """Who holds a delivery lease, as the database shows it: "scheduler@host:pid"."""
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"


def _add_jobs(scheduler: Any, system: System) -> Any:
    hour, minute = system.settings.sweep_at.split(":")
    scheduler.add_job(
        daily_sweep,
        "cron",
        hour=int(hour),
        minute=int(minute),
        args=[system],
        id="daily_sweep",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(
        deliver_reminders,
        "interval",
        seconds=system.settings.delivery_seconds,
        args=[system],
        id="deliver_reminders",
        max_instances=1,
        coalesce=True,
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


def build_scheduler(system: System) -> AsyncIOScheduler | None:
    """The in-process scheduler of `starledger serve` (None when STARLEDGER_SCHEDULER=off)."""
    if not system.settings.scheduler:
        return None
    return _add_jobs(AsyncIOScheduler(timezone="Asia/Shanghai"), system)


def start_in_background(system: System) -> BackgroundScheduler | None:
    """`starledger serve --workers N`: the jobs in the supervising process, on a thread of their
    own, once for all the workers (None when STARLEDGER_SCHEDULER=off)."""
    if not system.settings.scheduler:
        return None
    scheduler = _add_jobs(BackgroundScheduler(timezone="Asia/Shanghai"), system)
    scheduler.start()
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    return scheduler


def run_standalone(system: System) -> None:
    """`starledger scheduler`: the same jobs without the web server."""
    scheduler = _add_jobs(BlockingScheduler(timezone="Asia/Shanghai"), system)
    log.info("scheduler running: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    scheduler.start()

"""`starledger serve --workers N`: N server processes share one port, so that a server uses
every core (one Python process runs its Python on one core at a time; on two cores, two processes
carried 65-70 % more sheet saves than one on PostgreSQL, 17-40 % more on SQLite: README "Benchmarks").

uvicorn's supervisor starts the workers, restarts one that dies and stops them all on SIGTERM or
Ctrl-C. Each worker builds its own system, as a separate instance of the application would
(everything they share is in the database: several instances on one database is a supported
deployment, tested in tests/integration/test_two_instances.py). None of them runs the scheduler:
the supervising process runs the jobs once, on a thread beside the workers. On SQLite the workers'
saves take turns through a lock file beside the database (infra/persistence/writers.py) rather
than polling its one write lock, which doubled the p99 of two workers before (README)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar

from infra.wiring import build_system, load_settings
from interfaces.app import create_app
from interfaces.heap import settle_heap
from interfaces.logs import configure_logging

log = logging.getLogger("starledger.server")


def worker_app() -> Litestar:
    """The application of one worker (uvicorn calls it in the worker's own process): settings
    from the environment the supervisor was started with, without the scheduler."""
    settings = load_settings(scheduler=False)
    configure_logging(settings.log_level)  # a worker is a process of its own: the supervisor's set-up is not inherited
    system = build_system(settings)
    app = create_app(system)
    app.on_shutdown.append(system.close)
    settle_heap()
    return app


def serve_workers(
    host: str, port: int, workers: int, log_level: str, options: dict[str, Any], app: str = "interfaces.workers:worker_app"
) -> None:
    """Serve the app that `app` ("module:factory") makes, from `workers` processes until stopped."""
    import uvicorn

    log.info("%d server processes on %s:%d", workers, host, port)
    uvicorn.run(app, factory=True, workers=workers, host=host, port=port, log_level=log_level, **options)

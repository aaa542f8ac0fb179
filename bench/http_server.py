"""The StarLedger app plus one bare endpoint, served by uvicorn: the bench's server process
(`python -m bench.http_server DATA_DIR PORT [DATABASE_URL [WORKERS]]`; with several workers, as
`starledger serve --workers N` serves, each its own process and system)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import uvicorn
from litestar import Litestar, put

from interfaces import workers
from interfaces.common.proxies import SERVER_OPTIONS


@put("/api/bench/bare", include_in_schema=False)
async def bare(data: dict[str, object]) -> dict[str, bool]:
    """The floor: Litestar parsing a JSON body and answering, nothing else."""
    return {"ok": True}


def worker_app() -> Litestar:
    """One worker's app: the settings come from the environment `main` set."""
    app = workers.worker_app()
    app.register(bare)
    logging.getLogger("starledger").setLevel(logging.WARNING)  # one line per event would be the bench
    return app


def main() -> None:
    """One process serving `worker_app`, or several sharing the port, each building its own."""
    data_dir, port, url = Path(sys.argv[1]), int(sys.argv[2]), (sys.argv[3] if len(sys.argv) > 3 else "")
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    os.environ.update(STARLEDGER_DATA_DIR=str(data_dir), STARLEDGER_DATABASE_URL=url, STARLEDGER_LOG_LEVEL="warning")
    options = {**SERVER_OPTIONS, "access_log": False}
    if count > 1:
        workers.serve_workers("127.0.0.1", port, count, "warning", options, app="bench.http_server:worker_app")
        return
    uvicorn.run(worker_app(), host="127.0.0.1", port=port, log_level="warning", **options)


if __name__ == "__main__":
    main()

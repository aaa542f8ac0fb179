"""The StarLedger app plus one bare endpoint, served by uvicorn: the bench's server process."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import uvicorn
from litestar import put

from infra.wiring import build_system, load_settings
from interfaces.app import create_app
from interfaces.common.proxies import SERVER_OPTIONS
from interfaces.heap import settle_heap


@put("/api/bench/bare", include_in_schema=False)
async def bare(data: dict[str, object]) -> dict[str, bool]:
    """The floor: Litestar parsing a JSON body and answering, nothing else."""
    return {"ok": True}


def main() -> None:
    data_dir, port, url = Path(sys.argv[1]), int(sys.argv[2]), (sys.argv[3] if len(sys.argv) > 3 else "")
    system = build_system(load_settings(data_dir=data_dir, database_url=url, scheduler=False, log_level="warning"))
    app = create_app(system)
    app.register(bare)
    settle_heap()  # as `starledger serve` does
    logging.getLogger("starledger").setLevel(logging.WARNING)  # one line per event would be the bench
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, **SERVER_OPTIONS)


if __name__ == "__main__":
    main()

"""A long-running process keeps what it built at start-up out of the collector's passes
(interfaces/heap.py): checked in processes of their own, since a frozen object is never freed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from interfaces.heap import THRESHOLDS

SETTLED = """
import gc, json, weakref
from interfaces.heap import settle_heap
from infra.wiring import build_system, load_settings
system = build_system(load_settings(data_dir=__import__("pathlib").Path({data!r}), database_url="", scheduler=False))
settle_heap()
frozen = gc.get_freeze_count()

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after start-up: only the collector frees it
gone = weakref.ref(a)
del a, b
gc.collect()
print(json.dumps({{"threshold": gc.get_threshold(), "frozen": frozen, "cycle_freed": gone() is None}}))
system.close()
"""


def test_a_settled_process_freezes_what_it_built_and_still_collects_what_comes_after(tmp_path: Path) -> None:
    import json

    out = subprocess.run(
        [sys.executable, "-c", SETTLED.format(data=str(tmp_path))], capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert tuple(found["threshold"]) == THRESHOLDS
    assert found["frozen"] > 10_000  # the modules, the rule sets, the application
    assert found["cycle_freed"]


def test_the_command_settles_its_heap_once_the_system_is_built(tmp_path: Path) -> None:
    env = {**os.environ, "STARLEDGER_DATA_DIR": str(tmp_path), "STARLEDGER_DATABASE_URL": "", "STARLEDGER_LOG_LEVEL": "debug"}
    result = subprocess.run(
        [sys.executable, "-m", "interfaces.cli", "projections", "status"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "built at start-up kept out of the collector's passes" in result.stderr

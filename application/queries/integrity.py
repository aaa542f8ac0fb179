"""What checking the log's integrity chain returns: a verification and the checkpoints kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head_position: int
    head_hash: str
    problem: str | None = None  # the first event that does not match, in words
    position: int | None = None
    documents: int = 0  # distinct documents whose bytes were hashed again


@dataclass(frozen=True)
class Checkpoint:
    position: int
    hash: str
    at: datetime

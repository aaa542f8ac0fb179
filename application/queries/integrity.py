"""What checking the log's integrity chain returns: a verification and the checkpoints kept."""

from __future__ import annotations

import json
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


def parse_checkpoint(text: str) -> tuple[int, str]:
    """A kept checkpoint as people copy it: `position:hash`, or the JSON line `verify --checkpoints`
    and the public page print. A ValueError names what is wrong."""
    text = text.strip()
    if text.startswith("{"):
        data = json.loads(text)
        position, link = data.get("position"), data.get("hash")
    else:
        raw_position, _, link = text.partition(":")
        position = int(raw_position) if raw_position.strip().isdecimal() else None
    if not isinstance(position, int) or position < 1:
        raise ValueError("a checkpoint names its position (a whole number from 1)")
    if not isinstance(link, str) or len(link.strip()) != 64 or any(c not in "0123456789abcdef" for c in link.strip()):
        raise ValueError("a checkpoint's link is 64 hexadecimal characters")
    return position, link.strip()


def holds_checkpoint(chain: Verification, position: int, link: str, stored_link: str | None) -> str | None:
    """Whether a verified log still holds a checkpoint kept from it earlier: None if it does (the log
    has only been appended to since), else what is wrong, in words."""
    if not chain.ok:
        return chain.problem or "the chain does not verify"
    if position > chain.head_position:
        return f"the log ends at #{chain.head_position}, before the checkpoint #{position}: newer events were deleted"
    if stored_link != link:
        return f"the link at #{position} is not the one kept: the log up to it was rewritten"
    return None

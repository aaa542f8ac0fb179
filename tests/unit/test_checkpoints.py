"""A checkpoint kept from the published log: read as people copy it, and checked against a verified log."""

from __future__ import annotations

import pytest

from application.queries.integrity import Verification, holds_checkpoint, parse_checkpoint

LINK = "ab" * 32


def test_a_checkpoint_is_read_as_position_and_link_or_as_the_published_json_line() -> None:
    assert parse_checkpoint(f"42:{LINK}") == (42, LINK)
    assert parse_checkpoint(f' {{"position": 42, "hash": "{LINK}", "at": "2026-12-01T00:00:00+00:00"}} ') == (42, LINK)


@pytest.mark.parametrize("text", ["", "x:" + LINK, "0:" + LINK, "42:abc", "42:" + "G" * 64, '{"position": "42"}'])
def test_a_malformed_checkpoint_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"position|link"):
        parse_checkpoint(text)


def test_the_log_holds_a_checkpoint_only_if_it_reaches_it_with_the_same_link() -> None:
    log = Verification(ok=True, checked=50, head_position=50, head_hash="cd" * 32)
    assert holds_checkpoint(log, 42, LINK, LINK) is None
    assert "rewritten" in (holds_checkpoint(log, 42, LINK, "ef" * 32) or "")
    assert "deleted" in (holds_checkpoint(log, 60, LINK, None) or "")
    broken = Verification(ok=False, checked=3, head_position=3, head_hash="", problem="event #4 was changed")
    assert holds_checkpoint(broken, 2, LINK, LINK) == "event #4 was changed"

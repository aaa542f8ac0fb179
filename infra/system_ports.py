"""The real clock, id generator, seeds and token source (tests inject their own)."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    def new_id(self) -> uuid.UUID:
        return uuid.uuid4()


class RandomSeeds:
    """A spot-check draw's seed: 128 bits from the operating system's randomness, nobody's choice."""

    def new_seed(self) -> str:
        return secrets.token_hex(16)


class RandomTokens:
    def new_token(self) -> str:
        return secrets.token_urlsafe(32)

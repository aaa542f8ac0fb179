"""Domain errors: each carries a machine code and a message in Chinese and English,
so every interface can explain a refusal to its user without translating."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused a command."""

    def __init__(self, code: str, zh: str, en: str, **details: Any) -> None:
        super().__init__(en)
        self.code = code
        self.message_zh = zh
        self.message_en = en
        self.details = details


class InvalidValue(DomainError):
    """A value given to a command breaks a rule of its own (bad input)."""


class InvalidTransition(DomainError):
    """The command is not allowed in the aggregate's current state."""


class Conflict(DomainError):
    """The command collides with something already recorded (e.g. a duplicate code)."""

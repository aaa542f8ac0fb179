"""Unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

from domain.errors import InvalidValue

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ...
CIVIL_AFFAIRS = "5"
TYPE_DIGITS = {"1": "social_association", "2": "private_non_enterprise", "3": "foundation"}


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_code(raw: str) -> str:
    """Return the normalised code or raise InvalidValue saying what is wrong."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise InvalidValue(
            "uscc.length",
            f"统一社会信用代码应为18位,实际为{len(code)}位",
            f"A unified social credit code has 18 characters, got {len(code)}",
        )
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        raise InvalidValue(
            "uscc.alphabet",
            f"统一社会信用代码含有不允许的字符:{''.join(bad)}",
            f"The unified social credit code contains characters not allowed: {''.join(bad)}",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidValue(
            "uscc.check",
            f"统一社会信用代码校验位错误(应为 {expected})",
            f"The check character of the unified social credit code is wrong (expected {expected})",
        )
    return code


def complete_code(first17: str) -> str:
    """Append the check character (used by demo data and tests)."""
    return first17 + check_character(first17)

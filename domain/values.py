"""Values as people type them, checked the same way wherever they enter (ARCHITECTURE decision 11):
the API and page layer call these at the edge, and the aggregates call them again.

- money: CNY, finite, from 0 (or above 0) to MONEY_LIMIT, at most two decimals (fen);
- counts (people, members): whole numbers from 0 to COUNT_LIMIT;
- names: NFC-normalized, trimmed, with no control, format (bidi, zero-width) or line-separator character.

Each refusal is an InvalidValue naming the field in zh and en (details: field)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from domain.errors import InvalidValue

MONEY_LIMIT = Decimal("1000000000000")  # 一万亿元: beyond any organization's accounts or any budget
MONEY_PLACES = 2  # fen
COUNT_LIMIT = 10_000_000
POINTS_LIMIT = 1_000_000  # scores: far above any scheme's full marks
_FEN = Decimal("0.01")
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # control, format (bidi, zero-width), unassigned, separators


def decimals(value: Decimal) -> int:
    """Digits after the point of a finite number, as typed (1.50 has two)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0


def money(value: Decimal, field: str, zh: str, *, positive: bool = False, signed: bool = False) -> Decimal:
    """`signed`: may be negative down to -MONEY_LIMIT (net assets); `positive`: above zero."""
    lowest = "大于0" if positive else ("不低于负一万亿元" if signed else "不小于0")
    refusal = InvalidValue(
        f"value.{field}",
        f"{zh}应为{lowest}、不超过一万亿元、最多两位小数的金额",
        f"{field} must be an amount {'above 0' if positive else ('from -1,000,000,000,000' if signed else 'from 0')} "
        "up to 1,000,000,000,000 CNY with at most 2 decimals",
        field=field,
    )
    if not isinstance(value, Decimal) or not value.is_finite():
        raise refusal
    lowest_value = -MONEY_LIMIT if signed else Decimal(0)
    if value < lowest_value or (positive and value <= 0) or value > MONEY_LIMIT or decimals(value) > MONEY_PLACES:
        raise refusal
    return value.quantize(_FEN)


def count(value: int, field: str, zh: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= COUNT_LIMIT:
        raise InvalidValue(
            f"value.{field}",
            f"{zh}应为0到{COUNT_LIMIT:,}之间的整数",
            f"{field} must be a whole number from 0 to {COUNT_LIMIT:,}",
            field=field,
        )
    return value


def points(value: Decimal, field: str, zh: str) -> Decimal:
    """A score as typed: a finite number of sensible size (its range and decimals are the scheme's)."""
    if not isinstance(value, Decimal) or not value.is_finite() or abs(value) > POINTS_LIMIT or decimals(value) > 6:
        raise InvalidValue(
            f"value.{field}",
            f"{zh}应为有限数值(绝对值不超过{POINTS_LIMIT:,})",
            f"{field} must be a finite number (at most {POINTS_LIMIT:,} either way)",
            field=field,
        )
    return value


def name(value: str, field: str, zh: str, limit: int) -> str:
    """A name on one line: NFC, trimmed; no control or invisible character; 1 to `limit` characters."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise InvalidValue(f"{field}.empty", f"{zh}不能为空", f"{field.replace('_', ' ')} must not be empty", field=field)
    hidden = next((c for c in value if unicodedata.category(c) in _INVISIBLE), None)
    if hidden is not None:
        raise InvalidValue(
            f"{field}.invisible_character",
            f"{zh}含有控制字符或不可见字符(U+{ord(hidden):04X}),请删除后重试",
            f"{field.replace('_', ' ')} holds a control or invisible character (U+{ord(hidden):04X}); remove it",
            field=field,
        )
    if len(value) > limit:
        raise InvalidValue(
            f"{field}.too_long",
            f"{zh}不能超过{limit}个字符",
            f"{field.replace('_', ' ')} must be at most {limit} characters",
            field=field,
        )
    return value

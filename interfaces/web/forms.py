"""What every page form shares: the urlencoded body, amounts typed by people, the version a
form was rendered from."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from litestar.enums import RequestEncodingType
from litestar.params import Body

from domain.errors import DomainError, InvalidValue
from domain.values import MONEY_LIMIT

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def amount(raw: str, field: str) -> Decimal:
    """A CNY amount as people type it ("1,200.50"); anything else is a clear zh/en error."""
    raw = raw.strip().replace(",", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidValue(f"form.{field}", f"「{raw}」不是有效的金额", f"{field}: '{raw}' is not an amount") from None
    if not value.is_finite() or abs(value) > MONEY_LIMIT:  # NaN, Infinity, 1E+400: not an amount anyone owes
        raise InvalidValue(f"form.{field}", f"「{raw}」不是有效的金额", f"{field}: '{raw}' is not an amount")
    return value


def form_version(form: dict[str, str]) -> int:
    """The aggregate version the form was rendered from (a stale form is then refused as stale)."""
    if not form.get("version", "").isdecimal():
        raise DomainError("form.invalid", "表单内容不完整", "The form is incomplete")
    return int(form["version"])

"""Page forms as people fill them in."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import InvalidValue
from interfaces.web.forms import amount
from interfaces.web.funding_pages import budget_lines


def test_budget_lines_accept_either_comma() -> None:
    lines = budget_lines("人员劳务,20000\n活动物资\uff0c4000.50\n\n")
    assert [(b.item, b.amount) for b in lines] == [("人员劳务", Decimal("20000")), ("活动物资", Decimal("4000.50"))]


def test_an_amount_that_is_not_one_is_a_clear_error() -> None:
    assert amount(" 1,200.50 ", "income") == Decimal("1200.50")
    with pytest.raises(InvalidValue) as caught:
        amount("abc", "income")
    assert caught.value.code == "form.income" and "不是有效的金额" in caught.value.message_zh

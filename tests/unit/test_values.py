"""The value constructors every edge and aggregate uses: money, counts, scores and names."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import values
from domain.errors import InvalidValue
from domain.inspection import AnnualReport, checked_report

REPORT = AnnualReport(
    activities="开展活动",
    income=Decimal("1000.50"),
    expenditure=Decimal("900"),
    net_assets=Decimal("-20"),
    staff=3,
    volunteers=10,
    party_organization=True,
)


@given(st.decimals(allow_nan=True, allow_infinity=True) | st.sampled_from([Decimal("sNaN"), Decimal("1E+400")]))
def test_money_is_finite_within_the_limit_and_to_the_fen_or_refused_naming_the_field(value: Decimal) -> None:
    try:
        kept = values.money(value, "income", "收入")
    except InvalidValue as e:
        assert e.details["field"] == "income" and "income" in e.message_en and "收入" in e.message_zh
        return
    assert kept.is_finite() and 0 <= kept <= values.MONEY_LIMIT and kept == value


@pytest.mark.parametrize("field", ["income", "expenditure", "net_assets"])
@pytest.mark.parametrize("bad", ["NaN", "sNaN", "Infinity", "-Infinity", "1E+400", "0.001"])
def test_an_annual_report_refuses_an_amount_that_is_not_a_finite_sum_of_fen(field: str, bad: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        checked_report(replace(REPORT, **{field: Decimal(bad)}))
    assert refused.value.details["field"] == field


@pytest.mark.parametrize("people", [-1, 10**30, values.COUNT_LIMIT + 1])
def test_an_annual_report_refuses_a_head_count_out_of_range(people: int) -> None:
    with pytest.raises(InvalidValue):
        checked_report(replace(REPORT, volunteers=people))


@given(st.text(max_size=30))
def test_a_name_is_kept_only_normalized_trimmed_and_visible(raw: str) -> None:
    try:
        kept = values.name(raw, "name", "名称", 100)
    except InvalidValue:
        return
    import unicodedata

    assert kept == unicodedata.normalize("NFC", kept) == kept.strip() and kept
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} for c in kept)

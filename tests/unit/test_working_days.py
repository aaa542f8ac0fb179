"""Working-day periods by the official holiday calendar (chinese-calendar), with its make-up working
days (调休): across National Day, across a working Saturday, across the new year; a year the calendar
does not cover is refused naming the year, or counted as if weekends only and marked estimated."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidValue
from domain.periods import Period, PeriodUnit, UnknownYears
from infra.working_days import ChineseWorkingDays

CALENDAR = ChineseWorkingDays()
FIVE = Period(5, PeriodUnit.WORKING_DAYS)


def due(start: date, period: Period = FIVE, unknown: UnknownYears = UnknownYears.REFUSE) -> date:
    return period.due_from(start, CALENDAR, unknown).due


def test_national_day_is_not_counted_and_its_make_up_saturday_is() -> None:
    # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are working days (调休)
    assert CALENDAR.is_working_day(date(2025, 9, 28)) and CALENDAR.is_working_day(date(2025, 10, 11))
    assert not CALENDAR.is_working_day(date(2025, 10, 1))
    assert due(date(2025, 9, 26)) == date(2025, 10, 10)  # Sun 28 (调休), 29, 30, then after the holiday 9, 10
    assert due(date(2025, 9, 29)) == date(2025, 10, 13)  # 30, 9, 10, Sat 11 (调休), Sun 12 off, Mon 13
    assert due(date(2025, 9, 30)) == date(2025, 10, 14)  # 9, 10, 11, 13, 14


def test_a_calendar_period_counts_every_day() -> None:
    assert due(date(2025, 9, 30), Period(5)) == date(2025, 10, 5)


def test_across_the_new_year() -> None:
    assert CALENDAR.is_working_day(date(2026, 1, 4))  # a Sunday worked for the New Year holiday (调休)
    assert due(date(2025, 12, 29)) == date(2026, 1, 6)  # 30, 31, (1–3 Jan off) Sun 4, 5, 6


def test_a_year_the_calendar_does_not_know_is_refused_naming_it_or_estimated_where_the_rule_set_allows() -> None:
    unknown = 2027 if CALENDAR.is_working_day(date(2027, 1, 4)) is None else None
    if unknown is None:  # a newer package knows 2027: take the first year it does not
        unknown = next(y for y in range(2028, 2100) if CALENDAR.is_working_day(date(y, 6, 1)) is None)
    with pytest.raises(InvalidValue) as refused:
        due(date(unknown - 1, 12, 30))
    assert refused.value.code == "calendar.unknown_year" and str(unknown) in refused.value.message_zh
    estimated = FIVE.due_from(date(unknown, 1, 1), CALENDAR, UnknownYears.WEEKENDS_ONLY)
    assert estimated.estimated and estimated.due.weekday() < 5

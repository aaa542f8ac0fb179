"""Legal periods and their units (期限): the rules count some in calendar days and some in working
days (工作日), which follow the official holiday calendar with its make-up working days (调休).
Which days are working days is the calendar's to say (a port, infra/working_days.py); a year the
calendar does not know is an error naming the year, or, where the rule set allows, counted as if
only weekends were off and the result marked as estimated — never a silent guess."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Protocol

from domain.errors import InvalidValue


class PeriodUnit(str, Enum):
    CALENDAR_DAYS = "calendar_days"  # 日
    WORKING_DAYS = "working_days"  # 工作日


class UnknownYears(str, Enum):
    REFUSE = "refuse"  # a year without the official calendar stops the count
    WEEKENDS_ONLY = "weekends_only"  # counted as if weekends only, and flagged as estimated


class WorkingDays(Protocol):
    def is_working_day(self, day: date) -> bool | None:
        """Whether the day is a working day; None for a year the official calendar does not cover yet."""
        ...


class Weekdays:
    """A calendar that knows weekends only, no holidays: where no official calendar is wired in."""

    def is_working_day(self, day: date) -> bool | None:
        return day.weekday() < 5


@dataclass(frozen=True)
class Deadline:
    due: date
    amount: int
    unit: PeriodUnit
    estimated: bool = False  # working days counted past the known calendar, as if weekends only

    @property
    def span_zh(self) -> str:
        return span_zh(self.amount, self.unit)

    @property
    def span_en(self) -> str:
        return span_en(self.amount, self.unit)


def span_zh(amount: int, unit: PeriodUnit) -> str:
    """ "15日" or "5个工作日": deadlines shown to people say which unit."""
    return f"{amount}个工作日" if unit is PeriodUnit.WORKING_DAYS else f"{amount}日"


def span_en(amount: int, unit: PeriodUnit) -> str:
    return f"{amount} working days" if unit is PeriodUnit.WORKING_DAYS else f"{amount} days"


@dataclass(frozen=True)
class Period:
    days: int
    unit: PeriodUnit = PeriodUnit.CALENDAR_DAYS

    @property
    def span_zh(self) -> str:
        return span_zh(self.days, self.unit)

    @property
    def span_en(self) -> str:
        return span_en(self.days, self.unit)

    def due_from(self, start: date, calendar: WorkingDays, unknown_years: UnknownYears) -> Deadline:
        """The last day of the period that begins the day after `start` (the day of the act is not counted)."""
        if self.unit is PeriodUnit.CALENDAR_DAYS:
            return Deadline(start + timedelta(days=self.days), self.days, self.unit)
        day, counted, estimated = start, 0, False
        while counted < self.days:
            day += timedelta(days=1)
            working = calendar.is_working_day(day)
            if working is None:
                if unknown_years is UnknownYears.REFUSE:
                    raise InvalidValue(
                        "calendar.unknown_year",
                        f"官方节假日安排尚未包含{day.year}年,无法计算工作日期限",
                        f"The official holiday calendar does not cover {day.year} yet: working days cannot be counted",
                        year=day.year,
                    )
                working, estimated = day.weekday() < 5, True
            counted += 1 if working else 0
        return Deadline(day, self.days, self.unit, estimated)

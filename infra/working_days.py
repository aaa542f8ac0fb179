"""Working days by the official holiday calendar (国务院办公厅 holiday arrangements with their make-up
working days), from the chinese-calendar package; a year it does not cover yet answers None."""

from __future__ import annotations

from datetime import date

import chinese_calendar


class ChineseWorkingDays:
    def is_working_day(self, day: date) -> bool | None:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:  # the package names the years it knows; later ones are not published yet
            return None

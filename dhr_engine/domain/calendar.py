"""The statutory calendar: calendar months, working days and pauses.

Rules written down once:
- Adding calendar months always counts from the anchor date and clamps to the last day of the
  month: 31 January + 1 month = 28 February (29 in a leap year) (DHR-PROCESS.md §2, [I]).
- Working days skip Saturdays, Sundays and the England and Wales bank holidays, including the
  one-off days (e.g. 19 September 2022, 8 May 2023) and any extra day an administrator imports.
- A due date that falls on a weekend or bank holiday stays where it falls for calendar-month
  and calendar-day rules: the guidance counts calendar months, not working days.
- Pauses add the paused days once, however many pauses overlap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta


def add_calendar_months(anchor: date, months: int) -> date:
    """Add calendar months to the anchor, clamping to the month's last day."""
    return anchor + relativedelta(months=months)


@lru_cache(maxsize=8)
def _national_holidays(subdivision: str, year: int) -> dict[date, str]:
    days = holidays.country_holidays("GB", subdiv=subdivision, years=[year])
    return {day: str(name) for day, name in days.items()}


@dataclass(frozen=True)
class BankHolidays:
    """England and Wales bank holidays from `holidays`, plus extra days an admin recorded."""

    subdivision: str = "ENG"
    extra: Mapping[date, str] = field(default_factory=dict)

    def name_of(self, day: date) -> str | None:
        """Return the holiday's name, or None for an ordinary day."""
        return self.extra.get(day) or _national_holidays(self.subdivision, day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.name_of(day) is None


@dataclass(frozen=True)
class WorkingDays:
    """The result of counting working days: the date reached and the holidays it skipped."""

    due: date
    holidays_skipped: tuple[tuple[date, str], ...]


def add_working_days(anchor: date, days: int, calendar: BankHolidays) -> WorkingDays:
    """Count `days` working days after the anchor (the anchor itself is day 0)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current, counted, skipped = anchor, 0, []
    while counted < days:
        current += timedelta(days=1)
        name = calendar.name_of(current)
        if name is not None and current.weekday() < 5:
            skipped.append((current, name))
        if calendar.is_working_day(current):
            counted += 1
    return WorkingDays(current, tuple(skipped))


@dataclass(frozen=True)
class Interval:
    """A closed-open run of days [start, end); end None means still running."""

    start: date
    end: date | None


def merge_intervals(intervals: Iterable[Interval], *, today: date) -> list[tuple[date, date]]:
    """Merge overlapping pauses so overlapping days count once; open pauses run to today."""
    spans = sorted((i.start, i.end or today) for i in intervals)
    merged: list[tuple[date, date]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def paused_days(intervals: Sequence[Interval], *, today: date) -> int:
    """Total days paused, overlapping pauses counted once."""
    return sum((end - start).days for start, end in merge_intervals(intervals, today=today))


def format_date(day: date) -> str:
    """British long date: 25 November 2026."""
    return f"{day.day} {day.strftime('%B %Y')}"

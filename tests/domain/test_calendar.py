"""The statutory calendar, table-driven (DHR-PROCESS.md §2: calendar months; local working days)."""

from datetime import date

import pytest

from dhr_engine.domain.calendar import (
    BankHolidays,
    Interval,
    add_calendar_months,
    add_working_days,
    format_date,
    paused_days,
)

ENG = BankHolidays("ENG")


@pytest.mark.parametrize(
    ("anchor", "months", "due"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 1, 31), 2, date(2025, 3, 31)),  # always from the anchor, never chained
        (date(2026, 11, 25), 1, date(2026, 12, 25)),  # lands on a bank holiday: stays (calendar rule)
        (date(2026, 5, 15), 12, date(2027, 5, 15)),
    ],
)
def test_add_calendar_months__clamps_to_month_end(anchor: date, months: int, due: date) -> None:
    assert add_calendar_months(anchor, months) == due


@pytest.mark.parametrize(
    ("anchor", "days", "due", "skipped"),
    [
        # Easter 2025: Good Friday 18 April, Easter Monday 21 April.
        (date(2025, 4, 16), 2, date(2025, 4, 22), ["Good Friday", "Easter Monday"]),
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        (date(2026, 4, 2), 1, date(2026, 4, 7), ["Good Friday", "Easter Monday"]),
        # One-off days of 2022: Platinum Jubilee (2 and 3 June) and the State Funeral (19 September).
        (date(2022, 6, 1), 1, date(2022, 6, 6), ["Spring Bank Holiday", "Platinum Jubilee of Elizabeth II"]),
        (date(2022, 9, 16), 1, date(2022, 9, 20), ["State Funeral of Queen Elizabeth II"]),
        # One-off day of 2023: the Coronation (8 May); 1 May is the Early May bank holiday.
        (date(2023, 4, 28), 2, date(2023, 5, 3), ["May Day"]),
        (date(2023, 5, 5), 1, date(2023, 5, 9), ["Coronation of Charles III"]),
        # Christmas 2026: Boxing Day falls on a Saturday, substitute day Monday 28 December.
        (date(2026, 12, 24), 1, date(2026, 12, 29), ["Christmas Day", "Boxing Day (observed)"]),
        (date(2025, 12, 15), 20, date(2026, 1, 15), ["Christmas Day", "Boxing Day", "New Year's Day"]),
        (date(2026, 11, 25), 0, date(2026, 11, 25), []),
    ],
)
def test_add_working_days__skips_weekends_and_bank_holidays(
    anchor: date, days: int, due: date, skipped: list[str]
) -> None:
    result = add_working_days(anchor, days, ENG)
    assert result.due == due
    assert [name for _day, name in result.holidays_skipped] == skipped


def test_add_working_days__extra_imported_day_is_skipped() -> None:
    calendar = BankHolidays("ENG", extra={date(2026, 6, 1): "Proclaimed holiday"})
    result = add_working_days(date(2026, 5, 29), 1, calendar)
    assert result.due == date(2026, 6, 2)
    assert result.holidays_skipped == ((date(2026, 6, 1), "Proclaimed holiday"),)


def test_add_working_days__rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 1, 1), -1, ENG)


@pytest.mark.parametrize(
    ("intervals", "today", "days"),
    [
        ([Interval(date(2026, 1, 1), date(2026, 1, 11))], date(2026, 6, 1), 10),
        # trial 1 Jan–1 Mar overlapped by inquest 1 Feb–1 Apr: 90 days, not 59 + 59
        (
            [Interval(date(2026, 1, 1), date(2026, 3, 1)), Interval(date(2026, 2, 1), date(2026, 4, 1))],
            date(2026, 6, 1),
            90,
        ),
        (
            [Interval(date(2026, 1, 1), date(2026, 1, 11)), Interval(date(2026, 2, 1), date(2026, 2, 3))],
            date(2026, 6, 1),
            12,
        ),
        ([Interval(date(2026, 5, 1), None)], date(2026, 5, 31), 30),  # still open: counts to today
        (
            [Interval(date(2026, 1, 1), date(2026, 2, 1)), Interval(date(2026, 1, 5), date(2026, 1, 10))],
            date(2026, 6, 1),
            31,
        ),
    ],
)
def test_paused_days__overlaps_count_once(intervals: list[Interval], today: date, days: int) -> None:
    assert paused_days(intervals, today=today) == days


def test_format_date__british_long_form() -> None:
    assert format_date(date(2026, 11, 25)) == "25 November 2026"
    assert format_date(date(2027, 1, 5)) == "5 January 2027"

"""The injected clock: domain code never calls datetime.now() itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """Wall-clock time in UTC; 'today' is the date in Europe/London."""

    def __init__(self, tz: ZoneInfo = LONDON) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(self.tz).date()


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime, tz: ZoneInfo = LONDON) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._now = start
        self.tz = tz

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.astimezone(self.tz).date()

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)

    def set(self, moment: datetime) -> None:
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    @classmethod
    def on(cls, day: date, hour: int = 12) -> FakeClock:
        """A clock at noon (London) on the given day."""
        return cls(datetime(day.year, day.month, day.day, hour, tzinfo=LONDON).astimezone(UTC))

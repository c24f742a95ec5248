"""The Jinja filters the letter templates may use (rendering.py; the spec loader parses with them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from dhr_engine.domain.calendar import format_date


def long_date(value: date | str) -> str:
    """'25 November 2026'."""
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value)


def month_year(value: date) -> str:
    return value.strftime("%B %Y")


def lines(value: str) -> list[str]:
    """Split an address written with newlines or commas into its lines."""
    parts = value.splitlines() if "\n" in value else value.split(",")
    return [p.strip() for p in parts if p.strip()]


FILTERS: Mapping[str, Callable[..., Any]] = {"longdate": long_date, "monthyear": month_year, "lines": lines}

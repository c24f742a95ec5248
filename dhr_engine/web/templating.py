"""The web pages' Jinja environment: our templates plus GOV.UK Frontend's macros.

It is separate from the letters' environment. govuk-frontend-jinja's own templates call macros
without every parameter, so the environment needs ChainableUndefined (LIBRARIES.md §6).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)
from starlette.templating import Jinja2Templates

from dhr_engine.domain.calendar import format_date
from dhr_engine.returns.merged import describe_when
from dhr_engine.services.family import KINDS as FAMILY_KINDS

LONDON = ZoneInfo("Europe/London")
ACRONYMS = re.compile(r"\b(csp|imr|qa|iopc|rag|dhr|dardr|csv)\b", re.IGNORECASE)


def show_date(value: date | datetime | str | None, empty: str = "not recorded") -> str:
    """A date as people read it: 25 November 2026."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return format_date(value)


def show_datetime(value: datetime | None) -> str:
    if value is None:
        return "not recorded"
    local = value.astimezone(LONDON)
    return f"{format_date(local.date())} at {local.strftime('%H:%M')}"


def humanise(code: str | None) -> str:
    """A stable snake_case code as words: 'criminal_trial' -> 'Criminal trial'."""
    if not code:
        return ""
    words = str(code).replace("_", " ").strip()
    words = ACRONYMS.sub(lambda m: m.group(0).upper(), words)
    return words[:1].upper() + words[1:]


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def make_environment(templates_dir: Path) -> Environment:
    """Build the web Environment (autoescaped, ChainableUndefined, GOV.UK macros under a prefix)."""
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(str(templates_dir)),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(["html", "svg"], default_for_string=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Any] = {
        "show_date": show_date,
        "show_datetime": show_datetime,
        "humanise": humanise,
    }
    env.filters.update(filters)
    env.globals["plural"] = plural
    env.globals["family_labels"] = FAMILY_KINDS
    env.globals["describe_when"] = describe_when
    return env


def make_templates(templates_dir: Path) -> Jinja2Templates:
    return Jinja2Templates(env=make_environment(templates_dir))

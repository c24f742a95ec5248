"""The web pages' Jinja environment: our templates plus GOV.UK Frontend's macros.

It is separate from the letters' environment. govuk-frontend-jinja's own templates call macros
without every parameter, so the environment needs ChainableUndefined (LIBRARIES.md §6).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


def style_nonce(html: str, nonce: str) -> str:
    """A letter's HTML for an iframe's srcdoc, its style sheet marked with this response's
    Content-Security-Policy nonce: a srcdoc frame lives under the page's policy (api/edge.py),
    which refuses an inline style without it. What a person typed is escaped, so only the
    letter's own <style> elements get the nonce."""
    return str(html).replace("<style>", f'<style nonce="{nonce}">') if nonce else str(html)


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def make_environment(templates_dir: Path, page_globals: Mapping[str, Any] | None = None) -> Environment:
    """Build the web Environment (autoescaped, ChainableUndefined, GOV.UK macros under a prefix);
    `page_globals` are what the domains' pages add (listed by the composition root)."""
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
        "style_nonce": style_nonce,
    }
    env.filters.update(filters)
    env.globals["plural"] = plural
    env.globals.update(page_globals or {})
    return env


def make_templates(templates_dir: Path, page_globals: Mapping[str, Any] | None = None) -> Jinja2Templates:
    return Jinja2Templates(env=make_environment(templates_dir, page_globals))

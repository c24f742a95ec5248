"""Cells a spreadsheet program never runs as a formula (CSV and formula injection).

Every CSV and XLSX the engine writes passes each cell through `safe_cell`
(`tests/architecture/test_spreadsheet_exports.py` checks that a module writing one imports it).
Text that a spreadsheet program would read as a formula, because it starts with one of OWASP's
characters (= + - @, a tab or a carriage return), also after leading spaces or line breaks, gets a
single quote in front: Excel and LibreOffice then show it as text, and openpyxl stores it as a
string cell (data type 's'), never as a formula. Numbers, dates and booleans are not text and stay
what they are, so a spreadsheet can still add up and sort them.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """True if a spreadsheet program could read the text as a formula."""
    return text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS)


def safe_text(text: str) -> str:
    """The text, with a single quote in front if it could be read as a formula."""
    return f"'{text}" if looks_like_formula(text) else text


def safe_cell(value: object) -> object:
    """A cell value for CSV or XLSX: text made safe, anything else (numbers, dates) unchanged."""
    return safe_text(value) if isinstance(value, str) else value

"""Logging that never carries personal data: access-log lines lose their query strings.

A search box or a filter can put a name in a URL's query string; the path alone (case references,
ids) is what an operator needs, so the query string is dropped before a line is written.
"""

from __future__ import annotations

import logging


class DropQueryStrings(logging.Filter):
    """Rewrite uvicorn access-log records so the request target has no query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def install_access_log_filter() -> None:
    """Attach the filter to uvicorn's access logger (idempotent)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
        logger.addFilter(DropQueryStrings())

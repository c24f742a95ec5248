"""Access-log lines keep the path but never the query string (a search can carry a name)."""

import logging

from dhr_engine.logs import DropQueryStrings


def test_access_log__query_string_dropped() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/cases?search=Rosalind+Secretname", "1.1", 200),
        None,
    )
    assert DropQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /cases HTTP/1.1" 200'

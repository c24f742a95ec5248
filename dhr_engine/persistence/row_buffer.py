"""Append-only rows written with one Core INSERT per table when the session flushes.

A command adds several rows that nothing reads back in the same transaction (the audit events of
the case's chain, the outbox items): building an ORM object and a unit-of-work entry for each costs
more than the SQL itself. They are queued as plain dicts on the session and written, table by
table in the order first queued, as an executemany right after the ORM's own flush (so the case
row they reference is already there), or at commit if no ORM change was pending. A rollback
forgets them with the rest of the transaction.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Insert, Table, event, insert
from sqlalchemy.orm import Session, UOWTransaction

_QUEUE = "queued_rows"


def queue_row(session: Session, table: Table, row: dict[str, Any]) -> None:
    """Queue one row of `table` (every column the table needs, its id included) for this transaction."""
    queued: dict[Table, list[dict[str, Any]]] = session.info.setdefault(_QUEUE, {})
    queued.setdefault(table, []).append(row)


def queued_rows(session: Session, table: Table) -> list[dict[str, Any]]:
    """The rows of `table` queued and not yet written (for code that must see them before a flush)."""
    queued: dict[Table, list[dict[str, Any]]] = session.info.get(_QUEUE, {})
    return list(queued.get(table, ()))


def write_queued(session: Session) -> None:
    """Write what is queued now (a flush does this by itself)."""
    queued: dict[Table, list[dict[str, Any]]] | None = session.info.pop(_QUEUE, None)
    if not queued:
        return
    connection = session.connection()
    for table, rows in queued.items():
        connection.execute(_insert(table), rows)


@functools.cache
def _insert(table: Table) -> Insert:
    """One INSERT statement object per table, so its compiled form is found without rebuilding it."""
    return insert(table)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    write_queued(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # A flush with no ORM change pending returns early without its after_flush hook, so whatever is
    # still queued after this flush is written here.
    session.flush()
    write_queued(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUE, None)

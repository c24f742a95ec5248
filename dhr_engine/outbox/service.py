"""Draining the transactional outbox: work queued in a command's transaction, done after commit.

`ctx.outbox_handlers` maps an OutboxItem kind to its handler: each domain writes its handler in
its `handlers.py` and the composition root (`dhr_engine.bootstrap.OUTBOX_HANDLERS`) lists them.
The drain only takes kinds that have a handler.

How an item is taken, so that any number of drains never do one item twice at the same time:

1. Claim (one short transaction): pending items whose `available_at` has come are leased by
   moving `available_at` to now + LEASE and counting the attempt (PostgreSQL: FOR UPDATE SKIP
   LOCKED; SQLite: BEGIN IMMEDIATE). A drain that dies mid-item leaves the lease to run out and
   the item is taken again: nothing is lost.
2. Work: the handler runs outside any transaction (an SMTP conversation can take seconds).
3. Settle (one short transaction per item, straight after the work): 'done'; or, on a temporary
   failure, back to the queue with `available_at` = now + back-off (1, 2, 4, ... minutes, capped)
   and the reason in `last_error`; after MAX_ATTEMPTS, or on a permanent failure, 'failed' with
   the reason. A settle only applies to the attempt it leased, so a late drain cannot overwrite
   a newer one.
E-mail is at-least-once: if a process dies after the server accepted a message and before step 3
commits, the message goes again after the lease. Each message carries a Message-ID made from the
item, so the copy can be recognised.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, case, func, update
from sqlmodel import Session, col, select

from dhr_engine.context import AppContext
from dhr_engine.persistence.row_buffer import queue_row
from dhr_engine.persistence.tables import OutboxItem, new_id

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about a day and a half of retries with the defaults
DEFAULT_BATCH = 50

OUTBOX = cast(Table, OutboxItem.__table__)  # type: ignore[attr-defined]


def queue_outbox_item(
    session: Session,
    *,
    case_id: uuid.UUID | None,
    kind: str,
    topic: str,
    available_at: datetime,
    payload: dict[str, Any],
) -> None:
    """Queue work for after commit, written with the command's transaction (row_buffer.py)."""
    queue_row(
        session,
        OUTBOX,
        {
            "id": new_id(),
            "case_id": case_id,
            "kind": kind,
            "topic": topic,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "available_at": available_at,
            "last_error": "",
            "created_at": available_at,
            "done_at": None,
        },
    )


class OutboxHandler(Protocol):
    def __call__(self, ctx: AppContext, item: OutboxItem) -> None:
        """Do the item's work; raise to retry it later (see RetryLater / GiveUp)."""


class ClosingHandler(OutboxHandler, Protocol):
    def close(self) -> None:
        """Called once at the end of each drain (e.g. to close an SMTP connection)."""


class RetryLater(Exception):
    """A temporary failure: the item is tried again after the back-off."""


class GiveUp(Exception):
    """A permanent failure: the item is recorded as failed with this reason and not retried."""


def backoff(attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> timedelta:
    """The wait before attempt n+1 after n failed attempts: base x 2^(n-1), at most cap."""
    wait: timedelta = base * (2 ** max(0, attempts - 1))
    return min(cap, wait)


@dataclass
class DrainResult:
    done: int = 0
    retried: int = 0
    failed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def taken(self) -> int:
        return self.done + self.retried + self.failed

    def add(self, other: DrainResult) -> None:
        self.done += other.done
        self.retried += other.retried
        self.failed += other.failed
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


def claim(
    ctx: AppContext, now: datetime, limit: int, kinds: list[str], lease: timedelta = LEASE
) -> list[OutboxItem]:
    """Lease up to `limit` items that are due; returns detached copies with the leased attempt."""
    if not kinds:
        return []
    with ctx.uow() as uow:
        session = uow.session
        query = (
            select(OutboxItem)
            .where(
                col(OutboxItem.status) == "pending",
                col(OutboxItem.available_at) <= now,
                col(OutboxItem.kind).in_(kinds),
            )
            .order_by(col(OutboxItem.available_at), col(OutboxItem.id))
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        items = list(session.exec(query).all())
        for item in items:
            item.attempts += 1
            item.available_at = now + lease
            session.add(item)
        uow.commit()
        for item in items:
            session.expunge(item)
    return items


def _settle(ctx: AppContext, item: OutboxItem, values: dict[str, Any]) -> bool:
    """Apply the outcome of the attempt this drain leased (and only that attempt)."""
    with ctx.uow() as uow:
        result = uow.session.execute(
            update(OUTBOX)
            .where(
                and_(
                    OUTBOX.c.id == item.id,
                    OUTBOX.c.status == "pending",
                    OUTBOX.c.attempts == item.attempts,
                )
            )
            .values(**values)
        )
        uow.commit()
    return bool(getattr(result, "rowcount", 0))


def process(ctx: AppContext, item: OutboxItem, handler: OutboxHandler, result: DrainResult) -> None:
    """Run one leased item's handler and record what happened."""
    now = ctx.clock.now()
    try:
        handler(ctx, item)
    except GiveUp as err:
        _settle(ctx, item, {"status": "failed", "last_error": str(err)[:1000], "done_at": now})
        result.failed += 1
        log.warning("outbox item %s (%s) failed: %s", item.id, item.kind, err)
        return
    except Exception as err:  # any other failure is retried with back-off
        reason = str(err) if isinstance(err, RetryLater) else f"{type(err).__name__}: {err}"
        if item.attempts >= MAX_ATTEMPTS:
            _settle(
                ctx,
                item,
                {"status": "failed", "last_error": f"gave up after {item.attempts} attempts: {reason}"[:1000],
                 "done_at": now},
            )  # fmt: skip
            result.failed += 1
        else:
            later = ctx.clock.now() + backoff(item.attempts)
            _settle(ctx, item, {"available_at": later, "last_error": reason[:1000]})
            result.retried += 1
        log.info("outbox item %s (%s) attempt %d failed; retrying later", item.id, item.kind, item.attempts)
        return
    _settle(ctx, item, {"status": "done", "done_at": ctx.clock.now(), "last_error": ""})
    result.done += 1
    result.by_kind[item.kind] = result.by_kind.get(item.kind, 0) + 1


def drain_batch(ctx: AppContext, now: datetime | None = None, limit: int = DEFAULT_BATCH) -> DrainResult:
    """Claim one batch of due items and work through it."""
    handlers: dict[str, OutboxHandler] = dict(ctx.outbox_handlers)
    result = DrainResult()
    for item in claim(ctx, now or ctx.clock.now(), limit, sorted(handlers)):
        process(ctx, item, handlers[item.kind], result)
    return result


def drain_outbox(
    ctx: AppContext, now: datetime | None = None, limit: int = DEFAULT_BATCH, max_batches: int | None = None
) -> DrainResult:
    """Drain until nothing due is left (or max_batches): what the 'drain-outbox' job runs."""
    total = DrainResult()
    batches = 0
    try:
        while max_batches is None or batches < max_batches:
            done = drain_batch(ctx, now, limit)
            batches += 1
            total.add(done)
            if done.taken == 0:
                break
    finally:
        for handler in ctx.outbox_handlers.values():
            close = getattr(handler, "close", None)
            if callable(close):
                close()
    return total


@dataclass(frozen=True)
class QueueCounts:
    pending: int
    waiting_retry: int
    failed: int
    done: int


def queue_counts(ctx: AppContext, kind: str | None = None) -> QueueCounts:
    """How many items are queued, waiting for a retry, failed and done (for `dhr scheduler list`)."""
    with ctx.reader() as uow:
        query = select(
            func.count(case((and_(OUTBOX.c.status == "pending", OUTBOX.c.attempts == 0), 1))),
            func.count(case((and_(OUTBOX.c.status == "pending", OUTBOX.c.attempts > 0), 1))),
            func.count(case((OUTBOX.c.status == "failed", 1))),
            func.count(case((OUTBOX.c.status == "done", 1))),
        )
        if kind is not None:
            query = query.where(OUTBOX.c.kind == kind)
        pending, waiting, failed, done = uow.session.execute(query).one()
    return QueueCounts(int(pending), int(waiting), int(failed), int(done))

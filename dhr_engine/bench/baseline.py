"""The floor: a one-row sqlmodel get + update + add transaction on the same database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from dhr_engine.bench.baseline_tables import BaselineEvent, BaselineReview
from dhr_engine.context import AppContext

FLOOR_NAME = "one-row sqlmodel get+update+add transaction"


def one_row_transaction(ctx: AppContext, review_id: uuid.UUID) -> None:
    """Get one row, change it, add one event row, commit: what every command does at the least."""
    with ctx.session_factory() as session:
        review = session.get(BaselineReview, review_id)
        if review is None:
            raise LookupError("the baseline row has gone")
        review.status = "b" if review.status == "a" else "a"
        review.counter += 1
        review.updated_at = datetime.now(UTC)
        session.add(
            BaselineEvent(
                review_id=review_id,
                kind="moved",
                data={"status": review.status},
                recorded_at=review.updated_at,
            )
        )
        session.commit()


def floor_work(ctx: AppContext) -> Callable[[int], None]:
    """A callable running n floor transactions on a fresh baseline row."""
    with ctx.session_factory() as session:
        review = BaselineReview()
        session.add(review)
        session.commit()
        review_id = review.id

    def work(n: int) -> None:
        for _ in range(n):
            one_row_transaction(ctx, review_id)

    return work

"""The RAG rating of an action, written down once.

The rule, checked in this order (DHR-PROCESS.md §6.1: RAG is common CSP practice, [I]):

1. BLUE  - the action is complete (with evidence).
2. RED   - the action was closed without being done, or it is still open and its target date
           has passed (overdue: "overdue" is derived from the target date, never stored).
3. AMBER - the action is open and either its target date falls within the next 28 days, or
           the lead agency has sent no progress update within the monitoring cadence (91 days,
           one quarter; counted from the action's creation when there has been no update yet).
4. GREEN - otherwise: open, on track and reported on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

DUE_SOON_DAYS = 28
STALE_AFTER_DAYS = 91

COMPLETE = "complete"
CLOSED_NOT_DONE = "closed_not_done"
FINISHED = frozenset({COMPLETE, CLOSED_NOT_DONE})


class Rag(StrEnum):
    BLUE = "blue"
    RED = "red"
    AMBER = "amber"
    GREEN = "green"

    @property
    def label(self) -> str:
        return {"blue": "Blue (complete)", "red": "Red", "amber": "Amber", "green": "Green"}[self.value]


@dataclass(frozen=True)
class RagInput:
    """What the rule reads from an action."""

    stage: str
    target_date: date
    created_on: date
    last_update_on: date | None


@dataclass(frozen=True)
class RagResult:
    rag: Rag
    reason: str


def is_overdue(stage: str, target_date: date, today: date) -> bool:
    """Open and past its target date."""
    return stage not in FINISHED and target_date < today


def rate(action: RagInput, today: date) -> RagResult:
    """Apply the RAG rule above; the reason says which part of it applied."""
    if action.stage == COMPLETE:
        return RagResult(Rag.BLUE, "complete")
    if action.stage == CLOSED_NOT_DONE:
        return RagResult(Rag.RED, "closed without being done")
    if is_overdue(action.stage, action.target_date, today):
        return RagResult(Rag.RED, f"overdue by {(today - action.target_date).days} days")
    if action.target_date <= today + timedelta(days=DUE_SOON_DAYS):
        return RagResult(Rag.AMBER, f"due within {DUE_SOON_DAYS} days")
    last = action.last_update_on or action.created_on
    if (today - last).days > STALE_AFTER_DAYS:
        return RagResult(Rag.AMBER, f"no progress update for more than {STALE_AFTER_DAYS} days")
    return RagResult(Rag.GREEN, "on track")

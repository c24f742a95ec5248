"""The date a letter states for a deadline: the one the scheduler chases, never a count of its own.

A letter that gives a date or a time limit ("please reply by ...", "the review is due by ...")
reads it here, so the letter and the reminders agree:

1. the open deadline row of the case (for an agency, the row of that agency's return request),
   whose adjusted due date is what the sweep chases; else
2. for a deadline of the case itself, the newest row of that key that was not cancelled (a letter
   about a deadline already met); else
3. the workflow's rule for the case's workflow version, with the partnership's local duration
   (`Csp.deadline_overrides`), applied on the statutory calendar to the anchor the row would use
   (for a request the letter itself makes, the letter's date).

A rule the case's workflow does not have gives no date: the letter then asks for it by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlmodel import Session, col, select

from dhr_engine.deadlines.service import OPEN, compute_due, effective_rule
from dhr_engine.domain.calendar import BankHolidays
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.errors import NotFound
from dhr_engine.persistence.case_lookup import csp_overrides
from dhr_engine.persistence.tables import Case, Deadline, ReturnRequest
from dhr_engine.workflow.definition import WorkflowDefinition

Source = Literal["open_row", "row", "rule"]


@dataclass(frozen=True)
class LetterDue:
    """The due date a letter states, the deadline it is the date of, and where it was read."""

    key: str
    due: date
    source: Source
    row_id: uuid.UUID | None = None


def _rows(session: Session, case: Case, key: str, subject_ids: Sequence[uuid.UUID] | None) -> list[Deadline]:
    query = select(Deadline).where(
        Deadline.case_id == case.id, Deadline.key == key, Deadline.status != "cancelled"
    )
    if subject_ids is not None:
        if not subject_ids:
            return []
        query = query.where(col(Deadline.subject_id).in_(list(subject_ids)))
    return list(session.exec(query.order_by(col(Deadline.opened_at).desc())).all())


def rule_due(
    session: Session,
    case: Case,
    definition: WorkflowDefinition,
    key: str,
    *,
    anchor_on: date,
    calendar: BankHolidays,
) -> date | None:
    """The rule (with the CSP's local duration) applied to the anchor; None if the workflow lacks it."""
    try:
        rule = effective_rule(definition, key, csp_overrides(session, case.csp_id))
    except NotFound:
        return None
    return compute_due(rule.add, anchor_on, calendar).due


def letter_due(
    session: Session,
    case: Case,
    definition: WorkflowDefinition,
    key: str,
    *,
    anchor_on: date | None,
    calendar: BankHolidays,
    subject_ids: Sequence[uuid.UUID] | None = None,
    open_only: bool = False,
) -> LetterDue | None:
    """The due date of deadline `key` as a letter should state it (see the module docstring).

    `subject_ids` limits the rows to those subjects (an agency's return requests); `anchor_on` is
    the date the rule counts from when there is no row (None: no date without a row);
    `open_only` skips step 2 (a new request is not due when an earlier one was).
    """
    rows = [r for r in _rows(session, case, key, subject_ids) if r.status == OPEN or not open_only]
    row = next((r for r in rows if r.status == OPEN), rows[0] if rows else None)
    if row is not None:
        return LetterDue(key, row.adjusted_due, "open_row" if row.status == OPEN else "row", row.id)
    if anchor_on is None:
        return None
    due = rule_due(session, case, definition, key, anchor_on=anchor_on, calendar=calendar)
    return LetterDue(key, due, "rule") if due is not None else None


def return_due(
    session: Session,
    case: Case,
    definition: WorkflowDefinition,
    agency_id: uuid.UUID | None,
    kinds: Sequence[str],
    *,
    today: date,
    calendar: BankHolidays,
) -> LetterDue | None:
    """The due date of an agency's return, for the letter that asks for it.

    `kinds` are the return kinds the letter asks for (domain/return_kinds.py), most likely first:
    the open deadline row of the agency's request of one of them, else the first kind's rule
    applied to the letter's date (the day the agency is asked). A request already returned does
    not count: a letter asking again is a new request.
    """
    if not kinds:
        raise ValueError("name at least one kind of return")
    if agency_id is not None:
        requests = session.exec(
            select(ReturnRequest.id, ReturnRequest.kind).where(
                ReturnRequest.case_id == case.id,
                ReturnRequest.agency_id == agency_id,
                col(ReturnRequest.kind).in_(list(kinds)),
            )
        ).all()
        for kind in kinds:
            ids = [request_id for request_id, k in requests if k == kind]
            found = letter_due(
                session, case, definition, KINDS[kind].deadline_key, anchor_on=None, calendar=calendar,
                subject_ids=ids, open_only=True,
            )  # fmt: skip
            if found is not None:
                return found
    key = KINDS[kinds[0]].deadline_key  # not another agency's row: the rule, from the letter's date
    due = rule_due(session, case, definition, key, anchor_on=today, calendar=calendar)
    return LetterDue(key, due, "rule") if due is not None else None

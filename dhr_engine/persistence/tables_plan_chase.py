"""The claims of the priority-plan chase: one row per (subject, due date, rung), sent exactly once.

A CSP priority plan has no case, so its reviews and actions cannot be `deadline` rows (which belong
to a case) and cannot be claimed in `deadline_notice`. `PlanNotice` is their claim instead:

- subject_type 'action' (subject_id: the PlanAction, due on its target date), 'plan_review'
  (subject_id: the Plan, due on `next_review_on`) or 'yearly_review' (the Plan, `yearly_review_on`);
- the rung is "before:14", "due", "escalation:1", ... as for deadlines (scheduler/rungs.py); the due
  date is part of the key, so a moved target date or a recorded review starts a fresh ladder;
- UNIQUE(subject_type, subject_id, due_on, rung) is the claim itself: the chase inserts it with
  ON CONFLICT DO NOTHING and sends only when its own insert went in.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from dhr_engine.persistence.tables import new_id, utcnow

PLAN_NOTICE_SUBJECTS = ("action", "plan_review", "yearly_review")


class PlanNotice(SQLModel, table=True):
    """One rung of a priority plan's review or action, claimed exactly once."""

    __tablename__ = "plan_notice"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "due_on", "rung", name="uq_plan_notice_rung"),
        Index("ix_plan_notice_plan", "plan_id", "sent_on"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plan.id")
    subject_type: str = Field(max_length=20)  # action | plan_review | yearly_review
    subject_id: uuid.UUID
    due_on: date  # the target or review date this rung was computed from
    rung: str = Field(max_length=40)
    kind: str = Field(max_length=20)  # reminder | due | escalation | failed
    level: int = 0  # days before (reminders) or escalation number
    status: str = Field(default="sent", max_length=20)  # sent | unaddressed | failed
    sent_on: date  # the day (Europe/London) of the sweep that claimed it
    claimed_at: datetime = Field(default_factory=utcnow)
    claimed_by: str = Field(default="", max_length=80)  # host:pid of the scheduler process
    next_on: date | None = None  # when the subject's next rung falls; None: nothing more
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    skipped: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    addressees: int = 0
    error: str = Field(default="", max_length=500)

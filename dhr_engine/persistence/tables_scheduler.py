"""Tables of the sweep: the notices claimed for each rung of everything it chases, and in-app notifications.

- `DeadlineNotice` (table `deadline_notice`) is the one claim of the one sweep
  (deadlines/scheduled.py): one row per (subject, due date, rung), made unique by the database, so
  any number of schedulers, restarts or overlapping sweeps send each notice once. The subject is
  what has the due date:
  - subject_type 'deadline': a `deadline` row of a case (subject_id = deadline_id; case_id set),
    which covers a case's own deadlines and the agencies' return deadlines;
  - subject_type 'action' / 'plan_review' / 'yearly_review': an action of a CSP priority plan, or
    the plan's progress or yearly review (plans/scheduled.py; plan_id set, no case, no deadline).
  A rung is "before:7", "before:1", "due", "escalation:1", "escalation:2", ... The due date is part
  of the key because a paused deadline that resumes (or a moved target date, or a recorded review)
  gets a new due date and a fresh set of rungs. `next_on` is the day the subject's next rung falls
  (None: nothing more), so the sweep can skip deadlines with nothing to send today without
  recomputing every rule.
- `Notification` is what a user sees in the application: one per addressee of a notice, unique per
  (notice, user). Its e-mail is an OutboxItem (kind 'email', topic 'deadline_notice') written in
  the same transaction and sent after commit.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from dhr_engine.persistence.tables import new_id, utcnow

NOTICE_STATUSES = ("sent", "unaddressed", "quiet", "failed")
DEADLINE_SUBJECT = "deadline"  # the subject_type of a deadline row's notices


class DeadlineNotice(SQLModel, table=True):
    """One rung of one subject, claimed exactly once: a reminder, the due-day notice or an escalation."""

    __tablename__ = "deadline_notice"
    __table_args__ = (
        UniqueConstraint(
            "subject_id", "subject_type", "due_on", "rung", name="uq_deadline_notice_subject_rung"
        ),
        Index("ix_deadline_notice_case", "case_id", "sent_on"),
        Index("ix_deadline_notice_plan", "plan_id", "sent_on"),
        Index("ix_deadline_notice_deadline", "deadline_id", "due_on"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    subject_type: str = Field(max_length=20)  # deadline | action | plan_review | yearly_review
    subject_id: uuid.UUID  # the deadline row, the priority plan's action, or the plan (its reviews)
    deadline_id: uuid.UUID | None = Field(default=None, foreign_key="deadline.id")  # deadline rows only
    case_id: uuid.UUID | None = Field(default=None, foreign_key="dhr_case.id")  # deadline rows only
    plan_id: uuid.UUID | None = Field(default=None, foreign_key="plan.id")  # priority plans only
    due_on: date  # the due date this rung was computed from (a deadline's adjusted due date)
    rung: str = Field(max_length=40)
    kind: str = Field(max_length=20)  # reminder | due | escalation | quiet | failed
    level: int = 0  # days before (reminders) or escalation number
    status: str = Field(default="sent", max_length=20)  # sent | unaddressed | quiet | failed
    sent_on: date  # the day (Europe/London) of the sweep that claimed it
    claimed_at: datetime = Field(default_factory=utcnow)
    claimed_by: str = Field(default="", max_length=80)  # host:pid of the scheduler process
    next_on: date | None = None  # when the deadline's next rung falls; None: nothing more
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    skipped: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    addressees: int = 0
    error: str = Field(default="", max_length=500)


class Notification(SQLModel, table=True):
    """An in-app notification for one user (no personal data: case reference and deadline label)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("notice_id", "user_id", name="uq_notification_notice_user"),
        Index("ix_notification_user", "user_id", "created_at"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id")
    case_id: uuid.UUID | None = Field(default=None, foreign_key="dhr_case.id", index=True)
    notice_id: uuid.UUID | None = Field(default=None, foreign_key="deadline_notice.id")
    deadline_id: uuid.UUID | None = Field(default=None, foreign_key="deadline.id")
    kind: str = Field(max_length=20)  # reminder | due | escalation
    title: str = Field(max_length=300)
    body: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
    email_item_id: uuid.UUID | None = None  # the OutboxItem that e-mails it, if the user has an address

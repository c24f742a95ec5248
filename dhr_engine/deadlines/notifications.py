"""In-app notifications, and the e-mails queued with them.

A notification and its e-mail are written in the transaction that claims the notice (as rows
queued by the sweep and inserted together at the end of its batch), for every source the sweep
chases; the e-mail is an OutboxItem (kind 'email', topic 'deadline_notice') sent after commit by
the outbox drain. Neither carries personal data: only the case reference (or the priority plan's
title and action number), the deadline's label and its dates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, insert, update
from sqlmodel import Session, col, select

from dhr_engine.deadlines.addressees import Person
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.reminders import Rung
from dhr_engine.errors import NotFound
from dhr_engine.persistence.tables import Deadline, OutboxItem, new_id
from dhr_engine.persistence.tables_scheduler import Notification

EMAIL_TOPIC = "deadline_notice"
OUTBOX = cast(Table, OutboxItem.__table__)  # type: ignore[attr-defined]
NOTIFICATION = cast(Table, Notification.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NoticeText:
    title: str
    body: str


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def notice_text(case_ref: str, deadline: Deadline, rung: Rung, today: date) -> NoticeText:
    """The words of a reminder, due-day notice or escalation (British English, no personal data)."""
    due = deadline.adjusted_due
    label = deadline.label
    if rung.kind == "reminder":
        left = (due - today).days
        headline = f"due in {_days(left)}, on {format_date(due)}"
        lead = f"Reminder: '{label}' on case {case_ref} is due in {_days(left)}, on {format_date(due)}."
    elif rung.kind == "due":
        late = (today - due).days
        headline = f"due today, {format_date(due)}" if late <= 0 else f"was due on {format_date(due)}"
        lead = f"'{label}' on case {case_ref} {headline}."
    else:
        late = (today - due).days
        headline = f"overdue by {_days(late)} — escalation {rung.level}"
        lead = (
            f"Escalation {rung.level}: '{label}' on case {case_ref} was due on {format_date(due)} "
            f"and is {_days(late)} overdue."
        )
    body = (
        f"{lead}\n\nThe deadline belongs to the {deadline.owner_role.replace('_', ' ')}. "
        f"Rule: {deadline.rule}. Sign in to dhr-engine to see the case and what is needed."
    )
    return NoticeText(title=f"{case_ref}: {label} — {headline}", body=body)


@dataclass
class QueuedRows:
    """Rows to insert at the end of a sweep batch (plain dicts: one multi-row INSERT per table)."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)


def queue_for_notice(
    queued: QueuedRows,
    *,
    notice_id: uuid.UUID,
    deadline_id: uuid.UUID | None,
    case_id: uuid.UUID | None,
    kind: str,
    people: list[Person],
    text: NoticeText,
    now: datetime,
) -> int:
    """One notification per addressee, and an e-mail for each who has an address; returns e-mails.

    A priority plan's notice has no case and no deadline row: both are None then."""
    emails = 0
    for person in people:
        note_id = new_id()
        item_id = None
        if person.email:
            item_id = new_id()
            queued.emails.append(
                {
                    "id": item_id,
                    "case_id": case_id,
                    "kind": "email",
                    "topic": EMAIL_TOPIC,
                    "payload": {"notification_id": str(note_id)},
                    "status": "pending",
                    "attempts": 0,
                    "available_at": now,
                    "last_error": "",
                    "created_at": now,
                    "done_at": None,
                }
            )
            emails += 1
        queued.notifications.append(
            {
                "id": note_id,
                "user_id": person.user_id,
                "case_id": case_id,
                "notice_id": notice_id,
                "deadline_id": deadline_id,
                "kind": kind,
                "title": text.title[:300],
                "body": text.body[:2000],
                "created_at": now,
                "read_at": None,
                "email_item_id": item_id,
            }
        )
    return emails


def insert_queued(session: Session, queued: QueuedRows) -> None:
    """Write the batch's e-mails and notifications (after the notices they point to)."""
    if queued.emails:
        session.execute(insert(OUTBOX), queued.emails)
    if queued.notifications:
        session.execute(insert(NOTIFICATION), queued.notifications)


# --- reading and marking read ---------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationView:
    id: uuid.UUID
    case_id: uuid.UUID | None
    kind: str
    title: str
    body: str
    created_at: datetime
    read: bool
    email: str  # none | queued | sent | failed


def list_for_user(
    session: Session, user_id: uuid.UUID, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> tuple[int, list[NotificationView]]:
    """A user's notifications, newest first, with whether their e-mail went."""
    where: list[ColumnElement[bool]] = [col(Notification.user_id) == user_id]
    if unread_only:
        where.append(col(Notification.read_at).is_(None))
    total = int(session.exec(select(func.count()).select_from(Notification).where(*where)).one())
    rows = session.exec(
        select(Notification, OutboxItem.status)
        .outerjoin(OutboxItem, col(OutboxItem.id) == col(Notification.email_item_id))
        .where(*where)
        .order_by(col(Notification.created_at).desc(), col(Notification.id))
        .limit(limit)
        .offset(offset)
    ).all()
    views = [
        NotificationView(
            id=n.id,
            case_id=n.case_id,
            kind=n.kind,
            title=n.title,
            body=n.body,
            created_at=n.created_at,
            read=n.read_at is not None,
            email="none" if status is None else {"pending": "queued", "done": "sent"}.get(status, status),
        )
        for n, status in rows
    ]
    return total, views


def mark_read(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID, now: datetime) -> None:
    """Mark one of the user's own notifications read (someone else's answers 'not found')."""
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise NotFound("no such notification", field="notification_id")
    if note.read_at is None:
        note.read_at = now
        session.add(note)


def mark_all_read(session: Session, user_id: uuid.UUID, now: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)

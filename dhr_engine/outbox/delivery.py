"""What happened to a queued e-mail, in words a user reads: "sent 25 November 2026", "queued, not
sent: no mail server is configured", "queued, not sent: the last try failed (no mail server is
answering at 127.0.0.1:8025); it will be tried again", "not sent: ...".

How "no mail server" is known: an empty smtp_host setting (DHR_SMTP_HOST="") means none is
configured; otherwise the reason the last delivery attempt recorded on the outbox item (its
`last_error`), or, for an item not tried yet, on the newest e-mail that was tried. Nothing here
reads a recipient or a message body.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from dhr_engine.config import Settings
from dhr_engine.domain.calendar import format_date
from dhr_engine.persistence.tables import OutboxItem

NOT_CONFIGURED = "no mail server is configured"


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host.strip())


def _reason(error: str, settings: Settings) -> str:
    """The recorded error in plain words (the mail code's reasons are already plain, bar these)."""
    text = error.split(": ", 1)[1] if error.startswith("gave up after") and ": " in error else error
    if "refused the connection" in text or "did not answer in time" in text:
        return f"no mail server is answering at {settings.smtp_host}:{settings.smtp_port}"
    return text.rstrip(".")


def _local_day(when: datetime, settings: Settings) -> str:
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return format_date(aware.astimezone(ZoneInfo(settings.timezone)).date())


def last_mail_error(session: Session) -> str:
    """The error of the newest e-mail delivery attempt that failed, or "" when the newest
    attempt succeeded (or none was made)."""
    tried = session.exec(
        select(OutboxItem.last_error, OutboxItem.status)
        .where(OutboxItem.kind == "email", col(OutboxItem.attempts) > 0)
        .order_by(col(OutboxItem.available_at).desc())
        .limit(1)
    ).first()
    if tried is None:
        return ""
    error, status = tried
    return "" if status == "done" else error


def delivery_state(item: OutboxItem | None, settings: Settings, hint: str = "") -> str:
    """The item's delivery state in words. `hint` is last_mail_error(): the reason a new item is
    expected not to go either."""
    if item is None:
        return "not e-mailed"
    if item.status == "done":
        return f"sent {_local_day(item.done_at or item.created_at, settings)}"
    if item.status == "failed":
        return f"not sent: {_reason(item.last_error, settings) or 'the mail server would not take it'}"
    if not mail_configured(settings):
        return f"queued, not sent: {NOT_CONFIGURED}"
    if item.last_error:
        reason = _reason(item.last_error, settings)
        return f"queued, not sent: the last try failed ({reason}); it will be tried again"
    if hint:
        return f"queued, not sent yet: the last e-mail could not be sent ({_reason(hint, settings)})"
    return "queued, not sent yet"


@dataclass(frozen=True)
class EmailLine:
    """One e-mail queued about something (a chase of a return), and what became of it."""

    what: str  # "Reminder", "Escalation"
    queued_on: str  # "25 November 2026"
    state: str  # delivery_state()


def emails_about(
    session: Session,
    settings: Settings,
    *,
    case_id: uuid.UUID,
    topics: Mapping[str, str],
    payload_key: str,
    payload_value: str,
) -> list[EmailLine]:
    """The e-mails of these topics ({topic: what it is}) queued for one thing of a case (the item's
    payload[payload_key] == payload_value), oldest first, each with its delivery state."""
    items = session.exec(
        select(OutboxItem)
        .where(
            OutboxItem.case_id == case_id,
            OutboxItem.kind == "email",
            col(OutboxItem.topic).in_(list(topics)),
        )
        .order_by(col(OutboxItem.created_at), col(OutboxItem.id))
    ).all()
    hint = last_mail_error(session)
    return [
        EmailLine(topics[i.topic], _local_day(i.created_at, settings), delivery_state(i, settings, hint))
        for i in items
        if str(i.payload.get(payload_key, "")) == payload_value
    ]

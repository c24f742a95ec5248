"""The outbox handler for kind 'email': compose the message from the database, send it over SMTP.

Topics:
- 'deadline_notice' (the sweep): payload {"notification_id"}; one message to that user.
- 'return_chase' / 'return_escalation' (agency returns): payload {"user_ids", "cc_roles",
  "emails", "return_kind", "due"}; one message to all of them (recipients not shown to each other).
Messages hold the case reference, the deadline or return label and dates only: never a name, a
date of birth, an address or a free-text note. Addresses are read when the message is sent, so a
corrected address is used.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from dhr_engine.config import Settings
from dhr_engine.context import AppContext
from dhr_engine.domain.calendar import format_date
from dhr_engine.mail import Mail, MailError, SmtpMailer, message_id
from dhr_engine.outbox.service import GiveUp, RetryLater
from dhr_engine.persistence.tables import Case, OutboxItem, User
from dhr_engine.persistence.tables_scheduler import Notification

FOOTER = (
    "\n\n--\nThis message was sent automatically by dhr-engine. It contains no personal details: "
    "sign in to see the case."
)

Composer = Callable[[Session, OutboxItem, Settings], Mail]


def _subject(settings: Settings, text: str) -> str:
    return f"[{settings.protective_marking}] {text}" if settings.protective_marking else text


def compose_deadline_notice(session: Session, item: OutboxItem, settings: Settings) -> Mail:
    note = session.get(Notification, uuid.UUID(str(item.payload.get("notification_id"))))
    if note is None:
        raise GiveUp("the notification this e-mail belongs to no longer exists")
    user = session.get(User, note.user_id)
    if user is None or not user.is_active or not user.email:
        raise GiveUp("the addressee has no active account with an e-mail address")
    return Mail(
        to=(user.email,),
        subject=_subject(settings, note.title),
        body=note.body + FOOTER,
        message_id=message_id(str(note.id)),
    )


def _return_label(code: str) -> str:
    from dhr_engine.domain.return_kinds import KINDS

    kind = KINDS.get(code)
    return kind.label if kind else code.replace("_", " ").capitalize()


def compose_return_chase(session: Session, item: OutboxItem, settings: Settings) -> Mail:
    payload: dict[str, Any] = item.payload
    case = session.get(Case, item.case_id) if item.case_id else None
    if case is None:
        raise GiveUp("the case this e-mail belongs to no longer exists")
    ids = [uuid.UUID(str(u)) for u in payload.get("user_ids", [])]
    users = list(session.exec(select(User).where(col(User.id).in_(ids)))) if ids else []
    roles = set(payload.get("cc_roles", []))
    if roles:
        staff = session.exec(select(User).where(User.csp_id == case.csp_id)).all()
        users += [u for u in staff if roles & set(u.global_roles)]
    addresses = {u.email for u in users if u.is_active and u.email}
    addresses |= {str(e) for e in payload.get("emails", []) if e}
    if not addresses:
        raise GiveUp("nobody to send it to: no addressee has an e-mail address")
    label = _return_label(str(payload.get("return_kind", "")))
    due = payload.get("due")
    when = f"was due on {format_date(date.fromisoformat(due))}" if due else "is awaited"
    escalated = item.topic == "return_escalation"
    headline = f"{case.ref}: {label} {'— escalation' if escalated else '— reminder'}"
    lead = f"The {label.lower()} requested for case {case.ref} {when}. " + (
        "The CSP has escalated this to the agency's senior manager and the CSP chair."
        if escalated
        else "Please send it, or tell the CSP when it will come."
    )
    return Mail(
        to=tuple(sorted(addresses)),
        subject=_subject(settings, headline),
        body=lead + FOOTER,
        message_id=message_id(str(item.id)),
    )


COMPOSERS: dict[str, Composer] = {
    "deadline_notice": compose_deadline_notice,
    "return_chase": compose_return_chase,
    "return_escalation": compose_return_chase,
}


class EmailHandler:
    """Compose and send; one SMTP connection per server setting, kept for the drain."""

    def __init__(self) -> None:
        self._mailers: dict[tuple[Any, ...], SmtpMailer] = {}
        self._lock = threading.Lock()

    def mailer(self, settings: Settings) -> SmtpMailer:
        key = (settings.smtp_host, settings.smtp_port, settings.smtp_tls, settings.smtp_username,
               settings.mail_sender, settings.smtp_timeout_seconds)  # fmt: skip
        with self._lock:
            if key not in self._mailers:
                self._mailers[key] = SmtpMailer(settings)
            return self._mailers[key]

    def __call__(self, ctx: AppContext, item: OutboxItem) -> None:
        composer = COMPOSERS.get(item.topic)
        if composer is None:
            raise GiveUp(f"no e-mail is defined for topic '{item.topic}'")
        with ctx.reader() as uow:
            mail = composer(uow.session, item, ctx.settings)
        try:
            self.mailer(ctx.settings).send(mail)
        except MailError as err:
            if err.permanent:
                raise GiveUp(str(err)) from err
            raise RetryLater(str(err)) from err

    def close(self) -> None:
        with self._lock:
            mailers = list(self._mailers.values())
        for mailer in mailers:
            mailer.close()

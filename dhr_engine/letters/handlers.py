"""The outbox handlers of letters: kind 'letter' drafts the letters a transition queued, after
commit; kind 'letter_email' e-mails a sent letter (EmailLetter below).

A letter that needs something the case record does not hold (a meeting venue, a recommendation)
is not drafted with a blank: the item is recorded as failed with the names of the missing fields
(never their values), shown in the letter register, and an officer drafts it by hand.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from dhr_engine.config import Settings
from dhr_engine.context import AppContext
from dhr_engine.errors import DhrError
from dhr_engine.letters.catalogue import needs_input
from dhr_engine.letters.service import draft_for_outbox_item, letter_mail, record_delivery
from dhr_engine.mail import MailError, SmtpMailer
from dhr_engine.outbox.service import GiveUp, RetryLater
from dhr_engine.persistence.tables import OutboxItem


def draft_letter(ctx: AppContext, item: OutboxItem) -> None:
    """Draft the queued letter; a letter that needs input gives up with the missing field names."""
    try:
        draft_for_outbox_item(ctx, item.id)
    except DhrError as err:
        raise GiveUp(needs_input(err)) from err


class EmailLetter:
    """The outbox handler for kind 'letter_email': e-mails a sent letter and records its delivery.

    One SMTP connection per server setting, kept for the length of a drain. The e-mail carries the
    case reference, the letter's title and the organisation it is to, never a person's name.
    """

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
        letter_id = uuid.UUID(str(item.payload.get("letter_id")))
        mail = letter_mail(ctx, letter_id, item.id)
        if mail is None:
            raise GiveUp("the letter or its delivery record is missing")
        try:
            self.mailer(ctx.settings).send(mail)
        except MailError as err:
            record_delivery(ctx, letter_id, failure=str(err), final=err.permanent)
            if err.permanent:
                raise GiveUp(str(err)) from err
            raise RetryLater(str(err)) from err
        record_delivery(ctx, letter_id)

    def close(self) -> None:
        with self._lock:
            mailers = list(self._mailers.values())
        for mailer in mailers:
            mailer.close()

"""Sending e-mail over SMTP (smtplib), with errors sorted into 'try again later' and 'give up'.

The connection is opened on first use and kept for the rest of a drain (one TCP and TLS set-up for
many messages); any error closes it, and the next message opens a new one. Settings: smtp_host,
smtp_port, smtp_tls (STARTTLS), smtp_username/smtp_password, mail_sender. Nothing here logs a
recipient or a message body.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from dhr_engine.config import Settings


class MailError(Exception):
    """A message could not be handed to the SMTP server. `permanent` ones are not retried."""

    permanent = False


class TemporaryMailError(MailError):
    pass


class PermanentMailError(MailError):
    permanent = True


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str  # "application"
    subtype: str  # "pdf", "vnd.openxmlformats-officedocument.wordprocessingml.document"
    data: bytes


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str
    message_id: str  # stable per outbox item, so a receiving system can drop a repeat
    attachments: tuple[Attachment, ...] = ()

    def build(self, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(self.to) if len(self.to) == 1 else "undisclosed-recipients:;"
        message["Subject"] = self.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = self.message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(self.body)
        for item in self.attachments:
            message.add_attachment(
                item.data, maintype=item.maintype, subtype=item.subtype, filename=item.filename
            )
        return message


def message_id(key: str) -> str:
    """A Message-ID built from a stable key (e.g. the notification id)."""
    return f"<{key}@dhr-engine.invalid>" if key else make_msgid(domain="dhr-engine.invalid")


class SmtpMailer:
    """Hands messages to one SMTP server, reusing the connection between messages."""

    def __init__(self, settings: Settings, *, timeout: float | None = None) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.tls = settings.smtp_tls
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.sender = settings.mail_sender
        self.timeout = timeout or settings.smtp_timeout_seconds
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            _quietly_close(smtp)
            raise
        return smtp

    def send(self, mail: Mail) -> None:
        """Send one message, or raise TemporaryMailError / PermanentMailError with the reason."""
        if not self.host.strip():  # DHR_SMTP_HOST="": kept queued, and the page says why
            raise TemporaryMailError("no mail server is configured")
        with self._lock:
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                refused = self._smtp.send_message(mail.build(self.sender), to_addrs=list(mail.to))
            except smtplib.SMTPRecipientsRefused as err:
                self.close_locked()
                codes = [code for code, _msg in err.recipients.values()]
                reason = f"every recipient refused (SMTP {', '.join(str(c) for c in sorted(set(codes)))})"
                if codes and all(500 <= c < 600 for c in codes):
                    raise PermanentMailError(reason) from err
                raise TemporaryMailError(reason) from err
            except smtplib.SMTPResponseException as err:
                self.close_locked()
                raise TemporaryMailError(f"the server answered {err.smtp_code}") from err
            except (TimeoutError, smtplib.SMTPException, OSError) as err:
                self.close_locked()
                raise TemporaryMailError(_describe(err)) from err
            if refused:
                # Some recipients accepted, some refused: what went is not sent again.
                raise PermanentMailError(f"{len(refused)} of {len(mail.to)} recipients refused")

    def close_locked(self) -> None:
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()


def _describe(err: BaseException) -> str:
    if isinstance(err, TimeoutError) or "timed out" in str(err):  # smtplib reports a read timeout so
        return "the SMTP server did not answer in time"
    if isinstance(err, ConnectionRefusedError):
        return "the SMTP server refused the connection"
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return "the SMTP server closed the connection"
    return f"{type(err).__name__} talking to the SMTP server"


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        with contextlib.suppress(OSError):
            smtp.close()

"""Tables of statutory correspondence: the letter register and the family's agreed form of address.

A letter row moves draft -> approved -> sent (or draft/approved -> cancelled). Once sent it is the
record of what went out: its PDF and .docx bytes with their SHA-256 hashes, the template file and
version, and the exact context it was rendered from. Database triggers (migration 0002_letters)
refuse any UPDATE or DELETE of a sent row, whatever the interface.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from dhr_engine.persistence.tables import new_id, utcnow

LETTER_STATUSES = ("draft", "approved", "sent", "cancelled")
OPEN_LETTER = text("status IN ('draft', 'approved')")
DELIVERY_STATUSES = ("queued", "sent", "failed")


class Letter(SQLModel, table=True):
    """One letter of a case: its merge data, who drafted, approved and sent it, and the sent copy."""

    __tablename__ = "letter"
    __table_args__ = (
        Index("ix_letter_case_code", "case_id", "code"),
        # One open letter per case, letter, recipient and purpose (migration 0013_letter_delivery).
        Index(
            "uq_letter_open_once",
            "case_id",
            "code",
            "recipient_key",
            "batch_key",
            unique=True,
            sqlite_where=OPEN_LETTER,
            postgresql_where=OPEN_LETTER,
        ),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    code: str = Field(max_length=60)
    title: str = Field(max_length=200)
    status: str = Field(default="draft", max_length=20)
    recipient_kind: str = Field(max_length=30)
    recipient_label: str = Field(max_length=200)  # an organisation or a pseudonym, never a real name
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    batch_key: str = Field(default="", max_length=60)  # the purpose: "2026-Q4", "return:<request id>"
    recipient_key: str = Field(default="", max_length=80)  # "agency:<id>", "person:<id>" or the kind
    letter_date: date
    csp_slug: str = Field(max_length=60)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    context_sha256: str = Field(max_length=64)
    template_name: str = Field(max_length=100)
    template_path: str = Field(max_length=200)
    template_version: str = Field(max_length=64)
    renderer: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str = Field(default="hand", max_length=20)  # hand | workflow | bulk
    drafted_by: uuid.UUID | None = None
    drafted_by_label: str = Field(default="", max_length=200)
    drafted_at: datetime = Field(default_factory=utcnow)
    approved_by: uuid.UUID | None = None
    approved_by_label: str = Field(default="", max_length=200)
    approved_at: datetime | None = None
    sent_by: uuid.UUID | None = None
    sent_by_label: str = Field(default="", max_length=200)
    sent_at: datetime | None = None
    sent_via: str = Field(default="", max_length=20)  # post | email | hand
    cancelled_reason: str = Field(default="", max_length=1000)
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    docx: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    pdf_sha256: str = Field(default="", max_length=64)
    docx_sha256: str = Field(default="", max_length=64)


class AddressPreference(SQLModel, table=True):
    """How a family member agreed to be addressed in letters (RESTRICTED: holds their name)."""

    __tablename__ = "letter_address_preference"
    person_id: uuid.UUID = Field(foreign_key="person.id", primary_key=True)
    addressee: str = Field(max_length=200)  # e.g. "Mrs Margaret Example"
    salutation: str = Field(max_length=200)  # e.g. "Dear Mrs Example"
    deceased_name: str = Field(default="", max_length=200)  # how the family names the person who died
    agreed_on: date
    recorded_by: uuid.UUID | None = None
    recorded_at: datetime = Field(default_factory=utcnow)


class LetterDelivery(SQLModel, table=True):
    """How a letter sent by e-mail fared: queued in the outbox, handed to the mail server, or failed.

    A sent letter row cannot change, so its e-mail delivery is recorded here, one row per letter.
    """

    __tablename__ = "letter_delivery"
    letter_id: uuid.UUID = Field(foreign_key="letter.id", primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    to_address: str = Field(max_length=320)  # an organisation's secure mailbox, never a family member's
    with_docx: bool = False
    status: str = Field(default="queued", max_length=20)
    queued_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    failure: str = Field(default="", max_length=1000)  # a plain reason, naming no person
    attempts: int = 0

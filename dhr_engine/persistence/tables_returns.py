"""Tables of agency returns: submitted versions, attachments and chronology entries.

A ReturnRequest (core table) asks one agency for one thing on one case. Each submission is a
ReturnVersion, never changed after it is written (its sign-off and the chair's review are set
once, later, by those steps). Attachments are stored by content hash under the storage directory.
Chronology entries are kept twice over: the agency's working draft (version_id NULL) and a frozen
copy per submitted version, which is what the chair's merged chronology reads.

case_id and agency_id are repeated on every row so that access filters need no join.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from dhr_engine.persistence.tables import new_id, utcnow


class ReturnVersion(SQLModel, table=True):
    """One submission of a return: who, when, what changed, and what it held."""

    __tablename__ = "return_version"
    __table_args__ = (UniqueConstraint("request_id", "number"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="return_request.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    number: int
    submitted_on: date
    submitted_at: datetime = Field(default_factory=utcnow)
    submitted_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    submitted_by_label: str = Field(default="", max_length=200)
    change_note: str = Field(default="", max_length=2000)  # what changed since the last version
    # {"text": ..., "contact": yes|no, "records_secured_on": ..., "attachments": [...],
    #  "chronology_entries": n}
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    signed_off_on: date | None = None
    signed_off_by_label: str = Field(default="", max_length=200)
    review_outcome: str = Field(default="", max_length=30)  # accepted | changes_requested
    review_comment: str = Field(default="", max_length=4000)
    reviewed_on: date | None = None
    reviewed_by_label: str = Field(default="", max_length=200)


class ReturnAttachment(SQLModel, table=True):
    """A Word or PDF file of a return, stored under its SHA-256; type checked on content."""

    __tablename__ = "return_attachment"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="return_request.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    filename: str = Field(max_length=200)  # as the agency named it; never used as a path
    media_type: str = Field(max_length=120)  # detected from the content
    size: int
    sha256: str = Field(max_length=64, index=True)
    uploaded_on: date
    uploaded_at: datetime = Field(default_factory=utcnow)
    uploaded_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    removed_on: date | None = None  # taken out of the draft; versions that listed it keep it


class ChronologyEntry(SQLModel, table=True):
    """One line of an agency's chronology: when, what happened, what the agency did, who."""

    __tablename__ = "chronology_entry"
    __table_args__ = (
        Index("ix_chronology_request_version", "request_id", "version_id"),
        Index("ix_chronology_case_day", "case_id", "occurred_on"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="return_request.id")
    version_id: uuid.UUID | None = Field(default=None, foreign_key="return_version.id")  # NULL: draft
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id")
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    position: int = 0  # order within the agency's own list
    occurred_on: date  # the first day of the period when the precision is month or year
    occurred_time: time | None = None
    precision: str = Field(default="day", max_length=10)  # minute | day | month | year
    source_record: str = Field(default="", max_length=300)
    event: str = Field(max_length=4000)
    action_taken: str = Field(default="", max_length=4000)
    practitioner_role: str = Field(default="", max_length=200)
    entered_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    entered_at: datetime = Field(default_factory=utcnow)

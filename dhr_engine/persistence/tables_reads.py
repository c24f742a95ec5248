"""The read log: who read which sensitive record of which case, when, and through which interface.

One row per successful read of a record the access policy restricts (real names, the family
engagement log, an agency's chronology or return, an attachment, the merged chronology and its
exports, a letter naming the family or the subjects): written by `dhr_engine/audit/reads.py`
after the policy allowed the read, never through `logging`. Append-only.

A row holds ids and codes, never what was read: the user's id and the label they act under (a
member of staff, or "console operator"), the kind of record, the record's id and the case's id.

No foreign keys, on purpose: the row is written in a short transaction of its own, and a
foreign key on the case would make that insert wait for any command holding the case row
FOR UPDATE (PostgreSQL takes a KEY SHARE lock on the referenced row). Cases and users are never
deleted (users are disabled), so the ids stay meaningful.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from dhr_engine.persistence.tables import new_id


class SensitiveRead(SQLModel, table=True):
    """One read of one sensitive record (or of a case's whole list of them, record_id None)."""

    __tablename__ = "sensitive_read"
    __table_args__ = (
        Index("ix_sensitive_read_read_at", "read_at"),
        Index("ix_sensitive_read_case", "case_id", "read_at"),
        Index("ix_sensitive_read_user", "user_id", "read_at"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    read_at: datetime  # the application clock (UTC)
    user_id: uuid.UUID | None = None  # None: the console operator (the CLI without --as)
    user_label: str = Field(max_length=200)  # the label the user acts under, as in the audit trail
    kind: str = Field(max_length=40)  # audit/reads.py READ_KINDS
    case_id: uuid.UUID
    record_id: uuid.UUID | None = None  # the letter, attachment or return; None: the case's whole list
    interface: str = Field(max_length=10)  # web | api | cli

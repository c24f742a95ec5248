"""An agency's named DHR contacts (single point of contact, IMR authors, senior manager).

Kept by the CSP (dhr_engine/agencies/service.py). A removed contact keeps its row with the day
and who removed it, so the table is also the record of who was a contact when. Only a row with
no `removed_at` grants anything (auth/policy.py, `contact_roles`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from dhr_engine.persistence.tables import new_id, utcnow


class AgencyContact(SQLModel, table=True):
    """One user account named as one kind of DHR contact of its agency."""

    __tablename__ = "agency_contact"
    __table_args__ = (
        Index("ix_agency_contact_agency", "agency_id", "removed_at"),
        Index("ix_agency_contact_user", "user_id", "removed_at"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id")
    user_id: uuid.UUID = Field(foreign_key="user_account.id")
    kind: str = Field(max_length=20)  # spoc | imr_author | senior_manager (domain/agency_contacts.py)
    added_at: datetime = Field(default_factory=utcnow)
    added_by_label: str = Field(default="", max_length=200)
    removed_at: datetime | None = None
    removed_by_label: str = Field(default="", max_length=200)

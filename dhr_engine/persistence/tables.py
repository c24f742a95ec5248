"""SQLModel tables of the engine core.

Restricted personal data (real names, dates of birth, addresses, contact details) lives only in
the columns marked RESTRICTED; the access policy decides who may read them and they are never
logged.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import uuid6
from sqlalchemy import JSON, Column, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

_CASE_VERSION = Column("version", Integer, nullable=False, default=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A time-ordered id (UUID version 7): new rows go to the end of each primary-key index.

    Random (version 4) ids put every insert on a random page of the index, which on a table of
    millions of audit events means a page read and a page written per row.
    """
    return uuid6.uuid7()


class Csp(SQLModel, table=True):
    """A Community Safety Partnership: the body that establishes reviews."""

    __tablename__ = "csp"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=60)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=500)
    region: str = Field(default="", max_length=100)
    police_force_area: str = Field(default="", max_length=100)
    contact_email: str = Field(default="", max_length=200)
    deadline_overrides: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Agency(SQLModel, table=True):
    """A partner agency: police, NHS, council, probation, a charity."""

    __tablename__ = "agency"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    csp_id: uuid.UUID | None = Field(default=None, foreign_key="csp.id", index=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(default="other", max_length=40)
    email: str = Field(default="", max_length=200)
    senior_manager_email: str = Field(default="", max_length=200)


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=80)
    display_name: str = Field(max_length=200)
    email: str = Field(default="", max_length=200)
    password_hash: str = Field(default="", max_length=300)
    global_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id", index=True)
    csp_id: uuid.UUID | None = Field(default=None, foreign_key="csp.id")
    is_active: bool = True
    # The lockout after wrong passwords is per address: persistence/tables_signin.py (SignInLock).
    created_at: datetime = Field(default_factory=utcnow)
    # Carried in the web session cookie; raised to end every session of the account (sign-out,
    # a new password, a change of roles, deactivation): see dhr_engine/auth/sessions.py.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Case(SQLModel, table=True):
    """One review (or a notification that may become one)."""

    __tablename__ = "dhr_case"
    __table_args__ = (Index("ix_case_stage", "stage"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    ref: str = Field(unique=True, index=True, max_length=40)
    csp_id: uuid.UUID = Field(foreign_key="csp.id", index=True)
    workflow_key: str = Field(max_length=40)
    workflow_version: str = Field(max_length=40)
    review_type: str = Field(default="dhr", max_length=10)
    stage: str = Field(max_length=60)
    resume_to: str | None = Field(default=None, max_length=60)
    stage_entered_on: date
    version: int = Field(default=1, sa_column=_CASE_VERSION)
    title: str = Field(default="", max_length=200)  # library-style, pseudonymised
    notified_on: date
    date_of_death: date | None = None
    date_of_death_precision: str = Field(default="day", max_length=10)
    police_force_area: str = Field(default="", max_length=100)
    summary: str = Field(default="", max_length=4000)
    created_at: datetime = Field(default_factory=utcnow)
    closed_on: date | None = None
    audit_count: int = 0
    audit_head: str = Field(default="", max_length=64)

    # Optimistic lock: every UPDATE says "WHERE version = <what I read>" (LIBRARIES.md §3). The
    # version is raised once per command by persistence.case_lookup.get_case_for_update, not per flush.
    __mapper_args__ = {"version_id_col": _CASE_VERSION, "version_id_generator": False}


class Person(SQLModel, table=True):
    """Victim, perpetrator, family member or friend. RESTRICTED columns hold real identities."""

    __tablename__ = "person"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    role: str = Field(max_length=30)  # victim | perpetrator | family | friend | other
    pseudonym: str = Field(max_length=100)
    real_name: str = Field(default="", max_length=200)  # RESTRICTED
    date_of_birth: date | None = None  # RESTRICTED
    address: str = Field(default="", max_length=500)  # RESTRICTED
    contact_details: str = Field(default="", max_length=500)  # RESTRICTED
    age_at_death: int | None = None
    sex: str = Field(default="", max_length=30)
    relationship: str = Field(default="", max_length=100)


class CaseMember(SQLModel, table=True):
    """A user's role on one case: a chair of one review is not a chair of another."""

    __tablename__ = "case_member"
    __table_args__ = (UniqueConstraint("case_id", "user_id", "role"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    role: str = Field(max_length=40)
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id")
    added_at: datetime = Field(default_factory=utcnow)


class CaseAgency(SQLModel, table=True):
    """An agency's involvement in a case: contact found, what it contributes, or why excluded."""

    __tablename__ = "case_agency"
    __table_args__ = (UniqueConstraint("case_id", "agency_id"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    contact: str = Field(default="unknown", max_length=10)  # yes | no | unknown
    contribution: str = Field(default="none", max_length=20)  # imr | chronology | short_report | none
    exclusion_reason: str = Field(default="", max_length=1000)


class AuditEvent(SQLModel, table=True):
    """Append-only; each event holds the hash of the previous event of its case."""

    __tablename__ = "audit_event"
    # The unique (case_id, seq) index also serves every lookup by case: no index of its own.
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id")
    seq: int
    kind: str = Field(max_length=60)
    actor_user_id: uuid.UUID | None = None
    actor_label: str = Field(default="", max_length=200)
    effective_on: date
    recorded_at: datetime
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Deadline(SQLModel, table=True):
    """A statutory or local deadline of a case: a row, not a timer."""

    __tablename__ = "deadline"
    __table_args__ = (
        Index(
            "ix_deadline_open_due",
            "adjusted_due",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # A case's open deadlines (every change of stage reads them) without reading its closed ones.
        Index("ix_deadline_case_status", "case_id", "status"),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id")
    key: str = Field(max_length=60)
    label: str = Field(max_length=200)
    subject_type: str | None = Field(default=None, max_length=40)  # e.g. return_request
    subject_id: uuid.UUID | None = None
    owner_role: str = Field(max_length=40)
    rule: str = Field(max_length=300)  # human description of the rule
    workflow_version: str = Field(max_length=40)
    anchor_on: date
    anchor_event: str = Field(max_length=100)
    statutory_due: date
    adjusted_due: date
    status: str = Field(default="open", max_length=20)  # open | met | met_late | cancelled
    paused_since: date | None = None
    pause_log: list[list[str | None]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    holidays_skipped: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    opened_at: datetime = Field(default_factory=utcnow)
    closed_on: date | None = None


class ParallelProceeding(SQLModel, table=True):
    """A criminal trial, inquest, IOPC investigation or other process running beside the review."""

    __tablename__ = "parallel_proceeding"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    kind: str = Field(max_length=30)  # criminal_trial | inquest | iopc | other
    body: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=100)
    started_on: date
    concluded_on: date | None = None
    pauses_review: bool = True
    note: str = Field(default="", max_length=2000)


class FamilyContact(SQLModel, table=True):
    """The family engagement log: contacts, leaflet, advocacy, meetings, draft, pseudonym."""

    __tablename__ = "family_contact"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    kind: str = Field(max_length=40)
    occurred_on: date
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    note: str = Field(default="", max_length=4000)
    recorded_by: uuid.UUID | None = None
    recorded_at: datetime = Field(default_factory=utcnow)


class ReturnRequest(SQLModel, table=True):
    """What a case asks of one agency: scoping reply, IMR, chronology, short report, progress."""

    __tablename__ = "return_request"
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True)
    kind: str = Field(max_length=30)
    stage: str = Field(default="requested", max_length=30)
    requested_on: date
    note: str = Field(default="", max_length=2000)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class OutboxItem(SQLModel, table=True):
    """Work to do after commit: draft a letter, send an e-mail. Drained by the scheduler."""

    __tablename__ = "outbox_item"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "available_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="dhr_case.id", index=True)
    kind: str = Field(max_length=30)  # letter | email
    topic: str = Field(max_length=80)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=20)  # pending | done | failed
    attempts: int = 0
    available_at: datetime = Field(default_factory=utcnow)
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None


class ExtraHoliday(SQLModel, table=True):
    """A one-off bank holiday an administrator imported (e.g. a late proclamation)."""

    __tablename__ = "extra_holiday"
    day: date = Field(primary_key=True)
    name: str = Field(max_length=200)

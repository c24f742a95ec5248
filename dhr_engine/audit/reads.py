"""The read log of sensitive records: who read what, of which case, when, and through which interface.

Every successful read of a restricted record (real names, the family engagement log, an agency's
chronology or submitted return, an attachment, the merged chronology and its exports, a letter
naming the family or the subjects) is recorded with `record_read`, after the access policy has
allowed it, by the API, the web pages and the commands that read it. The CSP's administrator reads
the log (`list_reads`) on /admin/reads, GET /api/v1/audit/reads and `dhr audit reads`.

The log is a table (persistence/tables_reads.py), never `logging`: the ordinary logs do not say
who read what. A row holds ids and codes, not what was read, nor anyone's name but the label the
reader acts under.

Each read is recorded in a short write transaction of its own, opened after the caller's reader
has its data: on SQLite (WAL) an open reader never upgrades its lock (a deferred reader that tries
to write can fail at once with "database is locked"), and the write waits its turn behind other
writers (busy timeout); on PostgreSQL the row has no foreign key, so the insert waits on no lock.
A read whose record cannot be written fails: nothing sensitive is shown unrecorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session, col, func, select

from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import LONDON
from dhr_engine.errors import ValidationFailed
from dhr_engine.persistence.tables import Case, User, new_id
from dhr_engine.persistence.tables_reads import SensitiveRead

READ_TABLE: Table = SensitiveRead.__table__  # type: ignore[attr-defined]


class ReadKind(StrEnum):
    """The kinds of sensitive record whose reads are recorded."""

    REAL_NAMES = "real_names"  # the people of a case with their real identities
    FAMILY_LOG = "family_log"
    CHRONOLOGY = "chronology"  # one agency's chronology entries (draft or a version's)
    RETURN_VERSION = "return_version"  # a submitted return: its text, files and entries
    ATTACHMENT = "attachment"
    MERGED_CHRONOLOGY = "merged_chronology"
    MERGED_CHRONOLOGY_EXPORT = "merged_chronology_export"  # its Word or CSV file
    FAMILY_LETTER = "family_letter"  # a letter to a family member (their name and address)
    NAMED_LETTER = "named_letter"  # a letter naming the victim or the perpetrator


KIND_LABELS: Mapping[str, str] = {
    ReadKind.REAL_NAMES: "Real names of the people",
    ReadKind.FAMILY_LOG: "Family engagement log",
    ReadKind.CHRONOLOGY: "Agency chronology",
    ReadKind.RETURN_VERSION: "Submitted agency return",
    ReadKind.ATTACHMENT: "Return attachment",
    ReadKind.MERGED_CHRONOLOGY: "Merged chronology",
    ReadKind.MERGED_CHRONOLOGY_EXPORT: "Merged chronology download",
    ReadKind.FAMILY_LETTER: "Letter to the family",
    ReadKind.NAMED_LETTER: "Letter naming the victim or perpetrator",
}


class Interface(StrEnum):
    WEB = "web"
    API = "api"
    CLI = "cli"


INTERFACE_LABELS: Mapping[str, str] = {
    Interface.WEB: "Web",
    Interface.API: "API",
    Interface.CLI: "Command line",
}


@dataclass(frozen=True)
class Read:
    """One record read: its kind, its case, and its id (None: the case's whole list of them)."""

    kind: ReadKind
    case_id: uuid.UUID
    record_id: uuid.UUID | None = None


def letter_kind(recipient_kind: str, identity: str) -> ReadKind | None:
    """What reading a letter is: one to the family, one naming the subjects (victim or perpetrator),
    or nothing sensitive (pseudonyms only). `identity` is the letter spec's identity rule."""
    if recipient_kind == "family" or identity == "family":
        return ReadKind.FAMILY_LETTER
    if identity == "subjects":
        return ReadKind.NAMED_LETTER
    return None


def record_reads(ctx: AppContext, *, actor: Actor, interface: Interface, reads: Sequence[Read]) -> None:
    """Record these reads by this actor, in one short transaction of their own (see the module)."""
    if not reads:
        return
    now = ctx.clock.now()
    rows = [
        {
            "id": new_id(),
            "read_at": now,
            "user_id": actor.user_id,
            "user_label": actor.label,
            "kind": ReadKind(read.kind).value,
            "case_id": read.case_id,
            "record_id": read.record_id,
            "interface": Interface(interface).value,
        }
        for read in reads
    ]
    with ctx.uow() as uow:
        uow.session.connection().execute(insert(READ_TABLE), rows)
        uow.commit()


def record_read(
    ctx: AppContext,
    *,
    actor: Actor,
    interface: Interface,
    kind: ReadKind | None,
    case_id: uuid.UUID,
    record_id: uuid.UUID | None = None,
) -> None:
    """Record one read (nothing when `kind` is None: a letter in pseudonyms only, see letter_kind)."""
    if kind is not None:
        record_reads(ctx, actor=actor, interface=interface, reads=[Read(kind, case_id, record_id)])


# --- the log, for the administrator ---------------------------------------------------------------


def when_text(moment: datetime) -> str:
    """25 November 2026 at 14:05 (Europe/London)."""
    local = moment.astimezone(LONDON)
    return f"{format_date(local.date())} at {local.strftime('%H:%M')}"


@dataclass(frozen=True)
class ReadRow:
    """One read as the administrator sees it."""

    id: uuid.UUID
    read_at: datetime
    user_id: uuid.UUID | None
    username: str  # "" for the console operator
    user_label: str
    kind: str
    case_id: uuid.UUID
    case_ref: str
    record_id: uuid.UUID | None
    interface: str

    @property
    def when(self) -> str:
        return when_text(self.read_at)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def interface_label(self) -> str:
        return INTERFACE_LABELS.get(self.interface, self.interface)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "read_at": self.read_at,
            "when": self.when,
            "user_id": self.user_id,
            "username": self.username,
            "user_label": self.user_label,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "case_id": self.case_id,
            "case_ref": self.case_ref,
            "record_id": self.record_id,
            "interface": self.interface,
            "interface_label": self.interface_label,
        }


@dataclass(frozen=True)
class ReadPage:
    rows: list[ReadRow]
    total: int


def list_reads(
    session: Session, *, case_ref: str = "", username: str = "", limit: int = 50, offset: int = 0
) -> ReadPage:
    """Reads of one case and/or by one user (both optional), newest first, one page of them.

    An unknown case reference or user name is a ValidationFailed naming the filter ("case",
    "user"), not an empty list that would look like "nobody read it"."""
    query = (
        select(SensitiveRead, Case.ref, User.username)
        .join(Case, col(Case.id) == col(SensitiveRead.case_id), isouter=True)
        .join(User, col(User.id) == col(SensitiveRead.user_id), isouter=True)
    )
    case_ref, username = case_ref.strip(), username.strip()
    if case_ref:
        case_id = session.exec(select(Case.id).where(Case.ref == case_ref)).first()
        if case_id is None:
            raise ValidationFailed("there is no case with this reference", field="case")
        query = query.where(SensitiveRead.case_id == case_id)
    if username:
        user_id = session.exec(select(User.id).where(User.username == username)).first()
        if user_id is None:
            raise ValidationFailed("there is no user with this user name", field="user")
        query = query.where(SensitiveRead.user_id == user_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(col(SensitiveRead.read_at).desc(), col(SensitiveRead.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    rows = [
        ReadRow(
            id=read.id,
            read_at=read.read_at,
            user_id=read.user_id,
            username=user or "",
            user_label=read.user_label,
            kind=read.kind,
            case_id=read.case_id,
            case_ref=ref or "",
            record_id=read.record_id,
            interface=read.interface,
        )
        for read, ref, user in found
    ]
    return ReadPage(rows, int(total))

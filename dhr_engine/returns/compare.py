"""Compare two versions of a return: text, answers, attachments and chronology entries."""

from __future__ import annotations

import difflib
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from dhr_engine.domain.actor import Actor
from dhr_engine.errors import NotFound, ValidationFailed
from dhr_engine.persistence.tables_returns import ChronologyEntry, ReturnVersion
from dhr_engine.returns.access import load_request
from dhr_engine.returns.merged import describe_when

ANSWER_FIELDS = ("contact", "records_secured_on")


@dataclass(frozen=True)
class VersionComparison:
    older: ReturnVersion
    newer: ReturnVersion
    text_diff: list[str]  # unified diff lines, empty when the text is the same
    answers_changed: dict[str, tuple[Any, Any]]
    attachments_added: list[str]
    attachments_removed: list[str]
    entries_added: list[str] = field(default_factory=list)
    entries_removed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (
            self.text_diff
            or self.answers_changed
            or self.attachments_added
            or self.attachments_removed
            or self.entries_added
            or self.entries_removed
        )


def get_version(session: Session, actor: Actor, request_id: uuid.UUID, number: int) -> ReturnVersion:
    """One version of a request the actor may see (another agency's is 'not found')."""
    scope = load_request(session, actor, request_id)
    version = session.exec(
        select(ReturnVersion).where(
            ReturnVersion.request_id == scope.request.id, ReturnVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound("no such version", field="version")
    return version


def list_versions(session: Session, actor: Actor, request_id: uuid.UUID) -> list[ReturnVersion]:
    scope = load_request(session, actor, request_id)
    query = select(ReturnVersion).where(ReturnVersion.request_id == scope.request.id)
    return list(session.exec(query.order_by(col(ReturnVersion.number))).all())


def _entry_lines(session: Session, version: ReturnVersion) -> Counter[str]:
    rows = session.exec(select(ChronologyEntry).where(ChronologyEntry.version_id == version.id)).all()
    return Counter(
        " | ".join([describe_when(e), e.source_record, e.event, e.action_taken, e.practitioner_role])
        for e in rows
    )


def _files(version: ReturnVersion) -> dict[str, str]:
    return {a["sha256"]: a["filename"] for a in version.content.get("attachments", [])}


def compare_versions(
    session: Session, actor: Actor, request_id: uuid.UUID, older: int, newer: int
) -> VersionComparison:
    """What changed from version `older` to version `newer` of one request."""
    if older == newer:
        raise ValidationFailed("choose two different versions", field="newer")
    a = get_version(session, actor, request_id, older)
    b = get_version(session, actor, request_id, newer)
    text_a = str(a.content.get("text", "")).splitlines()
    text_b = str(b.content.get("text", "")).splitlines()
    diff = list(difflib.unified_diff(text_a, text_b, f"version {older}", f"version {newer}", lineterm=""))
    answers = {
        name: (a.content.get(name), b.content.get(name))
        for name in ANSWER_FIELDS
        if a.content.get(name) != b.content.get(name)
    }
    files_a, files_b = _files(a), _files(b)
    entries_a, entries_b = _entry_lines(session, a), _entry_lines(session, b)
    return VersionComparison(
        older=a,
        newer=b,
        text_diff=diff,
        answers_changed=answers,
        attachments_added=sorted(files_b[h] for h in files_b.keys() - files_a.keys()),
        attachments_removed=sorted(files_a[h] for h in files_a.keys() - files_b.keys()),
        entries_added=sorted((entries_b - entries_a).elements()),
        entries_removed=sorted((entries_a - entries_b).elements()),
    )

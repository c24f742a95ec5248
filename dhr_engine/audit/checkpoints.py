"""Signed checkpoints of every case's audit head, kept outside the database.

Someone who can write to the database can delete the last events of a case and wind its counters
back, wipe a trail, or delete a whole case: the database alone cannot show it. What they cannot
reach is this append-only file (on the application's disk, not in the database), each line of it
signed with the audit key (which is not in the database either). A line is appended for every
case whose head moved, right after each committed command (the unit of work's commit hook, wired
by the composition root), and for every case by `dhr audit checkpoint` and the scheduler's
`audit-checkpoint` job. `dhr audit verify` holds each case's chain against every checkpoint of it.

One line is one JSON object: `case_id`, `ref`, `seq` (the case's event count), `head` (the hash of
its last event), `stage`, `at` (when, ISO 8601 in UTC) and `mac`, the HMAC-SHA256 of the other
fields (canonical JSON) with the audit key. Each line is appended with O_APPEND and one write, so
processes appending at the same time never interleave their lines.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from dhr_engine.config import audit_checkpoint_path
from dhr_engine.context import AppContext
from dhr_engine.domain.clock import Clock
from dhr_engine.persistence.tables import Case
from dhr_engine.persistence.unit_of_work import CommitHook, UnitOfWork

log = logging.getLogger(__name__)

_MOVED = "audit_heads_moved"  # session.info: the cases whose head this transaction moved
_PURPOSE = b"dhr-audit-checkpoint\n"  # an event's HMAC can never pass for a checkpoint's
FIELDS = ("case_id", "ref", "seq", "head", "stage", "at")


@dataclass(frozen=True)
class Checkpoint:
    """A case's audit head at one moment: its event count, the hash of its last event, its stage."""

    case_id: uuid.UUID
    ref: str
    seq: int
    head: str
    stage: str
    at: datetime
    line: int = 0  # where it was read from (0: not read from a file)

    def fields(self) -> dict[str, Any]:
        return {
            "case_id": str(self.case_id),
            "ref": self.ref,
            "seq": self.seq,
            "head": self.head,
            "stage": self.stage,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class BadLine:
    """A checkpoint line that cannot be trusted: unreadable, or its signature does not match."""

    line: int
    ref: str | None
    seq: int | None
    problem: str


@dataclass
class Checkpoints:
    """What a store holds: the trustworthy checkpoints by case, and the lines that are not."""

    by_case: dict[uuid.UUID, list[Checkpoint]] = field(default_factory=dict)
    bad: list[BadLine] = field(default_factory=list)


class CheckpointStore(Protocol):
    """Where checkpoints are kept, outside the database (the file is the default)."""

    def append(self, checkpoints: Sequence[Checkpoint]) -> None: ...

    def read(self) -> Checkpoints: ...


def sign(key: bytes, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.digest(key, _PURPOSE + body.encode(), "sha256").hex()


class CheckpointFile:
    """An append-only JSON-lines file of checkpoints, each line signed with the audit key."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key

    def line(self, checkpoint: Checkpoint) -> bytes:
        fields = checkpoint.fields()
        fields["mac"] = sign(self._key, fields)
        return (json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()

    def append(self, checkpoints: Sequence[Checkpoint]) -> None:
        """Append one line per checkpoint, each in one write (O_APPEND: whole lines, whoever else writes)."""
        if not checkpoints:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        except FileNotFoundError:  # the first checkpoint: make its folder
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            for checkpoint in checkpoints:
                data = self.line(checkpoint)
                written = os.write(fd, data)
                if written != len(data):  # a full disk: end the broken line so the next one stays whole
                    os.write(fd, b"\n")
                    raise OSError(f"only {written} of {len(data)} bytes of a checkpoint were written")
        finally:
            os.close(fd)

    def read(self) -> Checkpoints:
        """Every line, checked against its signature (no file yet: no checkpoints)."""
        found = Checkpoints()
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return found
        with handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                checkpoint, bad = self._parse(number, raw)
                if bad is not None:
                    found.bad.append(bad)
                elif checkpoint is not None:
                    found.by_case.setdefault(checkpoint.case_id, []).append(checkpoint)
        return found

    def _parse(self, number: int, raw: bytes) -> tuple[Checkpoint | None, BadLine | None]:
        unreadable = BadLine(
            number, None, None, f"checkpoint line {number} cannot be read (it is not a whole checkpoint)"
        )
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None, unreadable
        if not isinstance(data, dict) or set(data) != {*FIELDS, "mac"}:
            return None, unreadable
        ref, seq, mac = data["ref"], data["seq"], data["mac"]
        claimed_ref = ref if isinstance(ref, str) else None
        claimed_seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
        fields = {name: data[name] for name in FIELDS}
        if not isinstance(mac, str) or not hmac.compare_digest(
            mac.encode(), sign(self._key, fields).encode()
        ):
            problem = f"checkpoint line {number} altered (its signature does not match what it says)"
            return None, BadLine(number, claimed_ref, claimed_seq, problem)
        try:
            checkpoint = Checkpoint(
                case_id=uuid.UUID(str(data["case_id"])),
                ref=str(ref),
                seq=int(seq),
                head=str(data["head"]),
                stage=str(data["stage"]),
                at=datetime.fromisoformat(str(data["at"])),
                line=number,
            )
        except (ValueError, TypeError):
            return None, unreadable
        return checkpoint, None


def checkpoint_file(ctx: AppContext) -> CheckpointFile:
    """The context's checkpoint file (DHR_AUDIT_CHECKPOINTS, default under the storage folder)."""
    return CheckpointFile(audit_checkpoint_path(ctx.settings), ctx.audit_key)


def note_head_moved(session: Session, case: Case) -> None:
    """Remember that this transaction moved the case's head (append_event calls it)."""
    moved: dict[uuid.UUID, Case] = session.info.setdefault(_MOVED, {})
    moved[case.id] = case


def commit_hook(store: CheckpointStore, clock: Clock) -> CommitHook:
    """After each commit, one checkpoint for every case whose head the command moved.

    The checkpoints are taken from the cases as the command leaves them, just before the commit,
    and written once it has succeeded (a rolled-back command writes none). A write that fails is
    logged, not raised: the command is done, and the next full checkpoint covers the case.
    """

    def before_commit(session: Session) -> Callable[[], None] | None:
        moved: dict[uuid.UUID, Case] | None = session.info.pop(_MOVED, None)
        if not moved:
            return None
        at = clock.now()
        checkpoints = [
            Checkpoint(case.id, case.ref, case.audit_count, case.audit_head, case.stage, at)
            for case in moved.values()
        ]

        def after_commit() -> None:
            try:
                store.append(checkpoints)
            except OSError as err:
                log.error(
                    "audit checkpoint of %d case(s) not written (%s); `dhr audit checkpoint` writes it",
                    len(checkpoints),
                    type(err).__name__,
                )

        return after_commit

    return before_commit


def checkpoint_every_case(uow: UnitOfWork, store: CheckpointStore, clock: Clock) -> int:
    """Append a checkpoint of every case as it is now; returns how many."""
    with uow:
        columns = sa_select(
            col(Case.id), col(Case.ref), col(Case.audit_count), col(Case.audit_head), col(Case.stage)
        )
        rows = uow.session.execute(columns.order_by(col(Case.ref))).all()
    at = clock.now()
    store.append([Checkpoint(case_id, ref, seq, head, stage, at) for case_id, ref, seq, head, stage in rows])
    return len(rows)

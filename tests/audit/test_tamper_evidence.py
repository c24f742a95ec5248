"""The audit trail survives a database administrator: seven kinds of tampering, each done with raw
SQL as someone with the database (and not the audit key, nor the checkpoint file) would do it, and
each reported by verify_all with the case's reference and the event's position, on SQLite and
PostgreSQL. Also: an untouched trail (the demo's) verifies clean, an edited checkpoint line is
reported, two processes appending checkpoints at once keep whole lines, the key is not the
database's to choose, and migration 0010 re-chains an old plain-SHA-256 trail with the key."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import SQLModel, col, select
from typer.testing import CliRunner

from dhr_engine.audit import scheduled as audit_scheduled
from dhr_engine.audit.checkpoints import CheckpointFile, checkpoint_file
from dhr_engine.audit.service import GENESIS, AuditProblem, event_hash, verify_all
from dhr_engine.bootstrap import build_context
from dhr_engine.config import DEV_AUDIT_KEY, Settings, audit_key, audit_key_problem
from dhr_engine.console import app
from dhr_engine.context import AppContext
from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.domain.roles import Role
from dhr_engine.errors import PermissionDenied
from dhr_engine.family import service as family
from dhr_engine.persistence.schema import alembic_config, upgrade
from dhr_engine.persistence.tables import AuditEvent, Case
from tests.conftest import seed
from tests.scenarios.walk import Walker, open_case

NOTIFIED = date(2026, 11, 2)
ON_THE_DAY = "25 November 2026"  # the tests' clock: every checkpoint is taken that day
EDITED = "event edited (hash does not match its content)"
MISSING_AT_END = "event deleted (missing at the end of the chain)"
CASE_ID = "(SELECT id FROM dhr_case WHERE ref = :ref)"


def _case_with_history(ctx: AppContext, ref: Reference) -> Walker:
    """A case from several commands: opened, moved to scoping, a member added, a family contact."""
    w = open_case(ctx, ref, NOTIFIED)
    w.fire("start_scoping", date(2026, 11, 3), "officer")
    w.member("chair", Role.INDEPENDENT_CHAIR, date(2026, 11, 4))
    w.family("contact", date(2026, 11, 5))
    assert w.reload().audit_count >= 5
    assert _verify(ctx) == []  # untouched, it verifies clean (against its checkpoints too)
    return w


def _verify(ctx: AppContext, case_ids: list[uuid.UUID] | None = None) -> list[AuditProblem]:
    with ctx.reader() as uow:
        return verify_all(uow.session, case_ids, checkpoints=checkpoint_file(ctx), workflows=uow.workflows)


def _events(ctx: AppContext, case_id: uuid.UUID) -> list[AuditEvent]:
    with ctx.reader() as uow:
        query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.seq))
        return list(uow.session.exec(query).all())


def _sql(ctx: AppContext, statement: str, **params: object) -> int:
    with ctx.engine.begin() as conn:
        return int(conn.execute(text(statement), params).rowcount)


def _plain_sha256(fields: dict[str, Any]) -> str:
    """The hash an administrator without the key recomputes: the canonical body, plain SHA-256."""
    return _forged(fields, None)


def _forged(fields: dict[str, Any], key: bytes | None) -> str:
    body = {
        "case_id": str(fields["case_id"]),
        "seq": fields["seq"],
        "kind": fields["kind"],
        "actor_user_id": str(fields["actor_user_id"]) if fields["actor_user_id"] else None,
        "actor_label": fields["actor_label"],
        "effective_on": fields["effective_on"].isoformat(),
        "recorded_at": int(fields["recorded_at"].timestamp() * 1_000_000),  # as it was before the key
        "data": fields["data"],
        "prev_hash": fields["prev_hash"],
    }
    message = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# 1 of 7 ------------------------------------------------------------------------------------------


def test_1_an_edited_event__is_reported_at_its_position(ctx: AppContext, ref: Reference) -> None:
    case = _case_with_history(ctx, ref).reload()
    edited = _sql(
        ctx,
        f"UPDATE audit_event SET actor_label = 'Somebody Else' WHERE seq = 3 AND case_id = {CASE_ID}",
        ref=case.ref,
    )
    assert edited == 1
    assert _verify(ctx) == [AuditProblem(case.ref, 3, EDITED)]


# 2 of 7 ------------------------------------------------------------------------------------------


def test_2_a_deleted_middle_event__is_reported_as_a_gap(ctx: AppContext, ref: Reference) -> None:
    case = _case_with_history(ctx, ref).reload()
    assert _sql(ctx, f"DELETE FROM audit_event WHERE seq = 2 AND case_id = {CASE_ID}", ref=case.ref) == 1
    assert _verify(ctx) == [AuditProblem(case.ref, 2, "event deleted (gap in the sequence)")]


# 3 of 7 ------------------------------------------------------------------------------------------


def test_3_the_last_event_deleted_with_the_case_counters_wound_back__is_missing_against_the_checkpoint(
    ctx: AppContext, ref: Reference
) -> None:
    w = _case_with_history(ctx, ref)
    case = w.reload()
    last = case.audit_count
    before_last = _events(ctx, w.case_id)[-2]
    assert (
        _sql(ctx, f"DELETE FROM audit_event WHERE seq = :n AND case_id = {CASE_ID}", n=last, ref=case.ref)
        == 1
    )
    _sql(
        ctx,
        "UPDATE dhr_case SET audit_count = :n, audit_head = :head WHERE ref = :ref",
        n=last - 1,
        head=before_last.hash,
        ref=case.ref,
    )
    with ctx.reader() as uow:  # the database alone is consistent again: only the checkpoint shows it
        assert verify_all(uow.session) == []
    assert _verify(ctx) == [AuditProblem(case.ref, last, MISSING_AT_END)]


# 4 of 7 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("forger", ["plain SHA-256", "HMAC with a wrong key"])
def test_4_an_edited_chain_hashed_again_with_its_head__fails_every_hmac_and_the_checkpoints(
    ctx: AppContext, ref: Reference, forger: str
) -> None:
    w = _case_with_history(ctx, ref)
    case = w.reload()
    key = None if forger == "plain SHA-256" else b"not-the-audit-key-but-just-as-long-0123"
    prev = GENESIS
    with ctx.engine.begin() as conn:
        for event in _events(ctx, w.case_id):
            fields = {name: getattr(event, name) for name in AuditEvent.model_fields}
            if event.seq == 2:
                fields["actor_label"] = "Somebody Else"
            fields["prev_hash"] = prev
            prev = _forged(fields, key)
            conn.execute(
                text(
                    "UPDATE audit_event SET actor_label = :label, prev_hash = :prev, hash = :hash WHERE id = :id"
                ),
                {
                    "label": fields["actor_label"],
                    "prev": fields["prev_hash"],
                    "hash": prev,
                    "id": _db_id(ctx, event.id),
                },
            )
        conn.execute(
            text("UPDATE dhr_case SET audit_head = :head WHERE id = :id"),
            {"head": prev, "id": _db_id(ctx, w.case_id)},
        )
    first_checkpoint = min(c.seq for c in checkpoint_file(ctx).read().by_case[w.case_id])
    assert _verify(ctx) == [
        *(AuditProblem(case.ref, seq, EDITED) for seq in range(1, case.audit_count + 1)),
        AuditProblem(
            case.ref, first_checkpoint, f"event rewritten (it does not match the checkpoint of {ON_THE_DAY})"
        ),
    ]


# 5 of 7 ------------------------------------------------------------------------------------------


def test_5_a_stage_changed_with_no_event__is_reported_with_both_stages(
    ctx: AppContext, ref: Reference
) -> None:
    case = _case_with_history(ctx, ref).reload()
    assert case.stage == "scoping"
    _sql(ctx, "UPDATE dhr_case SET stage = 'decision_pending' WHERE ref = :ref", ref=case.ref)
    problem = "stage changed with no event (the case is at 'Awaiting the CSP chair's decision', its events lead to 'Scoping with agencies')"
    assert _verify(ctx) == [AuditProblem(case.ref, case.audit_count, problem)]


# 6 of 7 ------------------------------------------------------------------------------------------


def test_6_a_wiped_trail_with_the_counters_reset__is_reported(ctx: AppContext, ref: Reference) -> None:
    case = _case_with_history(ctx, ref).reload()
    assert _sql(ctx, f"DELETE FROM audit_event WHERE case_id = {CASE_ID}", ref=case.ref) == case.audit_count
    _sql(ctx, "UPDATE dhr_case SET audit_count = 0, audit_head = '' WHERE ref = :ref", ref=case.ref)
    wiped = f"all {case.audit_count} events deleted (the trail was wiped)"
    assert _verify(ctx) == [AuditProblem(case.ref, 1, wiped)]
    with ctx.reader() as uow:  # without the checkpoints, a case with no events at all is reported still
        assert verify_all(uow.session) == [
            AuditProblem(
                case.ref, 1, "no events at all (the trail was wiped: a case's trail starts when it is opened)"
            )
        ]


# 7 of 7 ------------------------------------------------------------------------------------------


def _delete_case_and_everything_of_it(ctx: AppContext, case_id: uuid.UUID) -> None:
    """As an administrator would: foreign keys off, every row with the case's id, then the case."""
    deletes = [
        f'DELETE FROM "{t.name}" WHERE case_id = :id'
        for t in SQLModel.metadata.sorted_tables
        if "case_id" in t.c
    ]
    deletes.append("DELETE FROM dhr_case WHERE id = :id")
    if ctx.engine.dialect.name == "sqlite":
        raw = ctx.engine.raw_connection()  # the pragma only takes effect outside a transaction
        try:
            raw.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            for statement in deletes:
                raw.driver_connection.execute(statement.replace(":id", "?"), (case_id.hex,))  # type: ignore[union-attr]
            raw.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
        finally:
            raw.close()
        return
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for statement in deletes:
            conn.execute(text(statement), {"id": case_id})


def _db_id(ctx: AppContext, case_id: uuid.UUID) -> str | uuid.UUID:
    return case_id.hex if ctx.engine.dialect.name == "sqlite" else case_id


def test_7_a_deleted_case__is_reported_missing_by_the_reference_in_its_checkpoint(
    ctx: AppContext, ref: Reference
) -> None:
    gone, kept = _case_with_history(ctx, ref), _case_with_history(ctx, ref)
    gone_case = gone.reload()
    _delete_case_and_everything_of_it(ctx, gone.case_id)
    with ctx.reader() as uow:
        assert uow.session.get(Case, gone.case_id) is None
        assert verify_all(uow.session) == []  # nothing left in the database to show it
    missing = (
        f"case missing (its record and its audit trail are gone; "
        f"it was checkpointed at event {gone_case.audit_count} on {ON_THE_DAY})"
    )
    assert _verify(ctx) == [AuditProblem(gone_case.ref, None, missing)]
    assert str(_verify(ctx)[0]) == f"{gone_case.ref}: {missing}"
    assert _verify(ctx, [kept.case_id]) == []  # a check of one case does not report the others
    assert [p.case_ref for p in _verify(ctx, [gone.case_id])] == [gone_case.ref]


# The same through `dhr audit verify` -------------------------------------------------------------

cli = CliRunner()


def _run(*args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli__verify_names_each_case_and_position_and_checkpoint_writes_every_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DHR_DATABASE_URL", url)
    _run("init")
    refs = [_run("case", "new", "--notified-on", date.today().isoformat()).strip() for _ in range(3)]
    for case_ref in refs:
        _run("case", "fire", case_ref, "start_scoping")
    assert _run("audit", "verify").strip() == "Audit trail intact."
    assert _run("audit", "checkpoint").startswith("3 case(s) checkpointed in ")
    rolled_back, wiped, intact = refs
    ctx = build_context(Settings(database_url=url))
    try:
        *_, before_last, last_event = _events(ctx, _case_id(ctx, rolled_back))
        count, head, last = before_last.seq, before_last.hash, last_event.seq
        _sql(ctx, f"DELETE FROM audit_event WHERE seq = :n AND case_id = {CASE_ID}", n=last, ref=rolled_back)
        _sql(
            ctx,
            "UPDATE dhr_case SET audit_count = :n, audit_head = :h WHERE ref = :ref",
            n=count,
            h=head,
            ref=rolled_back,
        )
        wiped_count = _sql(ctx, f"DELETE FROM audit_event WHERE case_id = {CASE_ID}", ref=wiped)
        _sql(ctx, "UPDATE dhr_case SET audit_count = 0, audit_head = '' WHERE ref = :ref", ref=wiped)
    finally:
        ctx.engine.dispose()
    result = cli.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"{rolled_back}: event {last}: {MISSING_AT_END}",
        f"{wiped}: event 1: all {wiped_count} events deleted (the trail was wiped)",
    ]
    assert intact not in result.output


def _case_id(ctx: AppContext, case_ref: str) -> uuid.UUID:
    with ctx.reader() as uow:
        return uow.session.exec(select(Case.id).where(Case.ref == case_ref)).one()


# What is not tampering ---------------------------------------------------------------------------


def test_the_demo_untouched__verifies_clean_against_its_checkpoints(lite: AppContext) -> None:
    load_demo(lite)
    assert audit_scheduled.run_checkpoint(lite).endswith("case(s) checkpointed")
    held = checkpoint_file(lite).read()
    with lite.reader() as uow:
        cases = uow.session.exec(select(Case)).all()
    assert cases and {c.id for c in cases} == set(held.by_case)
    assert held.bad == []
    assert _verify(lite) == []


def test_a_refused_command__checkpoints_nothing(lite: AppContext, lite_ref: Reference) -> None:
    w = _case_with_history(lite, lite_ref)
    lines = checkpoint_file(lite).path.read_text().splitlines()
    with pytest.raises(PermissionDenied):
        family.record_family_contact(
            lite.uow(),
            actor=lite_ref.actor("panel"),
            clock=lite.clock,
            case_id=w.case_id,
            kind="contact",
            occurred_on=date(2026, 11, 6),
        )
    assert checkpoint_file(lite).path.read_text().splitlines() == lines
    last = json.loads(lines[-1])
    case = w.reload()
    assert (last["ref"], last["seq"], last["head"], last["stage"]) == (
        case.ref,
        case.audit_count,
        case.audit_head,
        case.stage,
    )


def test_a_checkpoint_that_cannot_be_written__does_not_undo_the_command(
    tmp_path: Path, clock: FakeClock, sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "not-a-file"
    folder.mkdir()
    database = tmp_path / "db.db"
    database.write_bytes(sqlite_template.read_bytes())
    ctx = build_context(Settings(database_url=f"sqlite:///{database}", audit_checkpoints=folder), clock=clock)
    try:
        w = open_case(ctx, seed(ctx), NOTIFIED)
        assert w.fire("start_scoping", date(2026, 11, 3), "officer").stage == "scoping"
        assert "audit checkpoint of 1 case(s) not written (IsADirectoryError)" in caplog.text
        with ctx.reader() as uow:
            assert verify_all(uow.session) == []
    finally:
        ctx.engine.dispose()


# The checkpoint file ----------------------------------------------------------------------------


def test_an_edited_or_broken_checkpoint_line__is_reported_and_not_believed(
    ctx: AppContext, ref: Reference
) -> None:
    w = _case_with_history(ctx, ref)
    case = w.reload()
    path = checkpoint_file(ctx).path
    lines = path.read_text().splitlines()
    edited = json.loads(lines[-1])
    edited["seq"] = case.audit_count + 5  # as if the case had more events than it has
    lines[-1] = json.dumps(edited)
    lines.append('{"case_id": "half a line')
    path.write_text("\n".join(lines) + "\n")
    count = len(lines)
    assert _verify(ctx) == [
        AuditProblem(
            case.ref,
            case.audit_count + 5,
            f"checkpoint line {count - 1} altered (its signature does not match what it says)",
        ),
        AuditProblem(
            "Checkpoint file", None, f"checkpoint line {count} cannot be read (it is not a whole checkpoint)"
        ),
    ]


APPENDER = """
import sys, uuid
from datetime import UTC, datetime
from pathlib import Path
from dhr_engine.audit.checkpoints import Checkpoint, CheckpointFile
from dhr_engine.config import DEV_AUDIT_KEY

path, worker, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = CheckpointFile(path, DEV_AUDIT_KEY.encode())
at = datetime(2026, 11, 25, 12, tzinfo=UTC)
print("ready", flush=True)
sys.stdin.readline()
for n in range(count):  # one call per checkpoint, each line longer than a page
    store.append([Checkpoint(uuid.uuid4(), f"DHR-{worker}-{n:05d}", n, "ab" * 32, "x" * 5000, at)])
"""


def test_two_processes_appending_at_once__keep_every_line_whole(tmp_path: Path) -> None:
    path, count = tmp_path / "checkpoints.jsonl", 2000
    with contextlib.ExitStack() as stack:
        workers = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", APPENDER, str(path), str(n), str(count)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for n in (1, 2)
        ]
        for worker in workers:  # both loaded and waiting: then both start at once
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.close()
        for worker in workers:
            assert worker.wait(timeout=300) == 0  # a guard only
    held = CheckpointFile(path, DEV_AUDIT_KEY.encode()).read()
    assert held.bad == []
    refs = sorted(c.ref for found in held.by_case.values() for c in found)
    assert refs == sorted(f"DHR-{w}-{n:05d}" for w in (1, 2) for n in range(count))


# The key ----------------------------------------------------------------------------------------


def test_the_chain_is_keyed__another_key_finds_every_event_edited(ctx: AppContext, ref: Reference) -> None:
    case = _case_with_history(ctx, ref).reload()
    url = ctx.engine.url.render_as_string(hide_password=False)
    other = build_context(Settings(database_url=url, audit_key="another-key-of-the-same-length-012345"))
    try:
        with other.reader() as uow:
            problems = verify_all(uow.session)
    finally:
        other.engine.dispose()
    assert problems == [AuditProblem(case.ref, seq, EDITED) for seq in range(1, case.audit_count + 1)]
    assert all(e.hash == event_hash(e, DEV_AUDIT_KEY.encode()) for e in _events(ctx, case.id))
    assert all(
        e.hash != _plain_sha256({n: getattr(e, n) for n in AuditEvent.model_fields})
        for e in _events(ctx, case.id)
    )


def test_the_key_settings__refuse_the_built_in_key_unless_in_development(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DHR_DEV_MODE", raising=False)
    assert audit_key(Settings()) == DEV_AUDIT_KEY.encode()
    problem = audit_key_problem(Settings())
    assert problem is not None and "DHR_AUDIT_KEY" in problem and DEV_AUDIT_KEY not in problem
    assert audit_key_problem(Settings(dev_mode=True)) is None
    assert audit_key_problem(Settings(), dev=True) is None
    own = "an-audit-key-made-for-this-server-0123456789"
    assert audit_key_problem(Settings(audit_key=own)) is None
    assert audit_key(Settings(audit_key=own)) == own.encode()
    key_file = tmp_path / "audit.key"
    key_file.write_text(own + "\n")
    assert audit_key(Settings(audit_key_file=key_file)) == own.encode()
    assert audit_key_problem(Settings(audit_key_file=key_file)) is None
    with pytest.raises(ValueError, match="at least 32 characters") as short:
        audit_key(Settings(audit_key="too-short-a-key"))
    assert "too-short-a-key" not in str(short.value)
    with pytest.raises(ValueError, match="not both") as both:
        audit_key(Settings(audit_key=own, audit_key_file=key_file))
    assert own not in str(both.value)
    with pytest.raises(ValueError, match="audit_key_file: the key file cannot be read"):
        audit_key(Settings(audit_key_file=tmp_path / "absent.key"))


# Migration 0010 ---------------------------------------------------------------------------------


def test_migration_0010__rechains_an_intact_plain_trail_and_leaves_a_broken_one_to_be_reported(
    ctx: AppContext, ref: Reference
) -> None:
    intact, broken = _case_with_history(ctx, ref), _case_with_history(ctx, ref)
    config = alembic_config(ctx.engine)
    try:
        with ctx.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0009_read_log")
        old = _events(ctx, intact.case_id)
        assert all(e.hash == _plain_sha256({n: getattr(e, n) for n in AuditEvent.model_fields}) for e in old)
        assert [e.prev_hash for e in old] == [GENESIS, *(e.hash for e in old[:-1])]
        assert intact.reload().audit_head == old[-1].hash
        _sql(
            ctx,
            "UPDATE audit_event SET actor_label = 'x' WHERE seq = 2 AND case_id = :id",
            id=_db_id(ctx, broken.case_id),
        )
    finally:
        upgrade(ctx.engine)
    new = _events(ctx, intact.case_id)
    assert [e.hash for e in new] != [e.hash for e in old]
    with ctx.reader() as uow:
        problems = verify_all(uow.session)
    broken_case = broken.reload()
    assert problems == [
        AuditProblem(broken_case.ref, seq, EDITED) for seq in range(1, broken_case.audit_count + 1)
    ]

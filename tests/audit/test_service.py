"""The audit trail, straight through audit/service.py: every command's event joins its case's hash
chain, and verify_case / verify_all find an edited event, a deleted one and a missing last one.
The tampering is raw SQL, as someone with database access would write it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from dhr_engine.audit.service import GENESIS, AuditProblem, event_hash, verify_all, verify_case
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.roles import Role
from dhr_engine.errors import PermissionDenied
from dhr_engine.family import service as family
from dhr_engine.persistence.tables import AuditEvent, Case
from tests.scenarios.walk import Walker, open_case

NOTIFIED = date(2026, 11, 2)
EVENT_OF = "WHERE seq = :seq AND case_id = (SELECT id FROM dhr_case WHERE ref = :ref)"


def _case_with_history(ctx: AppContext, ref: Reference) -> Walker:
    """A case with events from several commands: opened, a stage change, a member, a family entry."""
    w = open_case(ctx, ref, NOTIFIED)
    w.fire("start_scoping", date(2026, 11, 3), "officer")
    w.member("chair", Role.INDEPENDENT_CHAIR, date(2026, 11, 4))
    w.family("contact", date(2026, 11, 5))
    assert w.reload().audit_count >= 5
    return w


def _events(ctx: AppContext, w: Walker) -> list[AuditEvent]:
    with ctx.reader() as uow:
        return list(
            uow.session.exec(
                select(AuditEvent).where(AuditEvent.case_id == w.case_id).order_by(col(AuditEvent.seq))
            ).all()
        )


def _verify(ctx: AppContext, w: Walker) -> list[AuditProblem]:
    with ctx.reader() as uow:
        return verify_case(uow.session, uow.session.get_one(Case, w.case_id))


def _sql(ctx: AppContext, statement: str, **params: object) -> None:
    with ctx.engine.begin() as conn:
        assert conn.execute(text(statement), params).rowcount == 1


def test_intact_chain__links_every_event_to_the_one_before_and_verifies(
    ctx: AppContext, ref: Reference
) -> None:
    w = _case_with_history(ctx, ref)
    events = _events(ctx, w)
    case = w.reload()
    assert [e.seq for e in events] == list(range(1, case.audit_count + 1))
    assert [e.prev_hash for e in events] == [GENESIS, *(e.hash for e in events[:-1])]
    assert all(event_hash(e) == e.hash for e in events)
    assert case.audit_head == events[-1].hash
    assert {"case_opened", "stage_changed", "member_added", "family_contact_recorded"} <= {
        e.kind for e in events
    }
    assert _verify(ctx, w) == []
    with ctx.reader() as uow:
        assert verify_all(uow.session) == []


@pytest.mark.parametrize(
    "change",
    [
        "actor_label = 'Somebody Else'",
        "kind = 'case_closed'",
        "effective_on = '2026-10-01'",
        "recorded_at = recorded_at + INTERVAL '1 day'",
    ],
)
def test_an_edited_event__is_reported_at_its_position(ctx: AppContext, ref: Reference, change: str) -> None:
    w = _case_with_history(ctx, ref)
    case = w.reload()
    if "INTERVAL" in change and ctx.engine.dialect.name == "sqlite":
        change = "recorded_at = datetime(recorded_at, '+1 day')"
    _sql(ctx, f"UPDATE audit_event SET {change} {EVENT_OF}", seq=3, ref=case.ref)
    assert _verify(ctx, w) == [AuditProblem(case.ref, 3, "event edited (hash does not match its content)")]


def test_an_edited_event_with_its_hash_recomputed__breaks_the_link_to_the_next(
    ctx: AppContext, ref: Reference
) -> None:
    w = _case_with_history(ctx, ref)
    case = w.reload()
    third = _events(ctx, w)[2]
    forged = {
        name: getattr(third, name) for name in ("case_id", "seq", "kind", "actor_user_id", "effective_on")
    }
    forged |= {"actor_label": "Somebody Else", "recorded_at": third.recorded_at, "data": third.data}
    forged["prev_hash"] = third.prev_hash
    _sql(
        ctx,
        f"UPDATE audit_event SET actor_label = 'Somebody Else', hash = :hash {EVENT_OF}",
        hash=event_hash(forged),
        seq=3,
        ref=case.ref,
    )
    assert _verify(ctx, w) == [AuditProblem(case.ref, 4, "link to the previous event is broken")]


def test_a_deleted_event_in_the_middle__is_reported_as_a_gap(ctx: AppContext, ref: Reference) -> None:
    w = _case_with_history(ctx, ref)
    case = w.reload()
    _sql(ctx, f"DELETE FROM audit_event {EVENT_OF}", seq=2, ref=case.ref)
    assert _verify(ctx, w) == [AuditProblem(case.ref, 2, "event deleted (gap in the sequence)")]


def test_a_deleted_first_event__is_reported_as_a_gap(lite: AppContext, lite_ref: Reference) -> None:
    w = _case_with_history(lite, lite_ref)
    case = w.reload()
    _sql(lite, f"DELETE FROM audit_event {EVENT_OF}", seq=1, ref=case.ref)
    assert _verify(lite, w) == [AuditProblem(case.ref, 1, "event deleted (gap in the sequence)")]


def test_a_deleted_last_event__is_reported_as_missing_at_the_end(ctx: AppContext, ref: Reference) -> None:
    w = _case_with_history(ctx, ref)
    case = w.reload()
    _sql(ctx, f"DELETE FROM audit_event {EVENT_OF}", seq=case.audit_count, ref=case.ref)
    assert _verify(ctx, w) == [
        AuditProblem(case.ref, case.audit_count, "event deleted (missing at the end of the chain)")
    ]


def test_a_deleted_last_event_with_the_case_counter_wound_back__misses_the_chain_head(
    ctx: AppContext, ref: Reference
) -> None:
    w = _case_with_history(ctx, ref)
    case = w.reload()
    last = case.audit_count
    _sql(ctx, f"DELETE FROM audit_event {EVENT_OF}", seq=last, ref=case.ref)
    _sql(ctx, "UPDATE dhr_case SET audit_count = :n WHERE ref = :ref", n=last - 1, ref=case.ref)
    assert _verify(ctx, w) == [
        AuditProblem(case.ref, last - 1, "last event does not match the case's chain head")
    ]


def test_several_deletions__are_each_reported(lite: AppContext, lite_ref: Reference) -> None:
    w = _case_with_history(lite, lite_ref)
    case = w.reload()
    last = case.audit_count
    for seq in (2, 3, last):
        _sql(lite, f"DELETE FROM audit_event {EVENT_OF}", seq=seq, ref=case.ref)
    assert [(p.position, p.problem.split(" (")[0]) for p in _verify(lite, w)] == [
        (2, "event deleted"),
        (3, "event deleted"),
        (last, "event deleted"),
    ]


def test_verify_all__names_only_the_tampered_case(ctx: AppContext, ref: Reference) -> None:
    tampered, intact = _case_with_history(ctx, ref), _case_with_history(ctx, ref)
    bad, good = tampered.reload(), intact.reload()
    _sql(ctx, f"UPDATE audit_event SET actor_label = 'x' {EVENT_OF}", seq=2, ref=bad.ref)
    with ctx.reader() as uow:
        assert verify_all(uow.session) == [
            AuditProblem(bad.ref, 2, "event edited (hash does not match its content)")
        ]
        assert verify_all(uow.session, [good.id]) == []
        assert [p.case_ref for p in verify_all(uow.session, [bad.id])] == [bad.ref]
        assert verify_all(uow.session, []) == []  # no case named: none checked, not every case


def test_a_refused_command__leaves_the_chain_as_it_was(lite: AppContext, lite_ref: Reference) -> None:
    w = _case_with_history(lite, lite_ref)
    before = w.reload()
    with pytest.raises(PermissionDenied):
        family.record_family_contact(
            lite.uow(),
            actor=lite_ref.actor("panel"),
            clock=lite.clock,
            case_id=w.case_id,
            kind="contact",
            occurred_on=date(2026, 11, 6),
        )
    after = w.reload()
    assert (after.audit_count, after.audit_head) == (before.audit_count, before.audit_head)
    assert len(_events(lite, w)) == before.audit_count
    assert _verify(lite, w) == []

"""fire_trigger is one transaction: all of stage, audit, deadlines and outbox, or none of it."""

import threading
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from dhr_engine.cases import service as cases
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.errors import (
    PermissionDenied,
    StaleCase,
    TransitionBlocked,
    TransitionNotAllowed,
    ValidationFailed,
)
from dhr_engine.persistence.tables import AuditEvent, Case, Deadline, OutboxItem
from tests.scenarios.walk import Walker, open_case


def _counts(ctx: AppContext, case_id: object) -> tuple[str, int, int, int, int, int]:
    with ctx.reader() as uow:
        s = uow.session
        case = s.get(Case, case_id)
        assert case is not None
        audit = s.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id)
        ).one()
        dl = s.exec(select(func.count()).select_from(Deadline).where(Deadline.case_id == case_id)).one()
        still_open = s.exec(
            select(func.count()).where(Deadline.case_id == case_id, Deadline.status == "open")
        ).one()
        out = s.exec(select(func.count()).select_from(OutboxItem).where(OutboxItem.case_id == case_id)).one()
        return case.stage, case.version, int(audit), int(dl), int(still_open), int(out)


def _at_decision(ctx: AppContext, ref: Reference) -> Walker:
    w = open_case(ctx, ref, date(2026, 10, 1))
    w.fire("start_scoping", date(2026, 10, 1), "officer")
    w.fire("submit_decision_briefing", date(2026, 10, 20), "officer")
    return w


def test_fire_trigger__failure_after_stage_change_writes_nothing(
    ctx: AppContext, ref: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _at_decision(ctx, ref)
    before = _counts(ctx, w.case_id)
    real_apply = cases.apply_ops

    def apply_then_fail(*args: object, **kwargs: object) -> object:
        real_apply(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(cases, "apply_ops", apply_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        w.fire("decide_to_review", date(2026, 10, 25), "cspchair")
    assert _counts(ctx, w.case_id) == before
    assert before[0] == "decision_pending"


def test_fire_trigger__two_writers_same_version_one_conflict(ctx: AppContext, ref: Reference) -> None:
    w = _at_decision(ctx, ref)
    version = w.reload().version
    audit_before = _counts(ctx, w.case_id)[2]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(trigger: str, reason: str) -> None:
        barrier.wait()
        try:
            cases.fire_trigger(
                ctx.uow(),
                actor=ref.actor("cspchair"),
                clock=ctx.clock,
                case_id=w.case_id,
                trigger=trigger,
                effective_on=date(2026, 10, 25),
                reason=reason,
                expected_version=version,
            )
            outcomes.append("ok")
        except StaleCase as err:
            assert err.items[0].field == "expected_version"
            outcomes.append("stale")

    threads = [
        threading.Thread(target=writer, args=("decide_to_review", "a")),
        threading.Thread(target=writer, args=("decide_no_review", "b")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "stale"]
    with ctx.reader() as uow:
        moves = uow.session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == w.case_id,
                AuditEvent.seq > audit_before,
                AuditEvent.kind == "stage_changed",
            )
        ).all()
    assert len(moves) == 1


def test_fire_trigger__stale_version_without_threads(lite: AppContext, lite_ref: Reference) -> None:
    w = _at_decision(lite, lite_ref)
    with pytest.raises(StaleCase):
        cases.fire_trigger(
            lite.uow(),
            actor=lite_ref.actor("cspchair"),
            clock=lite.clock,
            case_id=w.case_id,
            trigger="decide_to_review",
            expected_version=1,
        )


def test_fire_trigger__role_not_allowed_names_roles_and_writes_nothing(
    ctx: AppContext, ref: Reference
) -> None:
    w = _at_decision(ctx, ref)
    before = _counts(ctx, w.case_id)
    with pytest.raises(PermissionDenied) as denied:
        w.fire("decide_to_review", date(2026, 10, 25), "officer")
    assert "may be fired only by: csp_chair" in denied.value.msg
    assert "csp_officer" in denied.value.msg
    assert _counts(ctx, w.case_id) == before


def test_fire_trigger__guard_blocks_names_guards_and_writes_nothing(ctx: AppContext, ref: Reference) -> None:
    w = open_case(ctx, ref, date(2026, 9, 1))
    for trigger, who in [
        ("start_scoping", "officer"),
        ("submit_decision_briefing", "officer"),
        ("decide_to_review", "cspchair"),
        ("notify_home_office_of_review", "officer"),
    ]:
        w.fire(trigger, date(2026, 9, 20), who)
    before = _counts(ctx, w.case_id)
    with pytest.raises(TransitionBlocked) as blocked:
        w.fire("appoint_chair", date(2026, 9, 21), "officer")
    assert blocked.value.failed_guards == ["independent_chair_assigned"]
    assert _counts(ctx, w.case_id) == before


def test_fire_trigger__wrong_stage_and_unknown_trigger(lite: AppContext, lite_ref: Reference) -> None:
    w = open_case(lite, lite_ref, date(2026, 9, 1))
    with pytest.raises(TransitionNotAllowed, match="cannot be fired from stage 'notified'"):
        w.fire("publish_report", date(2026, 9, 2), "officer")
    with pytest.raises(TransitionNotAllowed, match="not a trigger"):
        w.fire("teleport", date(2026, 9, 2), "officer")


def test_fire_trigger__reason_required_where_the_workflow_says(lite: AppContext, lite_ref: Reference) -> None:
    w = _at_decision(lite, lite_ref)
    with pytest.raises(ValidationFailed) as err:
        cases.fire_trigger(
            lite.uow(),
            actor=lite_ref.actor("cspchair"),
            clock=lite.clock,
            case_id=w.case_id,
            trigger="decide_no_review",
            effective_on=date(2026, 10, 25),
        )
    assert err.value.items[0].field == "reason"


def test_effective_dates__never_in_future_never_before_last_step(
    lite: AppContext, lite_ref: Reference
) -> None:
    w = _at_decision(lite, lite_ref)  # last step on 20 October 2026; today is 25 November 2026
    with pytest.raises(ValidationFailed) as future:
        w.fire("decide_to_review", date(2026, 11, 26), "cspchair")
    assert future.value.items[0].field == "effective_on" and "25 November 2026" in future.value.msg
    with pytest.raises(ValidationFailed) as early:
        w.fire("decide_to_review", date(2026, 10, 19), "cspchair")
    assert "20 October 2026" in early.value.msg


def test_effective_dates__deadlines_run_from_effective_date_audit_keeps_both(
    lite: AppContext, lite_ref: Reference
) -> None:
    w = _at_decision(lite, lite_ref)
    w.fire("decide_to_review", date(2026, 10, 22), "cspchair")  # recorded on 25 November
    assert w.deadline("review_completion").statutory_due == date(2027, 4, 22)
    with lite.reader() as uow:
        event = uow.session.exec(
            select(AuditEvent)
            .where(AuditEvent.case_id == w.case_id, AuditEvent.kind == "stage_changed")
            .order_by(AuditEvent.seq.desc())  # type: ignore[attr-defined]
        ).first()
    assert event is not None
    assert event.effective_on == date(2026, 10, 22)
    assert event.recorded_at.date() == date(2026, 11, 25)


def test_fire_trigger__raises_version_by_exactly_one(lite: AppContext, lite_ref: Reference) -> None:
    w = open_case(lite, lite_ref, date(2026, 10, 1))
    assert w.reload().version == 1
    w.fire("start_scoping", date(2026, 10, 1), "officer")
    assert w.reload().version == 2
    case = cases.fire_trigger(
        lite.uow(),
        actor=lite_ref.actor("officer"),
        clock=lite.clock,
        case_id=w.case_id,
        trigger="submit_decision_briefing",
        expected_version=2,
    )
    assert case.version == 3 == w.reload().version

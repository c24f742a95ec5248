"""Done-when: ten agencies are asked; most return, one is late and is chased and escalated, one
is sent back for changes and resubmits; the chair accepts all; only then may the case leave
information gathering."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from dhr_engine.audit import service as audit_service
from dhr_engine.cases.service import fire_trigger
from dhr_engine.deadlines.scheduled import sweep_all
from dhr_engine.errors import PermissionDenied, TransitionBlocked
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import AuditEvent, Deadline, OutboxItem, ReturnRequest
from dhr_engine.persistence.tables_returns import ReturnVersion
from dhr_engine.persistence.tables_scheduler import DeadlineNotice, Notification
from dhr_engine.returns import service
from tests.returns.helpers import AGENCY_KEYS, agency_users, gathering_case, request, step, submit

IMR = AGENCY_KEYS[:4]
CHRONOLOGY = AGENCY_KEYS[4:8]
SHORT = AGENCY_KEYS[8:]
LATE = "housing"  # asked for a chronology
SENT_BACK = "acute_trust"  # asked for an IMR


def _leave_information_gathering(ctx, ref, case):
    return fire_trigger(
        ctx.uow(),
        actor=ref.actor("chair"),
        clock=ctx.clock,
        case_id=case.id,
        trigger="complete_information_gathering",
    )


def _deadline(ctx, request_id) -> Deadline:
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(Deadline).where(Deadline.subject_id == request_id).order_by(col(Deadline.opened_at))
        ).all()
        return rows[-1]


def test_ten_agencies_returns_to_leaving_information_gathering(ctx, ref, clock):
    case = gathering_case(ctx, ref)
    users = agency_users(ctx, ref, case, AGENCY_KEYS)
    requests = {}
    for kind, keys in (("imr", IMR), ("chronology", CHRONOLOGY), ("short_report", SHORT)):
        for r in request(ctx, ref, case, kind, keys):
            requests[next(k for k in keys if ref.agencies[k].id == r.agency_id)] = r
    assert len(requests) == 10
    with ctx.reader() as uow:
        letters = uow.session.exec(
            select(OutboxItem).where(
                OutboxItem.case_id == case.id,
                OutboxItem.kind == "letter",
                OutboxItem.payload["trigger"].as_string() == "return_requested",
            )
        ).all()
        # One request letter per batch, naming each agency asked.
        assert sorted((i.topic, len(i.payload["agency_ids"])) for i in letters) == [
            ("c09_imr_request", 2),
            ("c09_imr_request", 4),
            ("c10_chronology_request", 4),
        ]
    kinds = {key: r.kind for key, r in requests.items()}

    # Each request has its own open deadline row on the statutory calendar of the case's workflow.
    for key, r in requests.items():
        row = _deadline(ctx, r.id)
        assert (row.status, row.subject_type) == ("open", "return_request")
        assert (
            row.key
            == {
                "imr": "imr_return",
                "chronology": "chronology_return",
                "short_report": "short_report_return",
            }[kinds[key]]
        )
        assert row.adjusted_due > clock.today()

    with pytest.raises(TransitionBlocked) as blocked:
        _leave_information_gathering(ctx, ref, case)
    assert "agency_returns_accepted" in blocked.value.failed_guards

    # Nine agencies acknowledge, submit and sign off within a week.
    clock.advance(days=5)
    for key in AGENCY_KEYS:
        if key == LATE:
            continue
        step(ctx, users[key].author, requests[key].id, "acknowledge")
        submit(ctx, users[key].author, requests[key].id, kind=kinds[key])
        # An author cannot sign off their own agency's return.
        if key == IMR[0]:
            with pytest.raises(PermissionDenied):
                step(ctx, users[key].author, requests[key].id, "sign_off")
        step(ctx, users[key].manager, requests[key].id, "sign_off")
        assert _deadline(ctx, requests[key].id).status == "met"

    # The late agency: past its due date, its row is overdue and still open.
    clock.advance(days=45)
    late_row = _deadline(ctx, requests[LATE].id)
    assert late_row.status == "open" and late_row.adjusted_due < clock.today()
    # The scheduler chases it. After the long gap one notice only: the latest escalation, which
    # reaches everyone the skipped rungs would have (the agency's senior manager, then the CSP
    # chair) and nobody from the other nine agencies. A week later, the next escalation.
    others = {u.user_id for k, pair in users.items() if k != LATE for u in (pair.author, pair.manager)}
    sweep_all(ctx, clock.now())
    first = _notices(ctx, late_row.id)
    assert len(first) == 1 and first[0].kind == "escalation"
    told = _notified(ctx, first[0].id)
    assert {users[LATE].manager.user_id, ref.users["cspchair"].id} <= told and not told & others
    sweep_all(ctx, clock.now())
    assert len(_notices(ctx, late_row.id)) == 1  # a second sweep the same day sends nothing
    clock.advance(days=7)
    sweep_all(ctx, clock.now())
    second = _notices(ctx, late_row.id)[-1]
    assert (second.kind, second.level) == ("escalation", first[0].level + 1)
    # The officer and the chair can also chase by hand.
    chase = service.chase_return(
        ctx.uow(), actor=ref.actor("officer"), clock=clock, request_id=requests[LATE].id
    )
    escalation = service.chase_return(
        ctx.uow(), actor=ref.actor("chair"), clock=clock, request_id=requests[LATE].id, escalate=True
    )
    with ctx.reader() as uow:
        items = {
            i.topic: i for i in uow.session.exec(select(OutboxItem).where(OutboxItem.case_id == case.id))
        }
        assert {"return_chase", "return_escalation"} <= set(items)
        assert str(users[LATE].author.user_id) in items["return_chase"].payload["user_ids"]
        assert items["return_escalation"].payload["user_ids"] == [str(users[LATE].manager.user_id)]
        assert items["return_escalation"].payload["emails"] == ["housing.manager@agency.example"]
        kinds_logged = [
            e.kind for e in uow.session.exec(select(AuditEvent).where(AuditEvent.case_id == case.id))
        ]
        assert {"return_chased", "return_escalated"} <= set(kinds_logged)
    assert chase.id != escalation.id
    # An agency user cannot chase (chasing is for the CSP officer and the chair).
    with pytest.raises(PermissionDenied):
        service.chase_return(ctx.uow(), actor=users[LATE].manager, clock=clock, request_id=requests[LATE].id)

    submit(ctx, users[LATE].author, requests[LATE].id, kind="chronology")
    step(ctx, users[LATE].manager, requests[LATE].id, "sign_off")
    assert _deadline(ctx, requests[LATE].id).status == "met_late"

    # The chair sends one back with comments; it is resubmitted with a note of what changed.
    step(ctx, ref.actor("chair"), requests[SENT_BACK].id, "request_changes", "Section 4 lacks analysis")
    reopened = _deadline(ctx, requests[SENT_BACK].id)
    assert reopened.status == "open" and reopened.anchor_on == clock.today()
    clock.advance(days=3)
    submit(
        ctx,
        users[SENT_BACK].author,
        requests[SENT_BACK].id,
        kind="imr",
        change_note="Added analysis to section 4",
        text="Report with analysis",
    )
    step(ctx, users[SENT_BACK].manager, requests[SENT_BACK].id, "sign_off")
    assert _deadline(ctx, requests[SENT_BACK].id).status == "met"

    # The chair accepts every return; the guard holds until the very last one.
    for i, key in enumerate(AGENCY_KEYS):
        with pytest.raises(TransitionBlocked):
            _leave_information_gathering(ctx, ref, case)
        step(ctx, ref.actor("chair" if i % 2 else "officer"), requests[key].id, "accept")
    moved = _leave_information_gathering(ctx, ref, case)
    assert moved.stage == "analysis"

    with ctx.reader() as uow:
        rows = uow.session.exec(select(ReturnRequest).where(ReturnRequest.case_id == case.id)).all()
        assert {r.stage for r in rows} == {"accepted"}
        versions = uow.session.exec(
            select(ReturnVersion)
            .where(ReturnVersion.request_id == requests[SENT_BACK].id)
            .order_by(col(ReturnVersion.number))
        ).all()
        assert [(v.number, v.review_outcome) for v in versions] == [(1, "changes_requested"), (2, "accepted")]
        assert versions[0].review_comment == "Section 4 lacks analysis"
        assert versions[1].change_note == "Added analysis to section 4"
        assert all(v.signed_off_on for v in versions)
        # The audit chain of the case is intact after all of it.
        assert audit_service.verify_case(uow.session, get_case(uow.session, case_id=case.id)) == []


def _notices(ctx, deadline_id):  # type: ignore[no-untyped-def]
    with ctx.reader() as uow:
        return list(
            uow.session.exec(
                select(DeadlineNotice)
                .where(DeadlineNotice.deadline_id == deadline_id)
                .order_by(col(DeadlineNotice.claimed_at))
            ).all()
        )


def _notified(ctx, notice_id):  # type: ignore[no-untyped-def]
    with ctx.reader() as uow:
        return set(
            uow.session.exec(select(Notification.user_id).where(Notification.notice_id == notice_id)).all()
        )

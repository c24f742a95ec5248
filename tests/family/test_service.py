"""The family engagement log, straight through family/service.py: entries, their audit, and the
family_first_letter deadline they meet."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import SQLModel, col, func, select

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.domain.family_log import KINDS
from dhr_engine.domain.roles import Role
from dhr_engine.errors import DhrError, PermissionDenied, ValidationFailed
from dhr_engine.family import service as svc
from dhr_engine.persistence.tables import AuditEvent, Deadline, FamilyContact
from tests.scenarios.walk import Walker, open_case

NOTIFIED = date(2026, 11, 2)
DECIDED = date(2026, 11, 16)  # family_first_letter: 10 working days later, 30 November 2026
NOTE = "Spoke to the sister on 07700 900456 at her home"


def _count(ctx: AppContext, model: type[SQLModel]) -> int:
    with ctx.reader() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


def _events(ctx: AppContext, case_id: uuid.UUID) -> list[AuditEvent]:
    with ctx.reader() as uow:
        return list(
            uow.session.exec(
                select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.seq))
            ).all()
        )


def _decided(ctx: AppContext, ref: Reference) -> Walker:
    """A case the CSP chair has decided to review: the family_first_letter deadline is open."""
    w = open_case(ctx, ref, NOTIFIED)
    w.fire("start_scoping", NOTIFIED, "officer")
    w.fire("submit_decision_briefing", NOTIFIED + timedelta(days=7), "officer")
    w.fire("decide_to_review", DECIDED, "cspchair")
    assert w.deadline("family_first_letter").status == "open"
    return w


def _record(
    ctx: AppContext, ref: Reference, w: Walker, kind: str, on: date, by: str = "officer", note: str = ""
) -> FamilyContact:
    return svc.record_family_contact(
        ctx.uow(),
        actor=ref.actor(by),
        clock=ctx.clock,
        case_id=w.case_id,
        kind=kind,
        occurred_on=on,
        note=note,
    )


def _assert_refused(
    ctx: AppContext, err: pytest.ExceptionInfo[DhrError], field: str, before: tuple[int, int]
) -> None:
    assert err.value.items[0].field == field
    assert (_count(ctx, FamilyContact), _count(ctx, AuditEvent)) == before, "a refused entry wrote something"


def test_contact__is_logged_and_audited_without_its_note(ctx: AppContext, ref: Reference) -> None:
    w = open_case(ctx, ref, NOTIFIED)
    seq = w.reload().audit_count
    row = _record(ctx, ref, w, "contact", date(2026, 11, 20), note=NOTE)
    with ctx.reader() as uow:
        stored = uow.session.get_one(FamilyContact, row.id)
    assert (stored.case_id, stored.kind, stored.occurred_on, stored.note, stored.recorded_by) == (
        w.case_id,
        "contact",
        date(2026, 11, 20),
        NOTE,
        ref.users["officer"].id,
    )
    new = _events(ctx, w.case_id)[seq:]
    assert [e.kind for e in new] == ["family_contact_recorded"]
    assert new[0].data == {"entry_id": str(row.id), "kind": "contact"}
    assert new[0].effective_on == date(2026, 11, 20)
    assert "07700" not in str(new[0].data) and "sister" not in str(new[0].data)


def test_first_letter_sent__meets_the_family_first_letter_deadline(ctx: AppContext, ref: Reference) -> None:
    w = _decided(ctx, ref)
    seq = w.reload().audit_count
    _record(ctx, ref, w, "first_letter_sent", date(2026, 11, 20))
    deadline = w.deadline("family_first_letter")
    assert (deadline.status, deadline.closed_on) == ("met", date(2026, 11, 20))
    new = _events(ctx, w.case_id)[seq:]
    assert [(e.kind, e.data.get("key"), e.data.get("status")) for e in new] == [
        ("family_contact_recorded", None, None),
        ("deadline_closed", "family_first_letter", "met"),
    ]
    assert all(e.effective_on == date(2026, 11, 20) for e in new)


def test_leaflet_sent__meets_it_too_and_after_the_due_date_it_is_met_late(
    lite: AppContext, lite_ref: Reference, clock: FakeClock
) -> None:
    w = _decided(lite, lite_ref)
    due = w.deadline("family_first_letter").adjusted_due
    assert due == date(2026, 11, 30)
    clock.advance(days=10)
    _record(lite, lite_ref, w, "leaflet_sent", due + timedelta(days=1))
    deadline = w.deadline("family_first_letter")
    assert (deadline.status, deadline.closed_on) == ("met_late", due + timedelta(days=1))
    assert _events(lite, w.case_id)[-1].data == {"key": "family_first_letter", "status": "met_late"}


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"first_letter_sent", "leaflet_sent"}))
def test_other_kinds__leave_the_deadline_open(lite: AppContext, lite_ref: Reference, kind: str) -> None:
    w = _decided(lite, lite_ref)
    _record(lite, lite_ref, w, kind, date(2026, 11, 20))
    assert w.deadline("family_first_letter").status == "open"
    assert [e.kind for e in _events(lite, w.case_id)][-1] == "family_contact_recorded"


def test_a_second_first_letter__closes_nothing_more(lite: AppContext, lite_ref: Reference) -> None:
    w = _decided(lite, lite_ref)
    _record(lite, lite_ref, w, "first_letter_sent", date(2026, 11, 20))
    seq = w.reload().audit_count
    _record(lite, lite_ref, w, "first_letter_sent", date(2026, 11, 23))
    assert [e.kind for e in _events(lite, w.case_id)[seq:]] == ["family_contact_recorded"]
    assert w.deadline("family_first_letter").closed_on == date(2026, 11, 20)


def test_an_unknown_kind__is_refused_naming_kind(ctx: AppContext, ref: Reference) -> None:
    w = _decided(ctx, ref)
    before = (_count(ctx, FamilyContact), _count(ctx, AuditEvent))
    with pytest.raises(ValidationFailed) as err:
        _record(ctx, ref, w, "first_letter", date(2026, 11, 20))
    assert "first_letter_sent" in err.value.msg
    _assert_refused(ctx, err, "kind", before)
    assert w.deadline("family_first_letter").status == "open"


def test_a_date_after_today__is_refused_naming_effective_on(ctx: AppContext, ref: Reference) -> None:
    w = _decided(ctx, ref)
    before = (_count(ctx, FamilyContact), _count(ctx, AuditEvent))
    with pytest.raises(ValidationFailed) as err:
        _record(ctx, ref, w, "first_letter_sent", ctx.clock.today() + timedelta(days=1))
    _assert_refused(ctx, err, "effective_on", before)
    assert w.deadline("family_first_letter").status == "open"
    _record(ctx, ref, w, "first_letter_sent", ctx.clock.today())  # today itself is fine


def test_a_date_before_the_cases_last_step__is_accepted(lite: AppContext, lite_ref: Reference) -> None:
    # The log records what already happened: the lifecycle scenario logs a letter sent before the
    # case moved on (tests/scenarios/test_lifecycle.py), so unlike a trigger there is no not_before.
    w = _decided(lite, lite_ref)
    row = _record(lite, lite_ref, w, "contact", DECIDED - timedelta(days=3))
    assert row.occurred_on < w.reload().stage_entered_on


@pytest.mark.parametrize("username", ["officer", "chair"])
def test_recorded_by_a_csp_officer_or_the_independent_chair(
    lite: AppContext, lite_ref: Reference, username: str
) -> None:
    w = _decided(lite, lite_ref)
    w.member("chair", Role.INDEPENDENT_CHAIR, DECIDED)
    row = _record(lite, lite_ref, w, "meeting", date(2026, 11, 20), by=username)
    assert row.recorded_by == lite_ref.users[username].id
    assert _events(lite, w.case_id)[-1].actor_user_id == lite_ref.users[username].id


@pytest.mark.parametrize(
    ("username", "role_on_case"),
    [
        ("admin", None),
        ("cspchair", None),
        ("chair", None),  # not this review's chair
        ("author", Role.OVERVIEW_AUTHOR),
        ("panel", Role.PANEL_MEMBER),
        ("police.author", Role.AGENCY_AUTHOR),
        ("police.manager", Role.AGENCY_MANAGER),
    ],
)
def test_refused_for_everyone_else__naming_the_roles(
    lite: AppContext, lite_ref: Reference, username: str, role_on_case: Role | None
) -> None:
    w = _decided(lite, lite_ref)
    if role_on_case is not None:
        w.member(username, role_on_case, DECIDED)
    before = (_count(lite, FamilyContact), _count(lite, AuditEvent))
    with pytest.raises(PermissionDenied) as err:
        _record(lite, lite_ref, w, "first_letter_sent", date(2026, 11, 20), by=username)
    assert err.value.msg == "only a CSP officer or an independent chair may write the family log"
    _assert_refused(lite, err, "role", before)
    with lite.reader() as uow:
        assert (
            uow.session.exec(
                select(Deadline.status).where(
                    Deadline.case_id == w.case_id, Deadline.key == "family_first_letter"
                )
            ).one()
            == "open"
        )

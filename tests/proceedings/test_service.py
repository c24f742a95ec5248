"""Parallel proceedings, straight through proceedings/service.py: record, conclude, who reads the
notes, and the pause and resume of the review that an open proceeding allows."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import SQLModel, col, func, select

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.roles import Role
from dhr_engine.errors import DhrError, NotFound, PermissionDenied, TransitionBlocked, ValidationFailed
from dhr_engine.persistence.tables import AuditEvent, ParallelProceeding
from dhr_engine.proceedings import service as svc
from tests.api.scenario import PROCEEDING_NOTE, World
from tests.scenarios.walk import Walker, open_case

NOTIFIED = date(2026, 11, 2)
STARTED = date(2026, 11, 10)
NOTE = "CPS advise the trial is listed for March; do not approach the witness"
DENIED = "only a CSP officer or an independent chair may"


def _count(ctx: AppContext, model: type[SQLModel]) -> int:
    with ctx.reader() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


def _counts(ctx: AppContext) -> tuple[int, int]:
    return _count(ctx, ParallelProceeding), _count(ctx, AuditEvent)


def _events(ctx: AppContext, case_id: uuid.UUID) -> list[AuditEvent]:
    with ctx.reader() as uow:
        return list(
            uow.session.exec(
                select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.seq))
            ).all()
        )


def _stored(ctx: AppContext, proceeding_id: uuid.UUID) -> ParallelProceeding:
    with ctx.reader() as uow:
        return uow.session.get_one(ParallelProceeding, proceeding_id)


def _record(
    ctx: AppContext,
    ref: Reference,
    w: Walker,
    *,
    by: str = "officer",
    kind: str = "criminal_trial",
    started_on: date = STARTED,
    note: str = NOTE,
    pauses_review: bool = True,
) -> ParallelProceeding:
    return svc.record_proceeding(
        ctx.uow(),
        actor=ref.actor(by),
        clock=ctx.clock,
        case_id=w.case_id,
        kind=kind,
        started_on=started_on,
        body="Northmoor Crown Court",
        reference="T2026-0042",
        note=note,
        pauses_review=pauses_review,
    )


def _conclude(
    ctx: AppContext,
    ref: Reference,
    w: Walker,
    proceeding_id: uuid.UUID,
    on: date,
    *,
    by: str = "officer",
    outcome: str = "",
) -> ParallelProceeding:
    return svc.conclude_proceeding(
        ctx.uow(),
        actor=ref.actor(by),
        clock=ctx.clock,
        case_id=w.case_id,
        proceeding_id=proceeding_id,
        concluded_on=on,
        outcome=outcome,
    )


def _assert_refused(
    ctx: AppContext, err: pytest.ExceptionInfo[DhrError], field: str, before: tuple[int, int]
) -> None:
    assert err.value.items[0].field == field
    assert _counts(ctx) == before, "a refused command wrote something"


# --- record --------------------------------------------------------------------------------------


def test_record__stores_the_proceeding_and_audits_its_kind_not_its_details(
    ctx: AppContext, ref: Reference
) -> None:
    w = open_case(ctx, ref, NOTIFIED)
    seq = w.reload().audit_count
    row = _record(ctx, ref, w)
    stored = _stored(ctx, row.id)
    assert (stored.case_id, stored.kind, stored.started_on, stored.concluded_on, stored.pauses_review) == (
        w.case_id,
        "criminal_trial",
        STARTED,
        None,
        True,
    )
    assert (stored.body, stored.reference, stored.note) == ("Northmoor Crown Court", "T2026-0042", NOTE)
    new = _events(ctx, w.case_id)[seq:]
    assert [e.kind for e in new] == ["proceeding_recorded"]
    assert new[0].data == {"proceeding_id": str(row.id), "kind": "criminal_trial", "pauses_review": True}
    assert (new[0].effective_on, new[0].actor_user_id) == (STARTED, ref.users["officer"].id)
    assert w.reload().audit_head == new[0].hash


def test_record__a_date_before_the_cases_last_step_is_accepted(lite: AppContext, lite_ref: Reference) -> None:
    # A trial or inquest runs on its own timetable: tests/api/scenario.py records one started before
    # the case's last move, so there is no not_before here (only "not after today").
    w = open_case(lite, lite_ref, NOTIFIED)
    w.fire("start_scoping", date(2026, 11, 12), "officer")
    row = _record(lite, lite_ref, w, started_on=STARTED)
    assert row.started_on < w.reload().stage_entered_on


@pytest.mark.parametrize(
    ("kind", "started_on", "field"),
    [
        ("civil_claim", STARTED, "kind"),
        ("criminal_trial", date(2026, 11, 26), "effective_on"),  # tomorrow
    ],
)
def test_record__bad_input_is_refused_naming_the_field(
    ctx: AppContext, ref: Reference, kind: str, started_on: date, field: str
) -> None:
    w = open_case(ctx, ref, NOTIFIED)
    before = _counts(ctx)
    with pytest.raises(ValidationFailed) as err:
        _record(ctx, ref, w, kind=kind, started_on=started_on)
    _assert_refused(ctx, err, field, before)


@pytest.mark.parametrize("username", ["officer", "chair"])
def test_record_and_conclude__by_a_csp_officer_or_the_independent_chair(
    lite: AppContext, lite_ref: Reference, username: str
) -> None:
    w = open_case(lite, lite_ref, NOTIFIED)
    w.member("chair", Role.INDEPENDENT_CHAIR, NOTIFIED)
    row = _record(lite, lite_ref, w, by=username)
    _conclude(lite, lite_ref, w, row.id, date(2026, 11, 20), by=username)
    assert [e.actor_user_id for e in _events(lite, w.case_id)[-2:]] == [lite_ref.users[username].id] * 2


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
def test_record_and_conclude__refused_for_everyone_else(
    lite: AppContext, lite_ref: Reference, username: str, role_on_case: Role | None
) -> None:
    w = open_case(lite, lite_ref, NOTIFIED)
    if role_on_case is not None:
        w.member(username, role_on_case, NOTIFIED)
    row = _record(lite, lite_ref, w)
    before = _counts(lite)
    with pytest.raises(PermissionDenied) as err:
        _record(lite, lite_ref, w, by=username)
    assert err.value.msg == f"{DENIED} record proceedings"
    _assert_refused(lite, err, "role", before)
    with pytest.raises(PermissionDenied) as err:
        _conclude(lite, lite_ref, w, row.id, date(2026, 11, 20), by=username)
    assert err.value.msg == f"{DENIED} conclude proceedings"
    _assert_refused(lite, err, "role", before)
    assert _stored(lite, row.id).concluded_on is None


# --- conclude ------------------------------------------------------------------------------------


def test_conclude__records_the_date_appends_the_outcome_and_audits_the_kind(
    ctx: AppContext, ref: Reference
) -> None:
    w = open_case(ctx, ref, NOTIFIED)
    row = _record(ctx, ref, w)
    seq = w.reload().audit_count
    _conclude(ctx, ref, w, row.id, date(2026, 11, 20), outcome="Guilty plea entered")
    stored = _stored(ctx, row.id)
    assert stored.concluded_on == date(2026, 11, 20)
    assert stored.note == f"{NOTE}\nGuilty plea entered"
    new = _events(ctx, w.case_id)[seq:]
    assert [e.kind for e in new] == ["proceeding_concluded"]
    assert new[0].data == {"proceeding_id": str(row.id), "kind": "criminal_trial"}
    assert new[0].effective_on == date(2026, 11, 20)


def test_conclude__without_an_outcome_keeps_the_note(lite: AppContext, lite_ref: Reference) -> None:
    w = open_case(lite, lite_ref, NOTIFIED)
    quiet = _record(lite, lite_ref, w)
    bare = _record(lite, lite_ref, w, kind="inquest", note="")
    _conclude(lite, lite_ref, w, quiet.id, STARTED)  # on the day it started
    _conclude(lite, lite_ref, w, bare.id, date(2026, 11, 20), outcome="Unlawful killing")
    assert _stored(lite, quiet.id).note == NOTE
    assert _stored(lite, bare.id).note == "Unlawful killing"


def test_conclude__a_concluded_proceeding_cannot_be_concluded_again(ctx: AppContext, ref: Reference) -> None:
    w = open_case(ctx, ref, NOTIFIED)
    row = _record(ctx, ref, w)
    _conclude(ctx, ref, w, row.id, date(2026, 11, 20), outcome="Verdict given")
    before = _counts(ctx)
    with pytest.raises(ValidationFailed) as err:
        _conclude(ctx, ref, w, row.id, date(2026, 11, 24), outcome="Sentenced")
    assert "already concluded" in err.value.msg
    _assert_refused(ctx, err, "proceeding_id", before)
    stored = _stored(ctx, row.id)
    assert (stored.concluded_on, stored.note) == (date(2026, 11, 20), f"{NOTE}\nVerdict given")


def test_conclude__bad_dates_are_refused_naming_the_field(ctx: AppContext, ref: Reference) -> None:
    w = open_case(ctx, ref, NOTIFIED)
    row = _record(ctx, ref, w)
    before = _counts(ctx)
    for on, field in ((STARTED - timedelta(days=1), "concluded_on"), (date(2026, 11, 26), "effective_on")):
        with pytest.raises(ValidationFailed) as err:
            _conclude(ctx, ref, w, row.id, on)
        _assert_refused(ctx, err, field, before)
    assert _stored(ctx, row.id).concluded_on is None


def test_conclude__a_proceeding_of_another_case_or_none_is_not_found(ctx: AppContext, ref: Reference) -> None:
    w, other = open_case(ctx, ref, NOTIFIED), open_case(ctx, ref, NOTIFIED)
    elsewhere = _record(ctx, ref, other)
    before = _counts(ctx)
    for proceeding_id in (elsewhere.id, uuid.uuid4()):
        with pytest.raises(NotFound) as err:
            _conclude(ctx, ref, w, proceeding_id, date(2026, 11, 20))
        _assert_refused(ctx, err, "proceeding_id", before)
    assert _stored(ctx, elsewhere.id).concluded_on is None


# --- pausing the review --------------------------------------------------------------------------


def test_pause_and_resume__follow_the_open_proceedings_that_pause_the_review(
    ctx: AppContext, ref: Reference
) -> None:
    w = open_case(ctx, ref, NOTIFIED)
    w.fire("start_scoping", NOTIFIED, "officer")
    side = _record(ctx, ref, w, kind="other", pauses_review=False)
    with pytest.raises(TransitionBlocked) as blocked:
        w.fire("pause_for_proceedings", STARTED, "officer")
    assert blocked.value.failed_guards == ["open_proceeding_recorded"]

    trial = _record(ctx, ref, w)
    assert w.fire("pause_for_proceedings", STARTED, "officer").stage == "paused"
    with pytest.raises(TransitionBlocked) as blocked:
        w.fire("resume_review", date(2026, 11, 18), "officer")
    assert blocked.value.failed_guards == ["no_open_proceedings"]

    _conclude(ctx, ref, w, trial.id, date(2026, 11, 18))
    assert _stored(ctx, side.id).concluded_on is None  # does not pause the review: does not hold it
    assert w.fire("resume_review", date(2026, 11, 18), "officer").stage == "scoping"


# --- who reads the notes ---------------------------------------------------------------------------

NOTE_READERS = ("admin", "officer", "cspchair", "chair", "author")
NOT_NOTE_READERS = ("panel", "police.author", "police.manager", "health.author", "council.manager")


@pytest.mark.parametrize("username", NOTE_READERS + NOT_NOTE_READERS)
def test_notes__shown_to_case_staff_and_left_out_for_panel_and_agencies(world: World, username: str) -> None:
    case = world.cases["A"]
    with world.client() as client:
        response = client.get(f"/api/v1/cases/{case.ref}/proceedings", headers=world.headers(username))
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    assert item["id"] == str(world.proceedings["Alma"])
    if username in NOTE_READERS:
        assert item["note"] == PROCEEDING_NOTE
    else:
        assert "note" not in item and PROCEEDING_NOTE not in response.text

"""Case membership (add, remove, change a member's role), straight through members/service.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlmodel import SQLModel, col, func, select

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.roles import Role, role_label, roles_that
from dhr_engine.errors import Conflict, DhrError, NotFound, PermissionDenied, ValidationFailed
from dhr_engine.members import service as svc
from dhr_engine.persistence.tables import AuditEvent, Case, CaseAgency, CaseMember, User
from tests.scenarios.walk import open_case

NOTIFIED = date(2026, 11, 2)


def _count(ctx: AppContext, model: type[SQLModel]) -> int:
    with ctx.reader() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


def _counts(ctx: AppContext) -> tuple[int, int, int]:
    return _count(ctx, CaseMember), _count(ctx, CaseAgency), _count(ctx, AuditEvent)


def _case(ctx: AppContext, case_id: uuid.UUID) -> Case:
    with ctx.reader() as uow:
        return uow.session.get_one(Case, case_id)


def _last_event(ctx: AppContext, case_id: uuid.UUID) -> AuditEvent:
    with ctx.reader() as uow:
        return uow.session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.seq).desc())
        ).first() or pytest.fail("no audit event")


def _new_case(ctx: AppContext, ref: Reference) -> uuid.UUID:
    return open_case(ctx, ref, NOTIFIED).case_id


def _add(
    ctx: AppContext, ref: Reference, case_id: uuid.UUID, username: str, role: Role, by: str = "officer"
) -> CaseMember:
    return svc.add_member(
        ctx.uow(),
        actor=ref.actor(by),
        clock=ctx.clock,
        case_id=case_id,
        user_id=ref.users[username].id,
        role=role.value,
    )


def _assert_refused(
    ctx: AppContext, err: pytest.ExceptionInfo[DhrError], field: str, before: tuple[int, int, int]
) -> None:
    assert err.value.items[0].field == field
    assert _counts(ctx) == before, "a refused change wrote something"


# --- add -----------------------------------------------------------------------------------------


def test_add_member__writes_the_membership_and_audits_ids_and_role_only(
    ctx: AppContext, ref: Reference
) -> None:
    case_id = _new_case(ctx, ref)
    before = _case(ctx, case_id)
    member = _add(ctx, ref, case_id, "chair", Role.INDEPENDENT_CHAIR)

    with ctx.reader() as uow:
        stored = uow.session.get_one(CaseMember, member.id)
        assert (stored.case_id, stored.user_id, stored.role, stored.agency_id) == (
            case_id,
            ref.users["chair"].id,
            "independent_chair",
            None,
        )
    event = _last_event(ctx, case_id)
    assert event.kind == "member_added"
    assert event.data == {"user_id": str(ref.users["chair"].id), "role": "independent_chair"}
    assert (event.actor_user_id, event.effective_on) == (ref.users["officer"].id, ctx.clock.today())
    assert event.seq == before.audit_count + 1
    after = _case(ctx, case_id)
    assert (after.audit_count, after.audit_head) == (event.seq, event.hash)


def test_add_member__effective_date_is_the_one_given(lite: AppContext, lite_ref: Reference) -> None:
    case_id = _new_case(lite, lite_ref)
    svc.add_member(
        lite.uow(),
        actor=lite_ref.actor("officer"),
        clock=lite.clock,
        case_id=case_id,
        user_id=lite_ref.users["chair"].id,
        role="independent_chair",
        effective_on=NOTIFIED + timedelta(days=3),
    )
    assert _last_event(lite, case_id).effective_on == NOTIFIED + timedelta(days=3)


def test_add_agency_role__binds_the_users_agency_and_involves_it_once(
    ctx: AppContext, ref: Reference
) -> None:
    case_id = _new_case(ctx, ref)
    police = ref.agencies["northmoor_police"].id
    author = _add(ctx, ref, case_id, "police.author", Role.AGENCY_AUTHOR)
    manager = _add(ctx, ref, case_id, "police.manager", Role.AGENCY_MANAGER)
    assert author.agency_id == police and manager.agency_id == police
    with ctx.reader() as uow:
        involved = uow.session.exec(select(CaseAgency.agency_id).where(CaseAgency.case_id == case_id)).all()
    assert involved == [police]


def test_add_non_agency_role__does_not_bind_the_users_agency(ctx: AppContext, ref: Reference) -> None:
    case_id = _new_case(ctx, ref)
    member = _add(ctx, ref, case_id, "panel", Role.PANEL_MEMBER)  # "panel" works for Women's Aid
    assert member.agency_id is None
    with ctx.reader() as uow:
        assert uow.session.exec(select(CaseAgency).where(CaseAgency.case_id == case_id)).all() == []


@pytest.mark.parametrize("username", ["admin", "officer", "chair"])
def test_add_member__allowed_for_the_roles_that_manage_members(
    lite: AppContext, lite_ref: Reference, username: str
) -> None:
    case_id = _new_case(lite, lite_ref)
    _add(lite, lite_ref, case_id, "chair", Role.INDEPENDENT_CHAIR)
    member = _add(lite, lite_ref, case_id, "panel", Role.PANEL_MEMBER, by=username)
    assert _last_event(lite, case_id).data["user_id"] == str(member.user_id)


@pytest.mark.parametrize(
    ("username", "role_on_case"),
    [
        ("cspchair", None),
        ("chair", None),  # the chair of another review: not on this case
        ("author", Role.OVERVIEW_AUTHOR),
        ("panel", Role.PANEL_MEMBER),
        ("police.author", Role.AGENCY_AUTHOR),
        ("police.manager", Role.AGENCY_MANAGER),
    ],
)
def test_add_remove_change__refused_for_everyone_else_and_nothing_written(
    lite: AppContext, lite_ref: Reference, username: str, role_on_case: Role | None
) -> None:
    case_id = _new_case(lite, lite_ref)
    if role_on_case is not None:
        _add(lite, lite_ref, case_id, username, role_on_case)
    target = _add(lite, lite_ref, case_id, "council.author", Role.AGENCY_AUTHOR)
    before = _counts(lite)
    actor, clock = lite_ref.actor(username), lite.clock
    user_id = lite_ref.users["health.author"].id
    attempts: list[Callable[[], object]] = [
        lambda: svc.add_member(
            lite.uow(), actor=actor, clock=clock, case_id=case_id, user_id=user_id, role="agency_author"
        ),
        lambda: svc.remove_member(lite.uow(), actor=actor, clock=clock, case_id=case_id, member_id=target.id),
        lambda: svc.change_role(
            lite.uow(), actor=actor, clock=clock, case_id=case_id, member_id=target.id, role="agency_manager"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied) as err:
            attempt()
        assert "CSP officer" in err.value.msg and "independent chair" in err.value.msg
        _assert_refused(lite, err, "role", before)
    with lite.reader() as uow:
        assert uow.session.get_one(CaseMember, target.id).role == "agency_author"


def test_refusal__names_every_role_the_role_table_lets_manage_members(
    lite: AppContext, lite_ref: Reference
) -> None:
    case_id = _new_case(lite, lite_ref)
    with pytest.raises(PermissionDenied) as err:
        _add(lite, lite_ref, case_id, "chair", Role.INDEPENDENT_CHAIR, by="cspchair")
    for role in roles_that("members:manage"):
        assert role_label(role) in err.value.msg


@pytest.mark.parametrize(
    ("role", "error", "words"),
    [
        ("chairperson", ValidationFailed, "unknown role"),
        ("csp_officer", ValidationFailed, "not a per-case role"),
        ("admin", ValidationFailed, "not a per-case role"),
    ],
)
def test_add_member__a_role_that_is_not_a_case_role_is_refused(
    ctx: AppContext, ref: Reference, role: str, error: type[DhrError], words: str
) -> None:
    case_id = _new_case(ctx, ref)
    before = _counts(ctx)
    with pytest.raises(error) as err:
        svc.add_member(
            ctx.uow(),
            actor=ref.actor("officer"),
            clock=ctx.clock,
            case_id=case_id,
            user_id=ref.users["chair"].id,
            role=role,
        )
    assert words in err.value.msg
    _assert_refused(ctx, err, "role", before)


def test_add_member__an_unknown_or_inactive_user_is_not_found(ctx: AppContext, ref: Reference) -> None:
    case_id = _new_case(ctx, ref)
    with ctx.uow() as uow:
        user = uow.session.get_one(User, ref.users["author"].id)
        user.is_active = False
        uow.session.add(user)
        uow.commit()
    before = _counts(ctx)
    for user_id in (uuid.uuid4(), ref.users["author"].id):
        with pytest.raises(NotFound) as err:
            svc.add_member(
                ctx.uow(),
                actor=ref.actor("officer"),
                clock=ctx.clock,
                case_id=case_id,
                user_id=user_id,
                role="overview_author",
            )
        _assert_refused(ctx, err, "user_id", before)


def test_add_member__an_agency_role_needs_a_user_of_an_agency(ctx: AppContext, ref: Reference) -> None:
    case_id = _new_case(ctx, ref)
    before = _counts(ctx)
    with pytest.raises(ValidationFailed) as err:
        _add(ctx, ref, case_id, "chair", Role.AGENCY_AUTHOR)
    _assert_refused(ctx, err, "user_id", before)


def test_add_member__the_same_role_twice_is_a_conflict(ctx: AppContext, ref: Reference) -> None:
    case_id = _new_case(ctx, ref)
    _add(ctx, ref, case_id, "police.author", Role.AGENCY_AUTHOR)
    before = _counts(ctx)
    with pytest.raises(Conflict) as err:
        _add(ctx, ref, case_id, "police.author", Role.AGENCY_AUTHOR)
    _assert_refused(ctx, err, "role", before)
    _add(ctx, ref, case_id, "police.author", Role.PANEL_MEMBER)  # another role is fine


def test_add_member__an_effective_date_in_the_future_is_refused(
    lite: AppContext, lite_ref: Reference
) -> None:
    case_id = _new_case(lite, lite_ref)
    before = _counts(lite)
    with pytest.raises(ValidationFailed) as err:
        svc.add_member(
            lite.uow(),
            actor=lite_ref.actor("officer"),
            clock=lite.clock,
            case_id=case_id,
            user_id=lite_ref.users["chair"].id,
            role="independent_chair",
            effective_on=lite.clock.today() + timedelta(days=1),
        )
    _assert_refused(lite, err, "effective_on", before)


# --- remove --------------------------------------------------------------------------------------


def test_remove_member__deletes_the_membership_and_audits_who_and_which_role(
    ctx: AppContext, ref: Reference
) -> None:
    case_id = _new_case(ctx, ref)
    member = _add(ctx, ref, case_id, "police.author", Role.AGENCY_AUTHOR)
    members_before = _count(ctx, CaseMember)
    svc.remove_member(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case_id, member_id=member.id
    )
    with ctx.reader() as uow:
        assert uow.session.get(CaseMember, member.id) is None
    assert _count(ctx, CaseMember) == members_before - 1
    event = _last_event(ctx, case_id)
    assert event.kind == "member_removed"
    assert event.data == {"user_id": str(ref.users["police.author"].id), "role": "agency_author"}
    assert event.effective_on == ctx.clock.today()


def test_remove_member__a_member_of_another_case_or_no_member_is_not_found(
    ctx: AppContext, ref: Reference
) -> None:
    case_id, other_id = _new_case(ctx, ref), _new_case(ctx, ref)
    elsewhere = _add(ctx, ref, other_id, "panel", Role.PANEL_MEMBER)
    before = _counts(ctx)
    for member_id in (elsewhere.id, uuid.uuid4()):
        with pytest.raises(NotFound) as err:
            svc.remove_member(
                ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case_id, member_id=member_id
            )
        _assert_refused(ctx, err, "member_id", before)


# --- change role ---------------------------------------------------------------------------------


def test_change_role__audits_from_and_to(ctx: AppContext, ref: Reference) -> None:
    case_id = _new_case(ctx, ref)
    member = _add(ctx, ref, case_id, "police.author", Role.AGENCY_AUTHOR)
    changed = svc.change_role(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        case_id=case_id,
        member_id=member.id,
        role="agency_manager",
    )
    assert changed.id == member.id
    with ctx.reader() as uow:
        assert uow.session.get_one(CaseMember, member.id).role == "agency_manager"
    event = _last_event(ctx, case_id)
    assert event.kind == "member_role_changed"
    assert event.data == {
        "user_id": str(ref.users["police.author"].id),
        "from": "agency_author",
        "to": "agency_manager",
    }


def test_change_role__to_an_agency_role_binds_the_users_agency(ctx: AppContext, ref: Reference) -> None:
    case_id = _new_case(ctx, ref)
    member = _add(ctx, ref, case_id, "panel", Role.PANEL_MEMBER)
    svc.change_role(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        case_id=case_id,
        member_id=member.id,
        role="agency_author",
    )
    with ctx.reader() as uow:
        assert uow.session.get_one(CaseMember, member.id).agency_id == ref.agencies["womens_aid"].id


def test_change_role__refused_inputs_name_their_field_and_change_nothing(
    ctx: AppContext, ref: Reference
) -> None:
    case_id, other_id = _new_case(ctx, ref), _new_case(ctx, ref)
    chair = _add(ctx, ref, case_id, "chair", Role.INDEPENDENT_CHAIR)
    elsewhere = _add(ctx, ref, other_id, "panel", Role.PANEL_MEMBER)
    before = _counts(ctx)
    cases: list[tuple[uuid.UUID, str, type[DhrError], str]] = [
        (chair.id, "agency_author", ValidationFailed, "role"),  # the chair belongs to no agency
        (chair.id, "chairperson", ValidationFailed, "role"),
        (chair.id, "csp_chair", ValidationFailed, "role"),
        (elsewhere.id, "overview_author", NotFound, "member_id"),
        (uuid.uuid4(), "overview_author", NotFound, "member_id"),
    ]
    for member_id, role, error, field in cases:
        with pytest.raises(error) as err:
            svc.change_role(
                ctx.uow(),
                actor=ref.actor("officer"),
                clock=ctx.clock,
                case_id=case_id,
                member_id=member_id,
                role=role,
            )
        _assert_refused(ctx, err, field, before)
    with ctx.reader() as uow:
        stored = uow.session.get_one(CaseMember, chair.id)
        assert (stored.role, stored.agency_id) == ("independent_chair", None)


def test_change_role__to_a_role_the_user_already_holds_is_a_conflict(
    lite: AppContext, lite_ref: Reference
) -> None:
    case_id = _new_case(lite, lite_ref)
    _add(lite, lite_ref, case_id, "police.author", Role.AGENCY_AUTHOR)
    panel = _add(lite, lite_ref, case_id, "police.author", Role.PANEL_MEMBER)
    before = _counts(lite)
    with pytest.raises(Conflict) as err:
        svc.change_role(
            lite.uow(),
            actor=lite_ref.actor("officer"),
            clock=lite.clock,
            case_id=case_id,
            member_id=panel.id,
            role="agency_author",
        )
    _assert_refused(lite, err, "role", before)

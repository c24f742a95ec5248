"""Helpers for the agency-returns tests: a review in information gathering, agency users on it."""

from __future__ import annotations

from dataclasses import dataclass

from dhr_engine.auth.actors import actor_for_user
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import AGENCIES, DemoBuilder, Reference
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role
from dhr_engine.members import service as member_service
from dhr_engine.persistence.tables import Case, User
from dhr_engine.returns import service
from dhr_engine.returns.chronology import add_entries
from dhr_engine.returns.chronology_input import EntryInput

AGENCY_KEYS = [key for key, _name, _kind in AGENCIES]


@dataclass(frozen=True)
class AgencyUsers:
    author: Actor
    manager: Actor


def gathering_case(ctx: AppContext, ref: Reference, pseudonym: str = "Dawn", start: int = 120) -> Case:
    """A review walked to information gathering (notified `start` days ago), family contacted."""
    b = DemoBuilder(ctx, ref, ctx.clock.today())
    case = b.open(pseudonym, start)
    b.to_information_gathering(case, start)
    b.family(case, "first_letter_sent", start - 60)
    return case


def agency_users(ctx: AppContext, ref: Reference, case: Case, keys: list[str]) -> dict[str, AgencyUsers]:
    """An IMR author and a senior manager for each agency, members of the case for that agency."""
    made: dict[str, AgencyUsers] = {}
    with ctx.uow() as uow:
        users = {}
        for key in keys:
            for role in ("author", "manager"):
                user = User(
                    username=f"t.{key}.{role}",
                    display_name=f"Test {role} of {key}",
                    agency_id=ref.agencies[key].id,
                    csp_id=ref.csp.id,
                )
                uow.session.add(user)
                users[(key, role)] = user
        uow.session.flush()
        for user in users.values():
            uow.session.refresh(user)
            uow.session.expunge(user)
        uow.commit()
    for key in keys:
        for role, case_role in (("author", Role.AGENCY_AUTHOR), ("manager", Role.AGENCY_MANAGER)):
            member_service.add_member(
                ctx.uow(),
                actor=ref.actor("officer"),
                clock=ctx.clock,
                case_id=case.id,
                user_id=users[(key, role)].id,
                role=case_role.value,
            )
        made[key] = AgencyUsers(
            author=actor_for_user(users[(key, "author")]),
            manager=actor_for_user(users[(key, "manager")]),
        )
    return made


def request(ctx: AppContext, ref: Reference, case: Case, kind: str, keys: list[str], who: str = "officer"):
    return service.request_returns(
        ctx.uow(),
        actor=ref.actor(who),
        clock=ctx.clock,
        case_id=case.id,
        agency_ids=[ref.agencies[k].id for k in keys],
        kind=kind,
    )


def entries(n: int = 3) -> list[EntryInput]:
    return [
        EntryInput(
            when=f"{day:02d}/03/2025",
            time="10:15" if day % 2 else None,
            event=f"Contact {day}",
            source_record=f"Record {day}",
            action_taken="Advice given",
            practitioner_role="Officer",
        )
        for day in range(1, n + 1)
    ]


def submit(
    ctx: AppContext, actor: Actor, request_id, *, kind: str, change_note: str = "", text: str = "Report"
):
    if kind in {"chronology", "imr", "short_report"} and change_note == "":
        add_entries(
            ctx.uow(), actor=actor, clock=ctx.clock, request_id=request_id, entries=entries(), replace=True
        )
    submission = service.Submission(
        text=text,
        change_note=change_note,
        contact="yes" if kind == "scoping_reply" else None,
        records_secured_on=ctx.clock.today() if kind == "scoping_reply" else None,
    )
    return service.submit_return(
        ctx.uow(), actor=actor, clock=ctx.clock, request_id=request_id, submission=submission
    )


def step(ctx: AppContext, actor: Actor, request_id, trigger: str, reason: str = ""):
    return service.fire_return(
        ctx.uow(), actor=actor, clock=ctx.clock, request_id=request_id, trigger=trigger, reason=reason
    )

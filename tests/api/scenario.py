"""A small world for the API tests: case A (everybody staffed on it) and case B (nobody), both
awaiting the CSP chair's decision, each with a parallel proceeding, a family log entry, real
identities of the people, and returns requested from two agencies."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import select

from dhr_engine.auth.tokens import issue_token
from dhr_engine.bootstrap.app import create_app
from dhr_engine.cases import service as case_service
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.roles import Role
from dhr_engine.family import service as family_service
from dhr_engine.members import service as member_service
from dhr_engine.persistence.db import make_engine, make_session_factory
from dhr_engine.persistence.tables import (
    Case,
    CaseMember,
    Deadline,
    ParallelProceeding,
    Person,
    ReturnRequest,
    User,
)
from dhr_engine.proceedings import service as proceeding_service

# Values that must never reach an agency user or a panel member.
FAMILY_NAME = "Fiona Family-Secret"
FAMILY_CONTACT = "07700 900123"
FAMILY_ADDRESS = "1 Secret Lane, Northmoor"
VICTIM_ADDRESS = "9 Hidden Row, Northmoor"
PROCEEDING_NOTE = "CPS-confidential note"
FAMILY_NOTE = "Telephoned the sister at home"
SUMMARY = "Summary with detail for case staff only"
SECRETS = (FAMILY_NAME, FAMILY_CONTACT, FAMILY_ADDRESS, VICTIM_ADDRESS, PROCEEDING_NOTE, FAMILY_NOTE, SUMMARY)

GLOBAL_USERS = ("admin", "officer", "cspchair")
STAFF = {
    "chair": Role.INDEPENDENT_CHAIR,
    "author": Role.OVERVIEW_AUTHOR,
    "panel": Role.PANEL_MEMBER,
    "police.author": Role.AGENCY_AUTHOR,
    "police.manager": Role.AGENCY_MANAGER,
    "health.author": Role.AGENCY_AUTHOR,
    "health.manager": Role.AGENCY_MANAGER,
    "council.author": Role.AGENCY_AUTHOR,
    "council.manager": Role.AGENCY_MANAGER,
}
USERS = GLOBAL_USERS + tuple(STAFF)
AGENCY_USERS = tuple(u for u, r in STAFF.items() if r in (Role.AGENCY_AUTHOR, Role.AGENCY_MANAGER))


@dataclass
class World:
    ctx: AppContext
    ref: Reference
    cases: dict[str, Case] = field(default_factory=dict)  # "A" (staffed), "B" (nobody)
    proceedings: dict[str, uuid.UUID] = field(default_factory=dict)
    returns: dict[str, uuid.UUID] = field(default_factory=dict)  # agency key -> return on case A
    return_deadlines: dict[str, uuid.UUID] = field(default_factory=dict)
    members: dict[str, uuid.UUID] = field(default_factory=dict)  # username -> membership on A
    outsider_member: uuid.UUID | None = None  # the only membership on B (a user outside USERS)

    def headers(self, username: str) -> dict[str, str]:
        user = self.ref.users[username]
        token, _ = issue_token(
            user_id=user.id,
            password_hash=user.password_hash,
            secret=self.ctx.settings.secret_key,
            now=self.ctx.clock.now(),
            minutes=self.ctx.settings.token_minutes,
        )
        return {"Authorization": f"Bearer {token}"}

    def client(self) -> TestClient:
        return TestClient(create_app(self.ctx.settings, self.ctx))


def _open(world: World, victim: str) -> Case:
    ctx, ref = world.ctx, world.ref
    officer = ref.actor("officer")
    case = case_service.open_case(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        csp_id=ref.csp.id,
        notified_on=date(2026, 11, 5),
        date_of_death=date(2026, 11, 1),
        summary=SUMMARY,
        people=[
            case_service.PersonInput(
                role="victim",
                pseudonym=victim,
                real_name=f"{victim} Realname",
                date_of_birth=date(1980, 1, 2),
            ),
            case_service.PersonInput(
                role="perpetrator", pseudonym="the perpetrator", real_name="Percy Perp-Realname"
            ),
            case_service.PersonInput(
                role="family",
                pseudonym="Sister",
                real_name=FAMILY_NAME,
                date_of_birth=date(1978, 3, 4),
                relationship="sister",
            ),
        ],
    )
    with ctx.uow() as uow:
        for person in uow.session.exec(select(Person).where(Person.case_id == case.id)).all():
            if person.role == "family":
                person.contact_details, person.address = FAMILY_CONTACT, FAMILY_ADDRESS
            if person.role == "victim":
                person.address = VICTIM_ADDRESS
            uow.session.add(person)
        uow.commit()
    for trigger, on in (
        ("start_scoping", date(2026, 11, 6)),
        ("submit_decision_briefing", date(2026, 11, 18)),
    ):
        case_service.fire_trigger(
            ctx.uow(),
            actor=officer,
            clock=ctx.clock,
            case_id=case.id,
            trigger=trigger,
            effective_on=on,
            reason=f"Reason for {trigger}",
        )
    row = proceeding_service.record_proceeding(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        case_id=case.id,
        kind="criminal_trial",
        started_on=date(2026, 11, 10),
        body="Northmoor Crown Court",
        note=PROCEEDING_NOTE,
    )
    world.proceedings[victim] = row.id
    family_service.record_family_contact(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        case_id=case.id,
        kind="contact",
        occurred_on=date(2026, 11, 12),
        note=FAMILY_NOTE,
    )
    return case


def build_world(ctx: AppContext, ref: Reference) -> World:
    world = World(ctx, ref)
    case_a = _open(world, "Alma")
    case_b = _open(world, "Bess")
    officer = ref.actor("officer")
    for username, role in STAFF.items():
        member = member_service.add_member(
            ctx.uow(),
            actor=officer,
            clock=ctx.clock,
            case_id=case_a.id,
            user_id=ref.users[username].id,
            role=role.value,
        )
        world.members[username] = member.id
    with ctx.uow() as uow:
        outsider = User(
            username="outsider", display_name="Olga Outsider", password_hash="x", csp_id=ref.csp.id
        )
        uow.session.add(outsider)
        uow.commit()
    world.outsider_member = member_service.add_member(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        case_id=case_b.id,
        user_id=outsider.id,
        role=Role.PANEL_MEMBER.value,
    ).id
    with ctx.uow() as uow:
        for key in ("northmoor_police", "acute_trust"):
            request = ReturnRequest(
                case_id=case_a.id, agency_id=ref.agencies[key].id, kind="imr", requested_on=date(2026, 11, 20)
            )
            uow.session.add(request)
            uow.session.flush()
            deadline = Deadline(
                case_id=case_a.id,
                key="imr_due",
                label="IMR due",
                subject_type="return_request",
                subject_id=request.id,
                owner_role="agency_author",
                rule="set by the test",
                workflow_version="2016.1",
                anchor_on=date(2026, 11, 20),
                anchor_event="requested",
                statutory_due=date(2027, 1, 20),
                adjusted_due=date(2027, 1, 20),
            )
            uow.session.add(deadline)
            uow.session.flush()
            world.returns[key] = request.id
            world.return_deadlines[key] = deadline.id
        uow.commit()
    with ctx.reader() as uow:
        world.cases = {
            "A": uow.session.get_one(Case, case_a.id),
            "B": uow.session.get_one(Case, case_b.id),
        }
        on_b = uow.session.exec(select(CaseMember.user_id).where(CaseMember.case_id == case_b.id)).all()
        assert on_b == [outsider.id]
        assert uow.session.exec(select(ParallelProceeding)).all()
    return world


def database_copies(world: World, folder: Path) -> Iterator[Callable[[], TestClient]]:
    """A factory of API clients, each on its own fresh copy of the world's SQLite database as it is
    now (so one caller's write cannot change what the next one sees); engines closed at the end."""
    source = Path(world.ctx.settings.database_url.removeprefix("sqlite:///"))
    folder.mkdir(parents=True, exist_ok=True)
    with world.ctx.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engines = []
    counter = iter(range(10_000))

    def make() -> TestClient:
        target = folder / f"copy{next(counter)}.db"
        shutil.copy(source, target)
        engine = make_engine(f"sqlite:///{target}")
        engines.append(engine)
        ctx = AppContext(
            settings=world.ctx.settings,
            engine=engine,
            session_factory=make_session_factory(engine),
            workflows=world.ctx.workflows,
            clock=world.ctx.clock,
        )
        return TestClient(create_app(ctx.settings, ctx))

    yield make
    for engine in engines:
        engine.dispose()

"""Demo data: a fictional CSP, ten agencies, a user for every role, cases across the stages.

Every name here is invented. The demo password is printed by `dhr demo`; it is for demo data only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlmodel import Session, col, select

from dhr_engine.auth import actors
from dhr_engine.auth.passwords import hash_password
from dhr_engine.cases import service as case_service
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role
from dhr_engine.family import service as family_service
from dhr_engine.members import service as member_service
from dhr_engine.persistence.tables import Agency, Case, Csp, User
from dhr_engine.persistence.tables_contacts import AgencyContact

DEMO_PASSWORD = "Demo-Password-2026"
CSP_SLUG = "northmoor"

AGENCIES = [
    ("northmoor_police", "Northmoor Police", "police"),
    ("acute_trust", "Northmoor Hospitals NHS Foundation Trust", "health"),
    ("mental_health", "Northmoor Mental Health NHS Trust", "health"),
    ("icb", "Northmoor Integrated Care Board", "health"),
    ("adult_social_care", "Northmoor Council Adult Social Care", "council"),
    ("childrens_services", "Northmoor Council Children's Services", "council"),
    ("housing", "Northmoor Council Housing", "council"),
    ("probation", "Probation Service (Northmoor)", "probation"),
    ("womens_aid", "Northmoor Women's Aid", "charity"),
    ("recovery", "Northmoor Recovery Service", "charity"),
]

# username, display name, global roles, agency key (None for CSP staff and chairs)
USERS: list[tuple[str, str, list[str], str | None]] = [
    ("admin", "Alex Admin", [Role.ADMIN], None),
    ("officer", "Olivia Officer (DHR coordinator)", [Role.CSP_OFFICER], None),
    ("cspchair", "Charles Chambers (CSP chair)", [Role.CSP_CHAIR], None),
    ("chair", "Indira Independent (independent chair)", [], None),
    ("author", "Oscar Overview (overview author)", [], None),
    ("panel", "Pat Panel (panel member)", [], "womens_aid"),
    ("police.author", "Paula Police (IMR author)", [], "northmoor_police"),
    ("police.manager", "Peter Police (senior manager)", [], "northmoor_police"),
    ("health.author", "Hana Health (IMR author)", [], "acute_trust"),
    ("health.manager", "Harry Health (senior manager)", [], "acute_trust"),
    ("council.author", "Cara Council (IMR author)", [], "adult_social_care"),
    ("council.manager", "Colin Council (senior manager)", [], "adult_social_care"),
]


@lru_cache(maxsize=4)
def demo_password_hash(password: str = DEMO_PASSWORD) -> str:
    """Hash once per process: every demo user shares the demo password."""
    return hash_password(password)


@dataclass
class Reference:
    csp: Csp
    agencies: dict[str, Agency] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        return actors.actor_for_user(self.users[username])


def seed_reference_data(session: Session, password_hash: str | None = None) -> Reference:
    """Create (or find) the demo CSP, its agencies and one user for every role."""
    csp = session.exec(select(Csp).where(Csp.slug == CSP_SLUG)).first()
    if csp is None:
        csp = Csp(
            slug=CSP_SLUG,
            name="Northmoor Community Safety Partnership",
            address="Northmoor Civic Centre, 1 Market Street, Northmoor NM1 1AA",
            region="North West",
            police_force_area="Northmoor",
            contact_email="dhr@northmoor.example",
        )
        session.add(csp)
    ref = Reference(csp)
    for key, name, kind in AGENCIES:
        agency = session.exec(select(Agency).where(Agency.name == name)).first()
        if agency is None:
            agency = Agency(
                csp_id=csp.id,
                name=name,
                kind=kind,
                email=f"{key}@agency.example",
                senior_manager_email=f"{key}.manager@agency.example",
            )
            session.add(agency)
        ref.agencies[key] = agency
    hashed = password_hash or demo_password_hash()
    for username, display, roles, agency_key in USERS:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            user = User(
                username=username,
                display_name=display,
                email=f"{username}@northmoor.example",
                password_hash=hashed,
                global_roles=[str(r) for r in roles],
                agency_id=ref.agencies[agency_key].id if agency_key else None,
                csp_id=csp.id,
            )
            session.add(user)
        ref.users[username] = user
    session.flush()
    return ref


# The named DHR contacts of each demo agency that has users: username, kind of contact.
CONTACTS: list[tuple[str, str]] = [
    ("police.author", "spoc"),
    ("police.author", "imr_author"),
    ("police.manager", "senior_manager"),
    ("health.author", "spoc"),
    ("health.author", "imr_author"),
    ("health.manager", "senior_manager"),
    ("council.author", "spoc"),
    ("council.author", "imr_author"),
    ("council.manager", "senior_manager"),
]


def seed_contacts(session: Session, ref: Reference, now: datetime) -> None:
    """Name the demo agencies' users as their DHR contacts (nothing named twice)."""
    for username, kind in CONTACTS:
        user = ref.users[username]
        assert user.agency_id is not None
        named = session.exec(
            select(AgencyContact.id).where(
                AgencyContact.user_id == user.id,
                AgencyContact.kind == kind,
                col(AgencyContact.removed_at).is_(None),
            )
        ).first()
        if named is None:
            session.add(
                AgencyContact(
                    agency_id=user.agency_id, user_id=user.id, kind=kind, added_at=now, added_by_label="demo"
                )
            )
    session.flush()


def load_reference(session: Session) -> Reference:
    """Find the demo reference data already in the database."""
    csp = session.exec(select(Csp).where(Csp.slug == CSP_SLUG)).one()
    ref = Reference(csp)
    for key, name, _kind in AGENCIES:
        ref.agencies[key] = session.exec(select(Agency).where(Agency.name == name)).one()
    for username, *_ in USERS:
        ref.users[username] = session.exec(select(User).where(User.username == username)).one()
    return ref


DEMO_AREAS = ("Northmoor town centre", "East Northmoor", "Moorside", "Northmoor Vale")


def demo_facts(pseudonym: str) -> case_service.NotificationFacts:
    """Plausible, fictional notification facts (the phone number is in Ofcom's range for drama)."""
    return case_service.NotificationFacts(
        notifier_organisation="Northmoor Police",
        notifier_name="DS Alex Morgan",
        place_of_death=DEMO_AREAS[sum(map(ord, pseudonym)) % len(DEMO_AREAS)],
        death_type="homicide",
        sio_name="DI Priya Shah",
        sio_force="Northmoor Police",
        sio_contact="01632 960 123",
        criminal_status="charged",
        children_involved=True,
        children_count=2,
    )


class DemoBuilder:
    """Moves demo cases through the lifecycle with plausible past dates."""

    def __init__(self, ctx: AppContext, ref: Reference, today: date) -> None:
        self.ctx, self.ref, self.today = ctx, ref, today

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def open(self, pseudonym: str, notified_days_ago: int, **kw: object) -> Case:
        notified = self.day(notified_days_ago)
        kw.setdefault("facts", demo_facts(pseudonym))
        return case_service.open_case(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            csp_id=self.ref.csp.id,
            notified_on=notified,
            date_of_death=notified - timedelta(days=5),
            date_of_death_precision="month",
            people=[
                case_service.PersonInput(
                    role="victim",
                    pseudonym=pseudonym,
                    real_name=f"{pseudonym} Demo-Victim",
                    date_of_birth=date(1984, 3, 9),
                    sex="female",
                    relationship="partner of the perpetrator",
                ),
                case_service.PersonInput(
                    role="perpetrator",
                    pseudonym="the perpetrator",
                    real_name="Sam Demo-Perpetrator",
                    date_of_birth=date(1981, 7, 21),
                    sex="male",
                    relationship="partner",
                ),
                # Invented for the demo: the family letters need a name and an address to go to.
                case_service.PersonInput(
                    role="family",
                    pseudonym=f"{pseudonym}'s sister",
                    real_name=f"Ms Jo {pseudonym}son",
                    relationship="sister",
                    address="2 Example Row, Northmoor NM2 2BB",
                ),
            ],
            **kw,  # type: ignore[arg-type]
        )

    def fire(self, case: Case, trigger: str, days_ago: int, who: str, reason: str = "") -> None:
        case_service.fire_trigger(
            self.ctx.uow(),
            actor=self.ref.actor(who),
            clock=self.ctx.clock,
            case_id=case.id,
            trigger=trigger,
            effective_on=self.day(days_ago),
            reason=reason or f"Demo: {trigger.replace('_', ' ')}",
        )

    def member(self, case: Case, username: str, role: Role, days_ago: int) -> None:
        member_service.add_member(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            case_id=case.id,
            user_id=self.ref.users[username].id,
            role=role.value,
            effective_on=self.day(days_ago),
        )

    def family(self, case: Case, kind: str, days_ago: int) -> None:
        family_service.record_family_contact(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            case_id=case.id,
            kind=kind,
            occurred_on=self.day(days_ago),
        )

    def staff(self, case: Case, days_ago: int) -> None:
        self.member(case, "chair", Role.INDEPENDENT_CHAIR, days_ago)
        self.member(case, "author", Role.OVERVIEW_AUTHOR, days_ago)
        self.member(case, "panel", Role.PANEL_MEMBER, days_ago)
        for who in ("police", "health", "council"):
            self.member(case, f"{who}.author", Role.AGENCY_AUTHOR, days_ago)
            self.member(case, f"{who}.manager", Role.AGENCY_MANAGER, days_ago)

    def to_information_gathering(self, case: Case, start: int) -> None:
        """Walk a case from notification to information gathering, starting `start` days ago."""
        self.fire(case, "start_scoping", start - 2, "officer")
        self.fire(case, "submit_decision_briefing", start - 14, "officer")
        self.fire(case, "decide_to_review", start - 25, "cspchair")
        self.fire(case, "notify_home_office_of_review", start - 25, "officer")
        self.staff(case, start - 40)
        self.fire(case, "appoint_chair", start - 40, "officer")
        self.fire(case, "establish_panel", start - 55, "chair")
        self.fire(case, "start_information_gathering", start - 56, "chair")


def demo_credentials() -> list[tuple[str, str, str]]:
    """(username, who, password) for every demo user."""
    return [(u, display, DEMO_PASSWORD) for u, display, _r, _a in USERS]


def find_user_id(session: Session, username: str) -> uuid.UUID:
    return session.exec(select(User.id).where(User.username == username)).one()

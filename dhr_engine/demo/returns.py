"""Demo data for agency returns: requests walked through their lifecycle with real versions.

- `walk_returns` is what DemoBuilder.returns() calls: it requests the returns through the
  service (deadline rows, request letters, audit) and walks each one to the stage asked for —
  acknowledged, submitted with a fictional chronology, signed off by the agency's senior manager,
  accepted by the chair — on plausible past dates. Agencies without demo users get an IMR author
  and a senior manager (demo password) who join the case for their agency.
- `extend_demo` adds to the review in information gathering: a scoping reply from every agency
  with returns, a chronology draft in progress, a late chronology chased and escalated, and an IMR
  sent back for changes that comes back as version 2.

Every event in the chronologies is invented. Entries are dated relative to the date of death so
the merged chronology shows same-day contacts and a long gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlmodel import Session, select

from dhr_engine.auth.actors import actor_for_user
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DemoBuilder, Reference, demo_password_hash
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role
from dhr_engine.members import service as member_service
from dhr_engine.persistence.tables import Case, CaseMember, ReturnRequest, User
from dhr_engine.returns import service
from dhr_engine.returns.chronology import add_entries
from dhr_engine.returns.chronology_input import EntryInput

# Demo users that already exist, by agency key: (author, manager).
KNOWN_USERS = {
    "northmoor_police": ("police.author", "police.manager"),
    "acute_trust": ("health.author", "health.manager"),
    "adult_social_care": ("council.author", "council.manager"),
}
STAGE_ORDER = ("requested", "acknowledged", "submitted", "signed_off", "accepted")


@dataclass(frozen=True)
class Line:
    """One fictional chronology line: days before the death, time, precision and the text."""

    days_before: int
    at: time | None
    precision: str
    source: str
    event: str
    action: str
    role: str


CHRONOLOGIES: dict[str, list[Line]] = {
    "northmoor_police": [
        Line(
            700,
            time(23, 40),
            "minute",
            "Storm log 0457",
            "999 call from a neighbour reporting shouting at the address",
            "Officers attended; both parties spoken to; DASH completed (standard risk)",
            "Response officer",
        ),
        Line(
            560,
            None,
            "month",
            "Intelligence log",
            "Several calls about noise at the address during the month",
            "No further action recorded",
            "Intelligence analyst",
        ),
        Line(
            410,
            time(2, 15),
            "minute",
            "Crime report CR-2231",
            "Victim reported that the perpetrator had pushed her against a wall",
            "Perpetrator arrested; released under investigation; DASH medium risk",
            "Police constable",
        ),
        Line(
            408,
            None,
            "day",
            "Public protection notice",
            "Referral sent to the MARAC coordinator",
            "Case not heard: risk graded medium",
            "Detective sergeant",
        ),
        Line(
            120,
            time(21, 5),
            "minute",
            "Storm log 1182",
            "Victim called 999 and hung up; call-back unanswered",
            "Officers attended; victim said all was well",
            "Response officer",
        ),
        Line(
            6,
            time(22, 50),
            "minute",
            "Storm log 2034",
            "Report of a serious assault at the address",
            "Homicide investigation began",
            "Senior investigating officer",
        ),
    ],
    "acute_trust": [
        Line(
            410,
            time(10, 30),
            "minute",
            "Emergency department record",
            "Victim attended with bruising to the arms; said she had fallen",
            "Routine enquiry about domestic abuse not recorded",
            "Emergency department nurse",
        ),
        Line(
            300,
            None,
            "day",
            "Maternity booking record",
            "Victim booked for antenatal care; asked about domestic abuse",
            "Disclosure of 'arguments' noted; IDVA leaflet given",
            "Midwife",
        ),
        Line(
            120,
            time(16, 0),
            "minute",
            "Fracture clinic letter",
            "Victim seen for a fractured wrist",
            "Explanation accepted; no safeguarding referral made",
            "Orthopaedic registrar",
        ),
    ],
    "mental_health": [
        Line(
            640,
            None,
            "month",
            "Community mental health team notes",
            "Perpetrator referred by his GP for low mood and anger",
            "Placed on the waiting list for assessment",
            "Team administrator",
        ),
        Line(
            380,
            None,
            "day",
            "Assessment record",
            "Perpetrator assessed; spoke of jealousy in the relationship",
            "Anger-management group offered; not taken up",
            "Community psychiatric nurse",
        ),
    ],
    "recovery": [
        Line(
            500,
            None,
            "day",
            "Case notes",
            "Perpetrator began alcohol treatment",
            "Weekly key-work sessions arranged",
            "Recovery worker",
        ),
        Line(
            300,
            None,
            "month",
            "Case notes",
            "Perpetrator missed three sessions in the month",
            "Discharged for non-attendance",
            "Team leader",
        ),
    ],
    "probation": [
        Line(
            900,
            None,
            "year",
            "nDelius record",
            "Perpetrator supervised for an earlier offence against a former partner",
            "Order completed",
            "Probation officer",
        ),
        Line(
            410,
            None,
            "day",
            "Partnership enquiry",
            "Police asked about the perpetrator's history",
            "Previous domestic abuse conviction shared",
            "Probation officer",
        ),
    ],
    "adult_social_care": [
        Line(
            300,
            None,
            "day",
            "Contact record",
            "Anonymous concern about the victim's welfare",
            "Triage: no care and support needs; signposted to Women's Aid",
            "Social worker",
        ),
        Line(
            120,
            None,
            "day",
            "Contact record",
            "Victim's mother rang about injuries she had seen",
            "Passed to the police; no section 42 enquiry",
            "Duty social worker",
        ),
    ],
    "housing": [
        Line(
            410,
            None,
            "day",
            "Tenancy file",
            "Victim asked for a transfer to another property",
            "Placed on the transfer list in band C",
            "Housing officer",
        ),
    ],
}
GENERIC = [
    Line(
        400,
        None,
        "month",
        "Agency records",
        "Contact with the household recorded",
        "Advice given",
        "Practitioner",
    ),
]

TEXT = (
    "Individual Management Review (demo).\n"
    "1. Terms of reference and the agency's involvement.\n"
    "2. Analysis of the agency's contact against its policies.\n"
    "3. Lessons learned and single-agency recommendations."
)


def _entries(case: Case, agency_key: str) -> list[EntryInput]:
    death = case.date_of_death or case.notified_on
    out = []
    for line in CHRONOLOGIES.get(agency_key, GENERIC):
        day = death - timedelta(days=line.days_before)
        when = day.strftime("%B %Y") if line.precision == "month" else str(day.year)
        out.append(
            EntryInput(
                when=day if line.precision in {"day", "minute"} else when,
                time=line.at,
                source_record=line.source,
                event=line.event,
                action_taken=line.action,
                practitioner_role=line.role,
            )
        )
    return out


def _user(session: Session, ref: Reference, agency_key: str, which: str) -> User:
    known = KNOWN_USERS.get(agency_key)
    username = known[0 if which == "author" else 1] if known else f"{agency_key}.{which}"
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        role = "IMR author" if which == "author" else "senior manager"
        user = User(
            username=username,
            display_name=f"{ref.agencies[agency_key].name} ({role})",
            email=f"{username}@agency.example",
            password_hash=demo_password_hash(),
            agency_id=ref.agencies[agency_key].id,
            csp_id=ref.csp.id,
        )
        session.add(user)
        session.flush()
    return user


def agency_actors(b: DemoBuilder, case: Case, agency_key: str, on: date) -> tuple[Actor, Actor]:
    """The agency's author and manager, members of the case for their agency."""
    with b.ctx.uow() as uow:
        users = [_user(uow.session, b.ref, agency_key, w) for w in ("author", "manager")]
        for u in users:
            uow.session.refresh(u)
            uow.session.expunge(u)
        uow.commit()
    for user, role in zip(users, (Role.AGENCY_AUTHOR, Role.AGENCY_MANAGER), strict=True):
        with b.ctx.reader() as uow:
            held = uow.session.exec(
                select(CaseMember.id).where(
                    CaseMember.case_id == case.id,
                    CaseMember.user_id == user.id,
                    CaseMember.role == role.value,
                )
            ).first()
        if held is None:
            member_service.add_member(
                b.ctx.uow(),
                actor=b.ref.actor("officer"),
                clock=b.ctx.clock,
                case_id=case.id,
                user_id=user.id,
                role=role.value,
                effective_on=on,
            )
    return actor_for_user(users[0]), actor_for_user(users[1])


def _fire(
    b: DemoBuilder, actor: Actor, request: ReturnRequest, trigger: str, on: date, reason: str = ""
) -> None:
    service.fire_return(
        b.ctx.uow(),
        actor=actor,
        clock=b.ctx.clock,
        request_id=request.id,
        trigger=trigger,
        effective_on=on,
        reason=reason,
    )


def submit_version(
    b: DemoBuilder,
    author: Actor,
    case: Case,
    agency_key: str,
    request: ReturnRequest,
    on: date,
    note: str = "",
) -> None:
    """Fill the draft (chronology for IMRs, chronologies and short reports) and submit it."""
    if request.kind in {"imr", "chronology", "short_report"} and not note:
        add_entries(
            b.ctx.uow(),
            actor=author,
            clock=b.ctx.clock,
            request_id=request.id,
            entries=_entries(case, agency_key),
            replace=True,
        )
    scoping = request.kind == "scoping_reply"
    service.fire_return(
        b.ctx.uow(),
        actor=author,
        clock=b.ctx.clock,
        request_id=request.id,
        trigger="submit",
        effective_on=on,
        submission=service.Submission(
            text="Records searched; contact found." if scoping else TEXT + (f"\n4. {note}" if note else ""),
            change_note=note,
            contact="yes" if scoping else None,
            records_secured_on=on if scoping else None,
        ),
    )


def walk_returns(b: DemoBuilder, case: Case, kinds: dict[str, str], stage: str, days_ago: int) -> None:
    """Request returns `days_ago` days ago and walk each one to `stage` over the next weeks."""
    target = STAGE_ORDER.index(stage)
    requested_on = b.day(days_ago)
    for agency_key, kind in kinds.items():
        author, manager = agency_actors(b, case, agency_key, requested_on)
        (request,) = service.request_returns(
            b.ctx.uow(),
            actor=b.ref.actor("officer"),
            clock=b.ctx.clock,
            case_id=case.id,
            agency_ids=[b.ref.agencies[agency_key].id],
            kind=kind,
            requested_on=requested_on,
        )
        if target >= 1:
            _fire(b, author, request, "acknowledge", b.day(days_ago - 2))
        if target >= 2:
            submit_version(b, author, case, agency_key, request, b.day(days_ago - 15))
        if target >= 3:
            _fire(b, manager, request, "sign_off", b.day(days_ago - 18))
        if target >= 4:
            _fire(b, b.ref.actor("chair"), request, "accept", b.day(days_ago - 25))


def _case_in(session: Session, stage: str) -> Case | None:
    return session.exec(select(Case).where(Case.stage == stage).order_by(Case.ref)).first()


def extend_demo(ctx: AppContext, ref: Reference, today: date) -> None:
    """Richer returns on the review in information gathering (see the module docstring)."""
    b = DemoBuilder(ctx, ref, today)
    with ctx.reader() as uow:
        case = _case_in(uow.session, "information_gathering")
        if case is None:
            return
        requests = uow.session.exec(select(ReturnRequest).where(ReturnRequest.case_id == case.id)).all()
    by_agency = {r.agency_id: r for r in requests}
    keys = {a.id: k for k, a in ref.agencies.items()}
    # Scoping replies, accepted, from every agency asked for a return (asked before the IMRs).
    start = (today - case.stage_entered_on).days
    walk_returns(b, case, {keys[a]: "scoping_reply" for a in by_agency}, "accepted", start)
    for agency_id, request in by_agency.items():
        key = keys[agency_id]
        author, manager = agency_actors(b, case, key, request.requested_on)
        if key == "adult_social_care" and request.stage == "requested":
            # A chronology in progress: acknowledged, half its entries typed in.
            _fire(b, author, request, "acknowledge", request.requested_on + timedelta(days=3))
            add_entries(
                ctx.uow(),
                actor=author,
                clock=ctx.clock,
                request_id=request.id,
                entries=_entries(case, key)[:1],
            )
        elif key == "housing" and request.stage == "requested":
            # Late: chased by the officer, then escalated by the chair.
            service.chase_return(
                ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, request_id=request.id
            )
            service.chase_return(
                ctx.uow(),
                actor=ref.actor("chair"),
                clock=ctx.clock,
                request_id=request.id,
                escalate=True,
                note="Second reminder: the panel meets next week.",
            )
    # An IMR sent back for changes and returned as version 2 (not yet accepted).
    (imr,) = service.request_returns(
        ctx.uow(),
        actor=ref.actor("chair"),
        clock=ctx.clock,
        case_id=case.id,
        agency_ids=[ref.agencies["mental_health"].id],
        kind="imr",
        requested_on=today - timedelta(days=40),
    )
    author, manager = agency_actors(b, case, "mental_health", today - timedelta(days=40))
    _fire(b, author, imr, "acknowledge", today - timedelta(days=38))
    submit_version(b, author, case, "mental_health", imr, today - timedelta(days=20))
    _fire(b, manager, imr, "sign_off", today - timedelta(days=18))
    _fire(
        b,
        ref.actor("chair"),
        imr,
        "request_changes",
        today - timedelta(days=12),
        "Please analyse why the anger-management offer was not followed up.",
    )
    submit_version(
        b,
        author,
        case,
        "mental_health",
        imr,
        today - timedelta(days=5),
        note="Added analysis of the missed anger-management follow-up.",
    )
    _fire(b, manager, imr, "sign_off", today - timedelta(days=4))

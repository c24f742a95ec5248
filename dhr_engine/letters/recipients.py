"""Who a letter goes to: the address block, and who gets it when a transition queues it.

Who gets a queued letter is the recipient rule its spec names (`recipient.rule`, one of `RULES`
below): the partnership's agencies, the agencies in contact with the case, the agencies asked for
given kinds of return, the action plan's lead agencies, the family, or one fixed addressee.

Recipient labels (stored in the register and the audit trail) name an organisation or a
pseudonym, never a person's real name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from dhr_engine.domain.roles import Role
from dhr_engine.errors import ValidationFailed
from dhr_engine.letters.spec import LetterSpec, RecipientRule
from dhr_engine.persistence.tables import (
    Agency,
    Case,
    CaseAgency,
    CaseMember,
    Csp,
    Person,
    ReturnRequest,
    User,
)
from dhr_engine.persistence.tables_letters import AddressPreference
from dhr_engine.persistence.tables_plans import FINISHED_ACTION_STAGES, Plan, PlanAction

FAMILY_ROLES = ("family", "friend")
HOME_OFFICE_ADDRESS = "Home Office, Interpersonal Abuse Unit\n2 Marsham Street\nLondon SW1P 4DF"


@dataclass(frozen=True)
class Recipient:
    """The addressee block of one letter, and what it points at in the database."""

    kind: str
    label: str
    fields: dict[str, str]
    agency_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None


def short_name(display_name: str) -> str:
    """'Olivia Officer (DHR coordinator)' -> 'Olivia Officer'."""
    return display_name.split(" (", 1)[0].strip()


def agency_recipient(agency: Agency) -> Recipient:
    email = agency.senior_manager_email or agency.email
    return Recipient(
        kind="agency",
        label=agency.name,
        agency_id=agency.id,
        fields={
            "recipient_name": f"The Senior Manager, {agency.name}",
            "recipient_address": f"By secure email: {email}" if email else "",
            "salutation": "Dear colleague",
            "agency_name": agency.name,
        },
    )


def family_recipient(session: Session, person: Person) -> Recipient:
    """The family member as they agreed to be addressed (their full name until they say otherwise)."""
    pref = session.get(AddressPreference, person.id)
    name = pref.addressee if pref else person.real_name
    fields = {
        "recipient_name": name,
        "recipient_address": person.address,
        "salutation": pref.salutation if pref else (f"Dear {name}" if name else ""),
    }
    if pref and pref.deceased_name:
        fields["deceased_name"] = pref.deceased_name
    return Recipient("family", f"Family member ({person.pseudonym})", fields, person_id=person.id)


def user_with_role(session: Session, case: Case, role: Role) -> User | None:
    if role in {Role.CSP_CHAIR, Role.CSP_OFFICER}:
        users = session.exec(select(User).where(User.is_active == True)).all()  # noqa: E712
        return next(
            (u for u in users if role.value in u.global_roles and u.csp_id in (None, case.csp_id)), None
        )
    member = session.exec(
        select(User)
        .join(CaseMember, col(CaseMember.user_id) == col(User.id))
        .where(CaseMember.case_id == case.id, CaseMember.role == role.value)
    ).first()
    return member


def fixed_recipient(session: Session, case: Case, csp: Csp, kind: str) -> Recipient:
    """The one recipient of a letter that does not fan out (Home Office, CSP chair, chair, ...)."""
    if kind == "home_office":
        return Recipient(
            kind,
            "Home Office DHR team",
            {
                "recipient_name": "Domestic Homicide Review Team",
                "recipient_address": HOME_OFFICE_ADDRESS,
                "salutation": "Dear Sir or Madam",
            },
        )
    if kind == "secretary_of_state":
        return Recipient(
            kind,
            "Secretary of State (Home Office)",
            {
                "recipient_name": "The Secretary of State for the Home Department",
                "recipient_address": "Home Office\n2 Marsham Street\nLondon SW1P 4DF",
                "salutation": "Dear Secretary of State",
            },
        )
    if kind == "advocacy":
        return Recipient(
            kind,
            "Advocacy service",
            {
                "recipient_name": "Referrals Team",
                "recipient_address": "Advocacy After Fatal Domestic Abuse (AAFDA)",
                "salutation": "Dear colleague",
            },
        )
    if kind == "csp":
        return Recipient(
            kind,
            csp.name,
            {"recipient_name": "The DHR Coordinator", "recipient_address": f"{csp.name}\n{csp.address}",
             "salutation": "Dear DHR Coordinator"},
        )  # fmt: skip
    role = Role.CSP_CHAIR if kind == "csp_chair" else Role.INDEPENDENT_CHAIR
    user = user_with_role(session, case, role)
    label = "Chair of the partnership" if kind == "csp_chair" else "Independent chair"
    if user is None:
        return Recipient(kind, label, {})
    name = short_name(user.display_name)
    address = f"Chair, {csp.name}\n{csp.address}" if kind == "csp_chair" else f"By email: {user.email}"
    return Recipient(
        kind, label, {"recipient_name": name, "recipient_address": address, "salutation": f"Dear {name}"}
    )


def _agencies(session: Session, ids: list[uuid.UUID]) -> list[Agency]:
    if not ids:
        return []
    rows = session.exec(select(Agency).where(col(Agency.id).in_(ids))).all()
    return sorted(rows, key=lambda a: a.name)


def _csp_agencies(session: Session, case: Case) -> list[Agency]:
    rows = session.exec(select(Agency).where(Agency.csp_id == case.csp_id)).all()
    return sorted(rows or session.exec(select(Agency)).all(), key=lambda a: a.name)


def _contributing(session: Session, case: Case, kinds: tuple[str, ...]) -> list[Agency]:
    """Agencies contributing, or asked for, a return of one of `kinds` (domain/return_kinds.py)."""
    ids = set(
        session.exec(
            select(CaseAgency.agency_id).where(
                CaseAgency.case_id == case.id, col(CaseAgency.contribution).in_(kinds)
            )
        ).all()
    )
    ids |= set(
        session.exec(
            select(ReturnRequest.agency_id).where(
                ReturnRequest.case_id == case.id, col(ReturnRequest.kind).in_(kinds)
            )
        ).all()
    )
    return _agencies(session, list(ids))


def lead_agencies(session: Session, case: Case, *, open_only: bool) -> list[Agency]:
    """Agencies leading actions of the case's action plan (open ones only, if asked)."""
    query = (
        select(PlanAction.lead_agency_id)
        .join(Plan, col(Plan.id) == col(PlanAction.plan_id))
        .where(Plan.case_id == case.id, col(PlanAction.lead_agency_id).is_not(None))
    )
    if open_only:
        query = query.where(col(PlanAction.stage).not_in(FINISHED_ACTION_STAGES))
    return _agencies(session, [i for i in set(session.exec(query).all()) if i is not None])


def _family(session: Session, case: Case) -> list[Recipient]:
    people = session.exec(
        select(Person).where(Person.case_id == case.id, col(Person.role).in_(FAMILY_ROLES))
    ).all()
    return [family_recipient(session, p) for p in sorted(people, key=lambda p: p.pseudonym)]


def _in_contact(session: Session, case: Case) -> list[Agency]:
    ids = session.exec(
        select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id, CaseAgency.contact == "yes")
    ).all()
    return _agencies(session, list(ids)) or _csp_agencies(session, case)


Pick = Callable[[Session, Case, Csp, RecipientRule], list[Recipient]]


def _agencies_rule(find: Callable[[Session, Case, RecipientRule], list[Agency]]) -> Pick:
    return lambda session, case, _csp, rule: [agency_recipient(a) for a in find(session, case, rule)]


def _fixed_rule(session: Session, case: Case, csp: Csp, rule: RecipientRule) -> list[Recipient]:
    return [fixed_recipient(session, case, csp, rule.kind)]


@dataclass(frozen=True)
class Rule:
    """A recipient rule: who gets a queued letter, for letters of one recipient kind."""

    kind: str
    pick: Pick
    needs_returns: bool = False  # the spec names the return kinds (`returns: [...]`)


RULES: Mapping[str, Rule] = {
    "all_agencies": Rule("agency", _agencies_rule(lambda s, case, _r: _csp_agencies(s, case))),
    "agencies_in_contact": Rule("agency", _agencies_rule(lambda s, case, _r: _in_contact(s, case))),
    "agencies_asked_for": Rule(
        "agency", _agencies_rule(lambda s, case, r: _contributing(s, case, r.returns)), needs_returns=True
    ),
    "lead_agencies": Rule(
        "agency", _agencies_rule(lambda s, case, _r: lead_agencies(s, case, open_only=False))
    ),
    "lead_agencies_with_open_actions": Rule(
        "agency", _agencies_rule(lambda s, case, _r: lead_agencies(s, case, open_only=True))
    ),
    "family": Rule("family", lambda s, case, _csp, _r: _family(s, case)),
    **{
        kind: Rule(kind, _fixed_rule)
        for kind in ("csp", "csp_chair", "home_office", "chair", "advocacy", "secretary_of_state")
    },
}


def default_recipients(session: Session, case: Case, csp: Csp, spec: LetterSpec) -> list[Recipient]:
    """Everyone a letter goes to when a transition queues it: its spec's recipient rule."""
    found = RULES[spec.recipients.rule].pick(session, case, csp, spec.recipients)
    if not found and spec.recipient_kind == "family":
        raise ValidationFailed("the case has no family member to write to", field="person_id")
    if not found:
        raise ValidationFailed(f"no agency to send {spec.number} to on this case", field="agency_id")
    return found


def chosen_recipient(
    session: Session,
    case: Case,
    csp: Csp,
    spec: LetterSpec,
    *,
    agency_id: uuid.UUID | None,
    person_id: uuid.UUID | None,
) -> Recipient:
    """The recipient an officer picked when drafting by hand (or the letter's only recipient)."""
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or person.case_id != case.id or person.role not in FAMILY_ROLES:
            raise ValidationFailed("no such family member on this case", field="person_id")
        return family_recipient(session, person)
    if agency_id is not None:
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise ValidationFailed("no such agency", field="agency_id")
        return agency_recipient(agency)
    if spec.recipient_kind in {"agency", "family"}:
        field = "agency_id" if spec.recipient_kind == "agency" else "person_id"
        raise ValidationFailed(f"{spec.number} needs a recipient: choose the {field[:-3]}", field=field)
    return fixed_recipient(session, case, csp, spec.recipient_kind)

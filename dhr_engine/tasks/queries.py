"""A user's task lists: what is waiting for them to do, across every case they may see.

- "Waiting for your sign-off": returns submitted by the author that this user may sign off (the
  agency's senior manager on the case);
- "Returns due from your agency": the open requests addressed to this user's own agency;
- "Letters to approve": drafted letters this user's role may approve (the letter's spec names
  the approvers), never one they drafted themselves;
- "Returns to accept": returns signed off by their agency that this user may accept (the
  independent chair or the CSP officer).

Nothing is decided here: which steps a user may take on a return comes from
workflows/agency_return.yaml, who sees which return from the access policy (auth/policy.py and
returns/access.py), who may read and approve a letter from letters/access.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.cases.queries import roles_by_case
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.domain.roles import AGENCY_ROLES, Role
from dhr_engine.letters.access import may_see_letter
from dhr_engine.letters.catalogue import spec_for
from dhr_engine.persistence.facts import FINISHED_RETURN_STAGES
from dhr_engine.persistence.tables import Agency, Case, ReturnRequest
from dhr_engine.persistence.tables_letters import Letter
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.returns import service as return_service
from dhr_engine.returns.access import request_actor

# Returns still owed by the agency: not yet signed off by its senior manager, nor finished.
OWED_STAGES = frozenset({"requested", "acknowledged", "submitted", "changes_requested"})

LISTS: tuple[tuple[str, str, str], ...] = (
    ("sign_off", "Waiting for your sign-off", "Nothing is waiting for your sign-off."),
    ("returns_due", "Returns due from your agency", "Nothing is due from your agency."),
    ("letters_to_approve", "Letters to approve", "No letter is waiting for your approval."),
    ("returns_to_accept", "Returns to accept", "No signed-off return is waiting to be accepted."),
)


@dataclass(frozen=True)
class Task:
    """One thing to do: on which case, what, for which agency, by when, and where it is done."""

    case_ref: str
    what: str  # "Chronology", "C02 Request for a chronology, to Northmoor Police"
    agency: str  # the agency whose return or letter it is ("" for none)
    due_on: date | None
    stage: str  # where it is now, in words ("Submitted for sign-off", "Draft")
    link: str  # the page where the task is done


@dataclass
class TaskLists:
    sign_off: list[Task] = field(default_factory=list)
    returns_due: list[Task] = field(default_factory=list)
    letters_to_approve: list[Task] = field(default_factory=list)
    returns_to_accept: list[Task] = field(default_factory=list)

    def named(self) -> list[tuple[str, str, str, list[Task]]]:
        """(key, heading, what to say when empty, tasks) for each list, in the order pages show them."""
        return [(key, heading, empty, getattr(self, key)) for key, heading, empty in LISTS]

    @property
    def total(self) -> int:
        return sum(len(tasks) for _k, _h, _e, tasks in self.named())


def _case_actors(session: Session, actor: Actor, cases: dict[uuid.UUID, Case]) -> dict[uuid.UUID, Actor]:
    roles = roles_by_case(session, actor, cases)
    return {case_id: actor.on_case(frozenset(Role(r) for r in roles.get(case_id, ()))) for case_id in cases}


def tasks_for(uow: UnitOfWork, actor: Actor) -> TaskLists:
    """The four task lists of this user, each sorted by due date then case."""
    session = uow.session
    cases = {
        c.id: c for c in session.exec(select(Case).where(policy.case_visibility_clause(session, actor))).all()
    }
    lists = TaskLists()
    if not cases:
        return lists
    acting = _case_actors(session, actor, cases)
    _return_tasks(uow, actor, cases, acting, lists)
    _letter_tasks(session, actor, cases, acting, lists)
    for tasks in (lists.sign_off, lists.returns_due, lists.letters_to_approve, lists.returns_to_accept):
        tasks.sort(key=lambda t: (t.due_on is None, t.due_on or date.min, t.case_ref, t.agency, t.what))
    return lists


def _return_tasks(
    uow: UnitOfWork,
    actor: Actor,
    cases: dict[uuid.UUID, Case],
    acting: dict[uuid.UUID, Actor],
    lists: TaskLists,
) -> None:
    session = uow.session
    definition = return_service.return_definition(uow)
    requests = session.exec(
        select(ReturnRequest).where(
            col(ReturnRequest.case_id).in_(list(cases)),
            col(ReturnRequest.stage).not_in(list(FINISHED_RETURN_STAGES)),
        )
    ).all()
    names: dict[uuid.UUID, str] = {}
    if requests:
        agency_ids = {r.agency_id for r in requests}
        names = dict(session.exec(select(Agency.id, Agency.name).where(col(Agency.id).in_(agency_ids))).all())
    for request in requests:
        on_case = acting[request.case_id]
        if not policy.may_see_return(on_case, request.agency_id):
            continue
        who = request_actor(on_case, request)
        may_fire = {
            t.trigger
            for t in definition.transitions
            if request.stage in t.source and who.has_any({Role(r) for r in t.roles})
        }
        own_agency = (
            who.agency_id is not None and who.agency_id == request.agency_id and who.has_any(AGENCY_ROLES)
        )
        if not ({"sign_off", "accept"} & may_fire or (own_agency and request.stage in OWED_STAGES)):
            continue
        due = return_service.due_row(session, request)
        task = Task(
            case_ref=cases[request.case_id].ref,
            what=KINDS[request.kind].label if request.kind in KINDS else request.kind.replace("_", " "),
            agency=names.get(request.agency_id, ""),
            due_on=due.adjusted_due if due is not None and due.case_id == request.case_id else None,
            stage=definition.state(request.stage).label,
            link=f"/returns/{request.id}",
        )
        if "sign_off" in may_fire:
            lists.sign_off.append(task)
        if "accept" in may_fire:
            lists.returns_to_accept.append(task)
        if own_agency and request.stage in OWED_STAGES:
            lists.returns_due.append(task)


def _letter_tasks(
    session: Session,
    actor: Actor,
    cases: dict[uuid.UUID, Case],
    acting: dict[uuid.UUID, Actor],
    lists: TaskLists,
) -> None:
    drafts = session.exec(
        select(Letter).where(col(Letter.case_id).in_(list(cases)), Letter.status == "draft")
    ).all()
    for letter in drafts:
        on_case = acting[letter.case_id]
        if not may_see_letter(on_case, letter):
            continue
        if not on_case.has_any(spec_for(letter.code).approvers):
            continue
        if letter.drafted_by is not None and letter.drafted_by == actor.user_id:
            continue  # a letter is approved by someone other than its drafter
        lists.letters_to_approve.append(
            Task(
                case_ref=cases[letter.case_id].ref,
                what=f"{spec_for(letter.code).number} {letter.title}, to {letter.recipient_label}",
                agency=letter.recipient_label if letter.recipient_kind == "agency" else "",
                due_on=None,
                stage="Draft",
                link=f"/letters/{letter.id}",
            )
        )

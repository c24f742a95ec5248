"""What the page of one agency return shows: where it is, its due date, its draft and versions,
and the steps this user may take now (worked out from workflows/agency_return.yaml and the
returns service's own access rules, never decided here)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.cases.queries import roles_by_case
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.queries import DUE_SOON_DAYS
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.domain.roles import Role
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import Agency, Case, Deadline, ReturnRequest
from dhr_engine.persistence.tables_returns import ReturnAttachment, ReturnVersion
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.returns import service as return_service
from dhr_engine.returns.access import REQUESTERS, is_case_staff, load_request
from dhr_engine.returns.attachments import DRAFT_STAGES, list_attachments, require_draft_editor
from dhr_engine.returns.chronology import CHRONOLOGY_KINDS, count_draft
from dhr_engine.returns.compare import list_versions
from dhr_engine.web.deps import Viewer

SUBMIT = frozenset({"submit", "resubmit"})
REVIEW = frozenset({"accept", "request_changes"})
MANAGER = frozenset({"sign_off", "return_to_author"})
STAGE_COLOURS = {
    "accepted": "green",
    "signed_off": "turquoise",
    "submitted": "blue",
    "changes_requested": "orange",
    "withdrawn": "grey",
    "acknowledged": "light-blue",
    "requested": "yellow",
}


@dataclass(frozen=True)
class Step:
    trigger: str
    label: str
    requires_reason: bool


@dataclass
class RequestView:
    request: ReturnRequest
    case: Case
    agency: str
    kind_label: str
    stage_label: str
    due: Deadline | None
    due_lines: list[str]
    due_status: str
    versions: list[ReturnVersion]
    attachments: list[ReturnAttachment]  # in the draft (not removed)
    draft_entries: int
    steps: list[Step]  # steps other than submitting, that this user may take now
    may_edit_draft: bool
    may_submit: bool
    may_chase: bool
    has_chronology: bool
    case_staff: bool
    stage_labels: dict[str, str] = field(default_factory=dict)
    case_open: bool = True  # False: a named contact who may open this request, not the case
    no_contact: str = ""  # for case staff: the warning that nobody at the agency is told

    @property
    def colour(self) -> str:
        return STAGE_COLOURS.get(self.request.stage, "grey")

    def steps_in(self, group: frozenset[str]) -> list[Step]:
        return [s for s in self.steps if s.trigger in group]

    @property
    def other_steps(self) -> list[Step]:
        return [s for s in self.steps if s.trigger not in REVIEW | MANAGER]


def due_status(row: Deadline | None, today: date) -> str:
    if row is None:
        return ""
    if row.status == "met":
        return "met"
    if row.status == "met_late":
        return "met late"
    if row.status == "cancelled":
        return "cancelled"
    days = (row.adjusted_due - today).days
    if days < 0:
        return "overdue"
    return "due soon" if days <= DUE_SOON_DAYS else "open"


def _may_edit(acting: Actor, request: ReturnRequest) -> bool:
    try:
        require_draft_editor(acting, request)
    except DhrError:
        return False
    return True


def load_request_view(uow: UnitOfWork, actor: Actor, request_id: uuid.UUID, today: date) -> RequestView:
    """The request as this user may see it (another agency's request is 'not found')."""
    session: Session = uow.session
    scope = load_request(session, actor, request_id)
    request, case, acting = scope.request, scope.case, scope.actor
    definition = return_service.return_definition(uow)
    agency = session.get(Agency, request.agency_id)
    steps: list[Step] = []
    seen: set[str] = set()
    for t in definition.transitions:
        if request.stage not in t.source or t.trigger in seen:
            continue
        if acting.has_any({Role(r) for r in t.roles}):
            seen.add(t.trigger)
            steps.append(Step(t.trigger, t.label, t.requires_reason))
    due = return_service.due_row(session, request)
    lines: list[str] = []
    if due is not None:
        case_definition = uow.workflows.get(case.workflow_key, case.workflow_version)
        lines = deadline_service.explain(session, due, case_definition, today).lines()[1:]
    return RequestView(
        request=request,
        case=case,
        agency=agency.name if agency else "",
        kind_label=KINDS[request.kind].label if request.kind in KINDS else request.kind,
        stage_label=definition.state(request.stage).label,
        due=due,
        due_lines=lines,
        due_status=due_status(due, today),
        versions=list_versions(session, actor, request.id),
        attachments=[a for a in list_attachments(session, actor, request.id) if a.removed_on is None],
        draft_entries=count_draft(session, request.id),
        steps=[s for s in steps if s.trigger not in SUBMIT],
        may_edit_draft=_may_edit(acting, request),
        may_submit=any(s.trigger in SUBMIT for s in steps),
        may_chase=acting.has_any(REQUESTERS) and request.stage in DRAFT_STAGES,
        has_chronology=request.kind in CHRONOLOGY_KINDS,
        case_staff=is_case_staff(acting),
        stage_labels={s.name: s.label for s in definition.states},
        case_open=policy.can_view_case(session, actor, case),
        no_contact=" ".join(return_service.contact_warnings(session, [request.agency_id]))
        if is_case_staff(acting)
        else "",
    )


@dataclass(frozen=True)
class ReturnRow:
    request: ReturnRequest
    case: Case
    agency: str
    due: Deadline | None
    case_open: bool = True  # False: a named contact's request on a case they may not open

    @property
    def colour(self) -> str:
        return STAGE_COLOURS.get(self.request.stage, "grey")


def return_rows(session: Session, viewer: Viewer, cases: list[Case]) -> list[ReturnRow]:
    """The return requests of these cases that the viewer may see (an agency user: their own
    agency's), each with its agency's name and its newest deadline row: one query each for the viewer's
    roles, the requests, the agencies and the deadlines, however many cases and requests there are."""
    by_id = {case.id: case for case in cases}
    roles = roles_by_case(session, viewer.actor, by_id)
    acting = {
        case_id: viewer.actor.on_case(frozenset(Role(r) for r in roles.get(case_id, ()))) for case_id in by_id
    }
    # a named contact of the user's agency holds its role on that agency's requests (returns/access.py)
    own = viewer.actor.agency_id
    named = policy.contact_roles(session, viewer.actor, own) if own is not None else frozenset()
    order = {case_id: i for i, case_id in enumerate(by_id)}
    found = session.exec(select(ReturnRequest).where(col(ReturnRequest.case_id).in_(list(by_id)))).all()
    requests = [
        (r, by_id[r.case_id])
        for r in sorted(found, key=lambda r: (order[r.case_id], r.requested_on, str(r.id)))
        if policy.may_see_return(acting[r.case_id], r.agency_id)
        or (named and r.agency_id == own and policy.may_see_return(viewer.actor.on_case(named), r.agency_id))
    ]
    if not requests:
        return []
    agency_ids = {r.agency_id for r, _case in requests}
    names = dict(session.exec(select(Agency.id, Agency.name).where(col(Agency.id).in_(agency_ids))).all())
    newest: dict[uuid.UUID, Deadline] = {}
    deadlines = select(Deadline).where(col(Deadline.subject_id).in_([r.id for r, _case in requests]))
    for row in session.exec(
        deadlines.order_by(col(Deadline.opened_at).desc(), col(Deadline.statutory_due).desc())
    ).all():
        if row.subject_id is not None:
            newest.setdefault(row.subject_id, row)  # the first is the newest
    return [
        ReturnRow(r, case, names.get(r.agency_id, ""), _same_case(newest.get(r.id), case))
        for r, case in requests
    ]


def _same_case(row: Deadline | None, case: Case) -> Deadline | None:
    return row if row is not None and row.case_id == case.id else None

"""Cases: list mine, open one from a notification, read one, its people, triggers, timeline, deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy import or_
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from dhr_engine.api.deps import (
    API_PREFIX,
    ActorDep,
    CaseAccess,
    CaseRequest,
    CtxDep,
    CurrentUserDep,
    PageDep,
    case_access,
    case_request,
    paginate,
    paginate_list,
)
from dhr_engine.api.paging import Page
from dhr_engine.audit.reads import Interface, ReadKind, record_read
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cases import service as case_service
from dhr_engine.cases.queries import NEXT_DUE, next_due_by_case, overdue_clause, roles_by_case
from dhr_engine.cases.schemas import (
    CaseOpenIn,
    CaseOut,
    CaseRoleName,
    CaseSummary,
    DeadlineOut,
    EventOut,
    FireIn,
    NotificationFactsIn,
    NotificationFactsOut,
    NotificationFactsPatch,
    PersonOut,
    TriggerOut,
)
from dhr_engine.context import AppContext
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.queries import agencies_of, titled
from dhr_engine.deadlines.schemas import DeadlineAgencyOut
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.roles import AGENCY_ROLES
from dhr_engine.errors import StaleCase
from dhr_engine.persistence import case_lookup
from dhr_engine.persistence.facts import SqlCaseFacts
from dhr_engine.persistence.tables import AuditEvent, Case, CaseMember, Person
from dhr_engine.persistence.tables_notification import CaseNotification
from dhr_engine.workflow.flow import CaseFlow

router = APIRouter(prefix=API_PREFIX, tags=["cases"])

TriggerPath = Annotated[
    str,
    Path(min_length=1, max_length=80, description="A trigger of the workflow", examples=["decide_to_review"]),
]


# --- helpers shared by the case routers -------------------------------------------------------


def stage_label(ctx: AppContext, case: Case) -> str:
    try:
        return ctx.workflows.get(case.workflow_key, case.workflow_version).state(case.stage).label
    except Exception:  # a retired workflow version: show the stage name itself
        return case.stage.replace("_", " ")


def case_out(ctx: AppContext, session: Session, actor: Actor, case: Case) -> dict[str, Any]:
    """The case as this (case-resolved) actor may read it (`session`: a reader's)."""
    today = ctx.clock.today()
    due = session.connection().execute(NEXT_DUE, {"case_id": case.id}).scalar()
    data = policy.case_view(actor, case)
    data.update(
        stage_label=stage_label(ctx, case),
        my_roles=sorted(r.value for r in actor.roles),
        next_due=due,
        overdue=due is not None and due < today,
    )
    return data


# --- routes -----------------------------------------------------------------------------------


@router.get("/cases", response_model=Page[CaseSummary], summary="List the cases I may see")
def list_cases(
    ctx: CtxDep,
    actor: ActorDep,
    page: PageDep,
    stage: Annotated[str | None, Query(max_length=60, description="Only cases at this stage")] = None,
    overdue: Annotated[
        bool | None, Query(description="Only cases with (true) / without (false) an overdue deadline")
    ] = None,
    role: Annotated[CaseRoleName | None, Query(description="Only cases where I hold this role")] = None,
    mine: Annotated[bool, Query(description="Only cases I am a member of")] = False,
) -> dict[str, Any]:
    """Cases you may see, newest notification first, with their next deadline."""
    today = ctx.clock.today()
    with ctx.reader() as uow:
        session = uow.session
        query = select(Case).where(policy.case_visibility_clause(session, actor))
        if stage:
            query = query.where(Case.stage == stage)
        if overdue is not None:
            clause = overdue_clause(today)
            query = query.where(clause if overdue else ~clause)
        if role is not None or mine:
            member = select(CaseMember.case_id).where(
                CaseMember.user_id == actor.user_id,
                or_(
                    col(CaseMember.role).not_in([r.value for r in AGENCY_ROLES]),
                    col(CaseMember.agency_id) == actor.agency_id,
                ),
            )
            if role is not None:
                member = member.where(CaseMember.role == role)
            query = query.where(col(Case.id).in_(member))
        query = query.order_by(col(Case.notified_on).desc(), col(Case.ref).desc())
        total_page = paginate(session, query, page, lambda c: c)
        cases: list[Case] = total_page["items"]
        ids = [c.id for c in cases]
        dues = next_due_by_case(session, ids, today)
        roles = roles_by_case(session, actor, ids)
        glob = {r.value for r in actor.global_roles}
        total_page["items"] = [
            {
                "id": c.id,
                "ref": c.ref,
                "title": c.title,
                "review_type": c.review_type,
                "stage": c.stage,
                "stage_label": stage_label(ctx, c),
                "version": c.version,
                "notified_on": c.notified_on,
                "closed_on": c.closed_on,
                "my_roles": sorted(glob | roles.get(c.id, set())),
                "next_due": dues.get(c.id),
                "overdue": c.id in dues and dues[c.id] < today,
            }
            for c in cases
        ]
        return total_page


@router.post(
    "/cases",
    response_model=CaseOut,
    status_code=status.HTTP_201_CREATED,
    response_model_exclude_unset=True,
    summary="Open a case from a notification",
)
def open_case(ctx: CtxDep, me: CurrentUserDep, body: CaseOpenIn) -> dict[str, Any]:
    """Open a case when a death is notified: the one-month decision clock starts on `notified_on`."""
    policy.require(me.actor, Action.CASE_OPEN)
    case = case_service.open_case(
        ctx.uow(),
        actor=me.actor,
        clock=ctx.clock,
        csp_id=me.user.csp_id,
        notified_on=body.notified_on,
        workflow_version=body.workflow_version,
        review_type=body.review_type,
        date_of_death=body.date_of_death,
        date_of_death_precision=body.date_of_death_precision,
        police_force_area=body.police_force_area,
        summary=body.summary,
        people=[case_service.PersonInput(**p.model_dump()) for p in body.people],
        facts=facts_of(body.notification),
    )
    with ctx.reader() as uow:
        fresh = case_lookup.get_case(uow.session, case_id=case.id)
        acting = policy.require_case_access(uow.session, me.actor, fresh)
        return case_out(ctx, uow.session, acting, fresh)


def facts_of(
    body: NotificationFactsIn, base: case_service.NotificationFacts | None = None
) -> case_service.NotificationFacts:
    """The service's facts from a body: the fields sent over `base` (all of them if no base)."""
    sent = body.model_dump(include=body.model_fields_set if base is not None else None)
    merged = {**(base.__dict__ if base is not None else {}), **sent}
    known = set(case_service.NotificationFacts.__dataclass_fields__)
    facts = {k: v for k, v in merged.items() if k in known}
    for choice in ("death_type", "criminal_status"):
        facts[choice] = facts.get(choice) or ""
    if facts.get("children_involved") is not True and "children_count" not in sent:
        facts["children_count"] = None  # "no children" (or not known) clears a number recorded before
    return case_service.NotificationFacts(**facts)


def stored_facts(session: Session, case: Case) -> case_service.NotificationFacts:
    """The notification facts recorded for a case (all blank if none were)."""
    row = session.get(CaseNotification, case.id)
    if row is None:
        return case_service.NotificationFacts()
    known = case_service.NotificationFacts.__dataclass_fields__
    return case_service.NotificationFacts(**{k: getattr(row, k) for k in known})


def notification_out(session: Session, case: Case) -> dict[str, Any]:
    facts = stored_facts(session, case).__dict__
    return {
        **facts,
        "death_type": facts["death_type"] or None,
        "criminal_status": facts["criminal_status"] or None,
        "notified_on": case.notified_on,
        "date_of_death": case.date_of_death,
        "version": case.version,
    }


@router.get(
    "/cases/{ref}/notification", response_model=NotificationFactsOut, summary="The notification facts"
)
def read_notification(
    ctx: CtxDep, access: Annotated[CaseAccess, Depends(case_access(Action.CASE_SUMMARY))]
) -> dict[str, Any]:
    """Who notified the partnership and when, the death, the investigation and the children."""
    with ctx.reader() as uow:
        return notification_out(uow.session, access.case)


@router.patch(
    "/cases/{ref}/notification", response_model=NotificationFactsOut, summary="Change the notification facts"
)
def change_notification(
    ctx: CtxDep,
    access: Annotated[CaseAccess, Depends(case_access(Action.CASE_OPEN))],
    body: NotificationFactsPatch,
) -> dict[str, Any]:
    """Change the facts sent (the others stay); the change is recorded in the case history.
    409 if the case has moved past `expected_version`."""
    case = access.case
    with ctx.reader() as uow:
        base = stored_facts(uow.session, case)
    date_of_death = body.date_of_death if "date_of_death" in body.model_fields_set else case.date_of_death
    case_service.update_notification(
        ctx.uow(),
        actor=access.actor,
        clock=ctx.clock,
        ref=case.ref,
        facts=facts_of(body, base),
        date_of_death=date_of_death,
        expected_version=body.expected_version,
    )
    with ctx.reader() as uow:
        return notification_out(uow.session, case_lookup.get_case(uow.session, case_id=case.id))


def read_case(ctx: AppContext, access: CaseAccess) -> dict[str, Any]:
    """The body of GET /cases/{ref} for an access already checked (the scale benchmark's entry)."""
    with ctx.reader() as uow:
        return case_out(ctx, uow.session, access.actor, access.case)


def _read_checked_case(request: CaseRequest) -> dict[str, Any]:
    with request.ctx.reader() as uow:
        access = request.check(uow.session)
        return case_out(request.ctx, uow.session, access.actor, access.case)


@router.get(
    "/cases/{ref}",
    response_model=CaseOut,
    response_model_exclude_unset=True,
    summary="Read one case",
    name="read_case",
)
async def get_case(
    request: Annotated[CaseRequest, Depends(case_request(Action.CASE_VIEW))],
) -> dict[str, Any]:
    """One case; fields your role may not read are left out. A case you may not see is a 404."""
    # One read transaction on one turn of the worker thread: the account, the case, the caller's
    # roles and the next deadline. The body is checked against CaseOut on the event loop.
    return await run_in_threadpool(_read_checked_case, request)


@router.get(
    "/cases/{ref}/people",
    response_model=Page[PersonOut],
    response_model_exclude_unset=True,
    summary="The people of a case",
)
def list_people(
    ctx: CtxDep,
    access: Annotated[CaseAccess, Depends(case_access(Action.PEOPLE_VIEW))],
    page: PageDep,
) -> dict[str, Any]:
    """Victim, perpetrator, family and friends by pseudonym.

    Real identities only for roles that may read them.
    """
    with ctx.reader() as uow:
        query = (
            select(Person).where(Person.case_id == access.case.id).order_by(col(Person.role), col(Person.id))
        )
        body = paginate(uow.session, query, page, lambda p: policy.person_view(access.actor, p))
    if any(name in person for person in body["items"] for name in policy.RESTRICTED_PERSON_FIELDS):
        record_read(
            ctx, actor=access.actor, interface=Interface.API, kind=ReadKind.REAL_NAMES, case_id=access.case.id
        )
    return body


@router.get("/cases/{ref}/triggers", response_model=Page[TriggerOut], summary="What I may do now")
def list_triggers(
    ctx: CtxDep,
    access: Annotated[CaseAccess, Depends(case_access(Action.CASE_TRIGGERS))],
    page: PageDep,
) -> dict[str, Any]:
    """The triggers of the case's current stage: may your roles fire each, and which guards block it."""
    case = access.case
    definition = ctx.workflows.get(case.workflow_key, case.workflow_version)
    with ctx.reader() as uow:
        flow = CaseFlow(
            case,
            definition,
            access.actor,
            facts=SqlCaseFacts(uow.session, case.id),
            effective_on=ctx.clock.today(),
        )
        items = [
            {
                "trigger": t.trigger,
                "label": t.label,
                "dest": t.dest,
                "permitted": t.permitted,
                "can_fire": t.can_fire,
                "blocked_by": list(t.blocked_by),
                "requires_reason": t.requires_reason,
            }
            for t in flow.available_triggers()
        ]
    items.sort(key=lambda t: (not t["can_fire"], not t["permitted"], t["trigger"]))
    return paginate_list(items, page)


def fire(
    ctx: AppContext,
    access: CaseAccess,
    trigger: str,
    body_version: int,
    reason: str,
    effective_on: date | None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fire one trigger for the caller (checks the version and their role first, then the service)."""
    case = access.case
    if case.version != body_version:
        raise StaleCase(
            f"the case is at version {case.version}, not {body_version}; reload it and try again",
            field="expected_version",
        )
    definition = ctx.workflows.get(case.workflow_key, case.workflow_version)
    case_service.require_role(definition, case.stage, trigger, access.actor)
    fired = case_service.fire_trigger(
        ctx.uow(),
        actor=access.actor,
        clock=ctx.clock,
        trigger=trigger,
        case_id=case.id,
        effective_on=effective_on,
        reason=reason,
        expected_version=body_version,
        payload=payload,
    )
    # The case as the trigger's transaction committed it; a trigger does not change who may see it
    # or the caller's roles on it, so the access checked above still holds.
    with ctx.reader() as uow:
        return case_out(ctx, uow.session, access.actor, fired)


def _fire_checked(request: CaseRequest, trigger: str, body: FireIn) -> dict[str, Any]:
    with request.ctx.reader() as uow:
        access = request.check(uow.session)
    return fire(
        request.ctx, access, trigger, body.expected_version, body.reason, body.effective_on, body.payload
    )


@router.post(
    "/cases/{ref}/triggers/{trigger}",
    response_model=CaseOut,
    response_model_exclude_unset=True,
    summary="Fire a trigger",
)
async def fire_trigger(
    request: Annotated[CaseRequest, Depends(case_request(Action.CASE_FIRE))],
    trigger: TriggerPath,
    body: FireIn,
) -> dict[str, Any]:
    """Move the case on. 409 if the case has moved past `expected_version`, or a guard blocks the
    trigger (the guard names come back in `guards`); 403 if your roles may not fire it."""
    # One turn of the worker thread for the access check, the trigger and the case as it is now.
    return await run_in_threadpool(_fire_checked, request, trigger, body)


@router.get("/cases/{ref}/timeline", response_model=Page[EventOut], summary="The audit timeline")
def timeline(
    ctx: CtxDep,
    access: Annotated[CaseAccess, Depends(case_access(Action.AUDIT_VIEW))],
    page: PageDep,
) -> dict[str, Any]:
    """Every recorded event of the case in order (agency roles: the stage moves only)."""
    with ctx.reader() as uow:
        query = select(AuditEvent).where(AuditEvent.case_id == access.case.id)
        if not policy.may(access.actor, Action.AUDIT_VIEW_FULL):
            query = query.where(col(AuditEvent.kind).in_(sorted(policy.PUBLIC_EVENT_KINDS)))
        query = query.order_by(col(AuditEvent.seq))
        return paginate(uow.session, query, page, lambda e: policy.event_view(access.actor, e))


@router.get("/cases/{ref}/deadlines", response_model=Page[DeadlineOut], summary="Deadlines, explained")
def deadlines(
    ctx: CtxDep,
    access: Annotated[CaseAccess, Depends(case_access(Action.DEADLINES_VIEW))],
    page: PageDep,
    open_only: Annotated[bool, Query(description="Only deadlines still open")] = False,
) -> dict[str, Any]:
    """Each deadline with the rule, anchor date, bank holidays skipped and pauses that set its date."""
    case = access.case
    today = ctx.clock.today()
    try:
        definition = ctx.workflows.get(case.workflow_key, case.workflow_version)
    except Exception:
        definition = None
    with ctx.reader() as uow:
        session = uow.session
        rows = deadline_service.list_for_case(session, case.id)
        if open_only:
            rows = [r for r in rows if r.status == "open"]
        rows = policy.visible_deadlines(session, access.actor, rows)
        agencies = agencies_of(session, rows)
        items = []
        for row in rows:
            why = deadline_service.explain(session, row, definition, today)
            why = replace(why, label=titled(why.label, agencies.get(row.id)))
            items.append(
                {
                    "id": row.id,
                    "key": row.key,
                    "label": row.label,
                    "status": why.status,
                    "owner_role": row.owner_role,
                    "subject_type": row.subject_type,
                    "subject_id": row.subject_id,
                    "anchor_on": row.anchor_on,
                    "statutory_due": row.statutory_due,
                    "adjusted_due": why.adjusted_due,
                    "due": format_date(why.adjusted_due) if why.adjusted_due else "paused",
                    "overdue": why.status == "open" and bool(why.adjusted_due and why.adjusted_due < today),
                    "explanation": why.lines(),
                    "agency": DeadlineAgencyOut.of(agencies.get(row.id)),
                }
            )
    return paginate_list(items, page)

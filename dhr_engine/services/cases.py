"""Cases: open one from a notification, fire triggers, see what may be fired now."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import Clock
from dhr_engine.domain.roles import Role
from dhr_engine.errors import (
    CaseNotFound,
    PermissionDenied,
    StaleCase,
    TransitionBlocked,
    TransitionNotAllowed,
    ValidationFailed,
)
from dhr_engine.persistence.facts import SqlCaseFacts
from dhr_engine.persistence.tables import Case, CaseMember, Csp, Person, User
from dhr_engine.services import deadlines as deadline_service
from dhr_engine.services.audit import append_event
from dhr_engine.services.deadline_ops import apply_ops
from dhr_engine.services.deadlines import DeadlineClock
from dhr_engine.services.outbox import queue_outbox_item
from dhr_engine.services.unit_of_work import UnitOfWork
from dhr_engine.workflow.definition import WorkflowDefinition
from dhr_engine.workflow.flow import AvailableTrigger, CaseFlow
from dhr_engine.workflow.machine import fire

DEFAULT_WORKFLOW = ("dhr", "2016.1")
CSP_OVERRIDES = Csp.__table__.c.deadline_overrides  # type: ignore[attr-defined]
REVIEW_TYPES = {"dhr", "dardr"}


@dataclass(frozen=True)
class PersonInput:
    role: str
    pseudonym: str
    real_name: str = ""
    date_of_birth: date | None = None
    age_at_death: int | None = None
    sex: str = ""
    relationship: str = ""
    address: str = ""  # RESTRICTED
    contact_details: str = ""  # RESTRICTED


def get_case(session: Session, *, case_id: uuid.UUID | None = None, ref: str | None = None) -> Case:
    """Return one case by id or reference, or raise CaseNotFound."""
    case = None
    if case_id is not None:
        case = session.get(Case, case_id)
    elif ref is not None:
        case = session.exec(select(Case).where(Case.ref == ref)).first()
    if case is None:
        raise CaseNotFound("no such case", field="ref" if ref else "case_id")
    return case


def _case_for_update_query(*, by_ref: bool, lock: bool) -> Select[Case, Any]:
    """The case (by id or reference) with its CSP's local deadline durations, in one statement."""
    key: BindParameter[Any] = bindparam("key")
    query = (
        select(Case, CSP_OVERRIDES)
        .join(Csp, col(Csp.id) == col(Case.csp_id))
        .where(col(Case.ref) == key if by_ref else col(Case.id) == key)
    )
    return query.with_for_update(of=Case) if lock else query


# Built once: the statements every command runs, keyed by (by reference, lock the row).
_CASE_FOR_UPDATE = {
    (by_ref, lock): _case_for_update_query(by_ref=by_ref, lock=lock)
    for by_ref in (False, True)
    for lock in (False, True)
}


def get_case_for_update(
    uow: UnitOfWork, case_id: uuid.UUID | None, ref: str | None, *, expected_version: int | None = None
) -> Case:
    """Load the case for a write and raise its version once for this command.

    On PostgreSQL the row is locked until commit; on both databases the UPDATE also checks the
    version it read, so a concurrent writer gets StaleCase instead of overwriting. The CSP's local
    deadline durations come with it, for the deadlines the command may open.
    """
    query = _CASE_FOR_UPDATE[(case_id is None, uow.dialect == "postgresql")]
    found = uow.session.execute(query, {"key": case_id if case_id is not None else ref}).first()
    if found is None:
        raise CaseNotFound("no such case", field="ref" if ref else "case_id")
    case: Case = found[0]
    overrides: dict[str, Any] | None = found[1]
    deadline_service.remember_csp_overrides(uow.session, case.csp_id, overrides)
    if expected_version is not None and case.version != expected_version:
        raise StaleCase(
            f"the case is at version {case.version}, not {expected_version}; reload it and try again",
            field="expected_version",
        )
    case.version += 1
    return case


def actor_on_case(session: Session, actor: Actor, case_id: uuid.UUID) -> Actor:
    """The actor with their roles on this case (from case membership)."""
    if actor.user_id is None:
        return actor
    rows = session.exec(
        select(CaseMember.role).where(CaseMember.case_id == case_id, CaseMember.user_id == actor.user_id)
    ).all()
    return actor.on_case(frozenset(Role(r) for r in rows))


def require_case_role(
    session: Session, actor: Actor, case: Case, roles: frozenset[Role], doing: str
) -> Actor:
    """The actor with their case roles, if any of them (or a global role) allows this; else refuse."""
    acting = actor_on_case(session, actor, case.id)
    if not acting.has_any(roles):
        names = " or ".join(sorted(r.value.replace("_", " ") for r in roles))
        raise PermissionDenied(f"only a {names} may {doing}", field="role")
    return acting


def actor_for_user(user: User) -> Actor:
    return Actor.for_user(
        user_id=user.id,
        global_roles=user.global_roles,
        agency_id=user.agency_id,
        label=user.display_name,
        csp_id=user.csp_id,
    )


def _next_ref(session: Session, year: int) -> str:
    prefix = f"DHR-{year}-"
    count = session.exec(select(func.count()).where(col(Case.ref).startswith(prefix))).one()
    return f"{prefix}{int(count) + 1:03d}"


def open_case(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    csp_id: uuid.UUID | None = None,
    notified_on: date,
    workflow_version: str | None = None,
    review_type: str = "dhr",
    date_of_death: date | None = None,
    date_of_death_precision: str = "day",
    police_force_area: str = "",
    summary: str = "",
    people: Sequence[PersonInput] = (),
) -> Case:
    """Open a case from a notification; the decision clock starts on the notification date."""
    if not actor.has_any({Role.CSP_OFFICER, Role.ADMIN}):
        raise PermissionDenied("only a CSP officer may open a case", field="role")
    today = clock.today()
    deadline_service.validate_effective_date(notified_on, today)
    if date_of_death and date_of_death > notified_on:
        raise ValidationFailed(
            "the date of death cannot be after the notification date", field="date_of_death"
        )
    if review_type not in REVIEW_TYPES:
        raise ValidationFailed("review type must be 'dhr' or 'dardr'", field="review_type")
    definition = uow.workflows.get(DEFAULT_WORKFLOW[0], workflow_version or DEFAULT_WORKFLOW[1])
    with uow:
        session = uow.session
        csp = session.get(Csp, csp_id) if csp_id else session.exec(select(Csp)).first()
        if csp is None:
            raise ValidationFailed(
                "no such Community Safety Partnership; run 'dhr init' first", field="csp_id"
            )
        case = Case(
            ref=_next_ref(session, notified_on.year),
            csp_id=csp.id,
            workflow_key=definition.key,
            workflow_version=definition.version,
            review_type=review_type,
            stage=definition.initial,
            stage_entered_on=notified_on,
            notified_on=notified_on,
            date_of_death=date_of_death,
            date_of_death_precision=date_of_death_precision,
            police_force_area=police_force_area or csp.police_force_area,
            summary=summary,
        )
        session.add(case)
        session.flush()  # the case row first: its children reference it
        victim = next((p for p in people if p.role == "victim"), None)
        year = date_of_death.year if date_of_death else notified_on.year
        place = csp.name.removesuffix(" Community Safety Partnership")
        case.title = f"{victim.pseudonym if victim else 'Unnamed'} - {place} - {year} - {review_type.upper()}"
        for p in people:
            session.add(Person(case_id=case.id, **p.__dict__))
        now = clock.now()
        append_event(
            session,
            case,
            kind="case_opened",
            actor=actor,
            effective_on=notified_on,
            recorded_at=now,
            data={"stage": case.stage, "workflow_version": definition.version, "ref": case.ref},
        )
        calendar = deadline_service.bank_holidays(session, uow.holiday_subdivision)
        for key in definition.initial_deadlines:
            row = deadline_service.open_deadline(
                session,
                case,
                definition,
                key,
                anchor_on=notified_on,
                anchor_event="notification received",
                calendar=calendar,
            )
            _audit_deadline(session, case, actor, notified_on, now, "deadline_opened", row)
        for code in definition.initial_letters:
            _queue_letter(session, case, code, "case_opened", actor, notified_on, now)
        uow.commit()
        return case


def _audit_deadline(
    session: Session, case: Case, actor: Actor, on: date, now: datetime, kind: str, row: DeadlineClock
) -> None:
    append_event(
        session,
        case,
        kind=kind,
        actor=actor,
        effective_on=on,
        recorded_at=now,
        data={
            "key": row.key,
            "status": row.status,
            "statutory_due": row.statutory_due.isoformat(),
            "adjusted_due": row.adjusted_due.isoformat(),
        },
    )


def _queue_letter(
    session: Session, case: Case, code: str, trigger: str, actor: Actor, on: date, now: datetime
) -> None:
    queue_outbox_item(
        session,
        case_id=case.id,
        kind="letter",
        topic=code,
        available_at=now,
        payload={"case_id": str(case.id), "letter": code, "trigger": trigger, "effective_on": on.isoformat()},
    )
    append_event(
        session,
        case,
        kind="letter_queued",
        actor=actor,
        effective_on=on,
        recorded_at=now,
        data={"letter": code, "trigger": trigger},
    )


def allowed_roles(definition: WorkflowDefinition, stage: str, trigger: str) -> frozenset[Role]:
    """The roles the workflow lets fire this trigger from this stage (deny by default)."""
    if trigger not in definition.triggers:
        raise TransitionNotAllowed(f"'{trigger}' is not a trigger of this workflow", field="trigger")
    candidates = definition.transitions_for(trigger, stage)
    if not candidates:
        raise TransitionNotAllowed(f"'{trigger}' cannot be fired from stage '{stage}'", field="trigger")
    return frozenset(r for t in candidates for r in t.roles)


def require_role(definition: WorkflowDefinition, stage: str, trigger: str, actor: Actor) -> None:
    """Deny by default: the actor must hold a role the workflow names for this transition."""
    allowed = allowed_roles(definition, stage, trigger)
    if not actor.has_any(allowed):
        raise PermissionDenied(
            f"'{trigger}' may be fired only by: {', '.join(sorted(r.value for r in allowed))}; you hold: "
            f"{', '.join(sorted(r.value for r in actor.roles)) or 'no role on this case'}",
            field="role",
        )


def fire_trigger(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    trigger: str,
    case_id: uuid.UUID | None = None,
    ref: str | None = None,
    effective_on: date | None = None,
    reason: str = "",
    expected_version: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Case:
    """Apply one workflow trigger to a case, atomically: stage, audit, deadlines and outbox together."""
    today = clock.today()
    on = effective_on or today
    with uow:
        session = uow.session
        case = get_case_for_update(uow, case_id, ref, expected_version=expected_version)
        deadline_service.validate_effective_date(on, today, not_before=case.stage_entered_on)
        definition = uow.workflows.get(case.workflow_key, case.workflow_version)
        # Case roles are read only when the user's global roles do not already allow the trigger.
        allowed = allowed_roles(definition, case.stage, trigger)
        acting = actor if actor.has_any(allowed) else actor_on_case(session, actor, case.id)
        require_role(definition, case.stage, trigger, acting)
        if (
            any(t.requires_reason for t in definition.transitions_for(trigger, case.stage))
            and not reason.strip()
        ):
            raise ValidationFailed(f"'{trigger}' needs a reason", field="reason")
        flow = CaseFlow(
            case,
            definition,
            acting,
            facts=SqlCaseFacts(session, case.id),
            effective_on=on,
            reason=reason,
            payload=payload,
        )
        # Everything is written in one flush at commit rather than whenever a query runs.
        with session.no_autoflush:
            if not fire(definition, flow, trigger):
                raise TransitionBlocked(trigger, sorted(set(flow.effects.failed_guards)))
            _persist_effects(uow, case, definition, flow, acting, on=on, now=clock.now(), trigger=trigger)
        uow.commit()
        return case


def _persist_effects(
    uow: UnitOfWork,
    case: Case,
    definition: WorkflowDefinition,
    flow: CaseFlow,
    actor: Actor,
    *,
    on: date,
    now: datetime,
    trigger: str,
) -> None:
    session = uow.session
    case.stage_entered_on = on
    if definition.state(case.stage).terminal:
        case.closed_on = on
    for draft in flow.effects.events:
        append_event(
            session, case, kind=draft.kind, actor=actor, effective_on=on, recorded_at=now, data=draft.data
        )
    calendar = deadline_service.bank_holidays(session, uow.holiday_subdivision)
    label = definition.state(case.stage).label
    done = apply_ops(
        session,
        case,
        definition,
        flow.effects.deadline_ops,
        on=on,
        anchor_event=f"{label.lower()} ({trigger})",
        calendar=calendar,
    )
    for kind, row in done:
        _audit_deadline(session, case, actor, on, now, kind, row)
    for code in flow.effects.letters:
        _queue_letter(session, case, code, trigger, actor, on, now)
    session.add(case)


def available_triggers(
    session: Session, case: Case, definition: WorkflowDefinition, actor: Actor, today: date
) -> list[AvailableTrigger]:
    """What this actor may fire now, and which guards block the rest."""
    acting = actor_on_case(session, actor, case.id)
    flow = CaseFlow(case, definition, acting, facts=SqlCaseFacts(session, case.id), effective_on=today)
    return flow.available_triggers()


def describe_date(day: date | None) -> str:
    return format_date(day) if day else "not recorded"

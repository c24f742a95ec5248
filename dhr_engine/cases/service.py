"""Cases: open one from a notification, fire triggers, see what may be fired now."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from dhr_engine.audit.service import append_event
from dhr_engine.auth.actors import actor_on_case
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.ops import apply_ops
from dhr_engine.deadlines.service import DeadlineClock
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import Clock
from dhr_engine.domain.notification import CRIMINAL_STATUSES, DEATH_TYPES, MAX_CHILDREN
from dhr_engine.domain.roles import Role
from dhr_engine.errors import (
    PermissionDenied,
    TransitionBlocked,
    TransitionNotAllowed,
    ValidationFailed,
)
from dhr_engine.outbox.service import queue_outbox_item
from dhr_engine.persistence.case_lookup import get_case_for_update
from dhr_engine.persistence.facts import SqlCaseFacts
from dhr_engine.persistence.tables import Case, Csp, Person
from dhr_engine.persistence.tables_notification import CaseNotification
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.workflow.definition import WorkflowDefinition
from dhr_engine.workflow.flow import AvailableTrigger, CaseFlow
from dhr_engine.workflow.machine import fire

DEFAULT_WORKFLOW = ("dhr", "2016.1")
REVIEW_TYPES = {"dhr", "dardr"}
PERSON_ROLES = frozenset({"victim", "perpetrator", "family", "friend", "other"})


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


@dataclass(frozen=True)
class NotificationFacts:
    """What the notification of a death said, beyond its date and the date of death."""

    notifier_organisation: str = ""
    notifier_name: str = ""
    place_of_death: str = ""  # a town or area, never an address
    death_type: str = ""  # DEATH_TYPES
    sio_name: str = ""
    sio_force: str = ""
    sio_contact: str = ""  # work e-mail or phone
    criminal_status: str = ""  # CRIMINAL_STATUSES
    children_involved: bool | None = None
    children_count: int | None = None


# How each fact is named to the user (errors, the case history).
FACT_LABELS = {
    "notifier_organisation": "the organisation that notified",
    "notifier_name": "the person who notified",
    "place_of_death": "the place of death",
    "death_type": "the type of death",
    "sio_name": "the senior investigating officer's name",
    "sio_force": "the senior investigating officer's force",
    "sio_contact": "the senior investigating officer's e-mail or phone",
    "criminal_status": "the criminal proceedings",
    "children_involved": "whether children are involved",
    "children_count": "the number of children",
    "date_of_death": "the date of death",
}
FACT_LIMITS = {
    "notifier_organisation": 200,
    "notifier_name": 200,
    "place_of_death": 200,
    "sio_name": 200,
    "sio_force": 200,
    "sio_contact": 200,
}


def check_facts(facts: NotificationFacts) -> NotificationFacts:
    """The facts as stored (text trimmed), or ValidationFailed naming the first field at fault."""
    texts = {name: str(getattr(facts, name)).strip() for name in FACT_LIMITS}
    for name, limit in FACT_LIMITS.items():
        if len(texts[name]) > limit:
            raise ValidationFailed(f"{FACT_LABELS[name]} must be {limit} characters or fewer", field=name)
    if any(ch.isdigit() for ch in texts["place_of_death"]):
        raise ValidationFailed(
            "the place of death must be a town or area, not an address", field="place_of_death"
        )
    if facts.death_type and facts.death_type not in DEATH_TYPES:
        raise ValidationFailed(
            f"the type of death must be one of: {', '.join(DEATH_TYPES)}", field="death_type"
        )
    if facts.criminal_status and facts.criminal_status not in CRIMINAL_STATUSES:
        raise ValidationFailed(
            f"the criminal proceedings must be one of: {', '.join(CRIMINAL_STATUSES)}",
            field="criminal_status",
        )
    count = facts.children_count
    if count is not None:
        if facts.children_involved is not True:
            raise ValidationFailed(
                "give the number of children only when children are involved", field="children_count"
            )
        if not 1 <= count <= MAX_CHILDREN:
            raise ValidationFailed(
                f"the number of children must be between 1 and {MAX_CHILDREN}", field="children_count"
            )
    return NotificationFacts(
        **texts,
        death_type=facts.death_type,
        criminal_status=facts.criminal_status,
        children_involved=facts.children_involved,
        children_count=count,
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
    facts: NotificationFacts | None = None,
) -> Case:
    """Open a case from a notification; the decision clock starts on the notification date."""
    if not actor.has_any({Role.CSP_OFFICER, Role.ADMIN}):
        raise PermissionDenied("only a CSP officer may open a case", field="role")
    checked = check_facts(facts or NotificationFacts())
    for index, p in enumerate(people):
        if not p.pseudonym.strip():
            raise ValidationFailed("each person needs a pseudonym", field=f"people.{index}.pseudonym")
        if p.role not in PERSON_ROLES:
            raise ValidationFailed(
                f"a person's role must be one of: {', '.join(sorted(PERSON_ROLES))}",
                field=f"people.{index}.role",
            )
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
        session.add(CaseNotification(case_id=case.id, **checked.__dict__))
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


def update_notification(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    ref: str,
    facts: NotificationFacts,
    date_of_death: date | None,
    expected_version: int | None = None,
) -> list[str]:
    """Change the notification facts of a case (and its date of death); returns what changed.

    Audited with the names of the facts that changed, never their values.
    """
    checked = check_facts(facts)
    with uow:
        session = uow.session
        case = get_case_for_update(uow, None, ref, expected_version=expected_version)
        if not actor_on_case(session, actor, case.id).has_any({Role.CSP_OFFICER, Role.ADMIN}):
            raise PermissionDenied("only a CSP officer may change the notification", field="role")
        if date_of_death and date_of_death > case.notified_on:
            raise ValidationFailed(
                "the date of death cannot be after the notification date", field="date_of_death"
            )
        row = session.get(CaseNotification, case.id) or CaseNotification(case_id=case.id)
        changed = [name for name, value in checked.__dict__.items() if getattr(row, name) != value]
        if case.date_of_death != date_of_death:
            changed.append("date_of_death")
            case.date_of_death = date_of_death
            case.date_of_death_precision = "day"
        if not changed:
            return []
        for name, value in checked.__dict__.items():
            setattr(row, name, value)
        row.updated_at = clock.now()
        session.add(row)
        session.add(case)
        append_event(
            session,
            case,
            kind="notification_changed",
            actor=actor,
            effective_on=clock.today(),
            recorded_at=clock.now(),
            data={"changed": [FACT_LABELS[name] for name in changed]},
        )
        uow.commit()
        return changed


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
    named = next((t.anchor for t in definition.transitions if t.trigger == trigger and t.anchor), "")
    anchor_event = named or definition.state(case.stage).label.lower()
    done = apply_ops(
        session,
        case,
        definition,
        flow.effects.deadline_ops,
        on=on,
        anchor_event=anchor_event,
        calendar=calendar,
        recorded_at=now,
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

"""Request returns from agencies and move each one through workflows/agency_return.yaml.

Every function is one transaction that locks the parent case (its version is raised), changes
the request and appends an audit event to the case's chain.

Due dates. Requesting opens a deadline row on the case (key by kind: scoping_reply, imr_return,
chronology_return, short_report_return, action_plan_progress_return; subject = the request), on
the statutory calendar of the case's workflow. The row is CLOSED WHEN THE AGENCY'S SENIOR MANAGER
SIGNS THE RETURN OFF: that is the moment the agency has delivered what it was asked for (a
submission still waiting for its own manager's sign-off is not yet returned). When the chair asks
for changes a new row of the same key opens, anchored on that day, and closes at the next
sign-off. Withdrawing a request cancels its row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from dhr_engine.agencies.queries import agencies_without_contacts, contact_users, no_contact_warning
from dhr_engine.audit.service import append_event
from dhr_engine.cases.service import require_role
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.notifications import EMAIL_TOPIC
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.agency_contacts import CONTACT_KINDS
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import Clock
from dhr_engine.domain.return_kinds import KINDS, RETURN_WORKFLOW, SUBJECT_TYPE, return_kind
from dhr_engine.errors import Conflict, NotFound, TransitionBlocked, ValidationFailed
from dhr_engine.persistence.case_lookup import get_case_for_update
from dhr_engine.persistence.facts import FINISHED_RETURN_STAGES, SqlCaseFacts
from dhr_engine.persistence.tables import (
    Agency,
    Case,
    CaseAgency,
    CaseMember,
    Deadline,
    OutboxItem,
    ReturnRequest,
)
from dhr_engine.persistence.tables_returns import ChronologyEntry, ReturnAttachment, ReturnVersion
from dhr_engine.persistence.tables_scheduler import Notification
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.returns.access import RequestScope, case_actor, load_request, require_requester
from dhr_engine.workflow.definition import WorkflowDefinition
from dhr_engine.workflow.flow import CaseFlow
from dhr_engine.workflow.machine import fire

MAX_NOTE = 2000
MAX_TEXT = 200_000
SUBMIT_TRIGGERS = frozenset({"submit", "resubmit"})
CONTACT_ANSWERS = ("yes", "no")


@dataclass(frozen=True)
class Submission:
    """What the agency sends with a submission (attachments and chronology are on the draft)."""

    text: str = ""  # the IMR, short report or progress narrative, or notes of a scoping reply
    change_note: str = ""  # what changed since the last version (needed from version 2 on)
    contact: str | None = None  # scoping reply: did the agency have contact? yes | no
    records_secured_on: date | None = None  # scoping reply: the day records were secured


# --- loading -------------------------------------------------------------------------------------


def load_for_update(
    uow: UnitOfWork, actor: Actor, request_id: uuid.UUID, *, expected_version: int | None = None
) -> RequestScope:
    """A visible request with its case locked for this command (case version raised once)."""
    scope = load_request(uow.session, actor, request_id)
    case = get_case_for_update(uow, scope.case.id, None)
    request = scope.request
    if expected_version is not None and request.version != expected_version:
        raise Conflict(
            f"the request is at version {request.version}, not {expected_version}; reload it and try again",
            field="expected_version",
        )
    return RequestScope(request, case, scope.actor)


def latest_version(session: Session, request_id: uuid.UUID) -> ReturnVersion | None:
    query = (
        select(ReturnVersion)
        .where(ReturnVersion.request_id == request_id)
        .order_by(col(ReturnVersion.number).desc())
    )
    return session.exec(query).first()


def due_row(session: Session, request: ReturnRequest) -> Deadline | None:
    """The request's newest deadline row (open, met or cancelled)."""
    query = (
        select(Deadline)
        .where(Deadline.case_id == request.case_id, Deadline.subject_id == request.id)
        .order_by(col(Deadline.opened_at).desc(), col(Deadline.statutory_due).desc())
    )
    return session.exec(query).first()


def return_definition(uow: UnitOfWork) -> WorkflowDefinition:
    return uow.workflows.get(*RETURN_WORKFLOW)


# --- requesting ----------------------------------------------------------------------------------


def request_returns(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    case_id: uuid.UUID,
    agency_ids: Sequence[uuid.UUID],
    kind: str,
    note: str = "",
    requested_on: date | None = None,
) -> list[ReturnRequest]:
    """Ask agencies for a return of one kind; each request gets its due date and request letter."""
    spec = return_kind(kind)
    if not agency_ids:
        raise ValidationFailed("name at least one agency", field="agency_ids")
    if len(set(agency_ids)) != len(agency_ids):
        raise ValidationFailed("an agency is named twice", field="agency_ids")
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"the note is longer than {MAX_NOTE} characters", field="note")
    today = clock.today()
    on = requested_on or today
    with uow:
        session = uow.session
        case = get_case_for_update(uow, case_id, None)
        acting = case_actor(session, actor, case)
        require_requester(acting)
        deadline_service.validate_effective_date(on, today, not_before=case.notified_on)
        if case.closed_on is not None:
            raise ValidationFailed("the review is closed; no more returns can be requested", field="case")
        definition = uow.workflows.get(case.workflow_key, case.workflow_version)
        if spec.deadline_key not in definition.deadlines:
            raise ValidationFailed(
                f"workflow {definition.version} has no due-date rule for this kind of return", field="kind"
            )
        initial = return_definition(uow).initial
        calendar = deadline_service.bank_holidays(session, uow.holiday_subdivision)
        now = clock.now()
        made = []
        for agency_id in agency_ids:
            agency = session.get(Agency, agency_id)
            if agency is None or agency.csp_id not in (None, case.csp_id):
                raise NotFound("no such agency in this partnership", field="agency_ids")
            _refuse_duplicate(session, case.id, agency.id, kind)
            request = ReturnRequest(
                case_id=case.id,
                agency_id=agency.id,
                kind=kind,
                stage=initial,
                requested_on=on,
                note=note.strip(),
            )
            session.add(request)
            session.flush()
            row = deadline_service.open_deadline(
                session,
                case,
                definition,
                spec.deadline_key,
                anchor_on=on,
                anchor_event=f"{spec.label.lower()} requested",
                calendar=calendar,
                subject_type=SUBJECT_TYPE,
                subject_id=request.id,
            )
            _note_involvement(session, case.id, agency.id, kind)
            told = _tell_contacts(session, case, agency, request, row, spec.label, now)
            audit_request(
                session,
                case,
                acting,
                on,
                now,
                "return_requested",
                request,
                deadline_key=row.key,
                statutory_due=row.statutory_due.isoformat(),
                adjusted_due=row.adjusted_due.isoformat(),
                contacts_told=told,
            )
            made.append(request)
        # One letter request for the batch: the letters service drafts one letter per agency.
        _queue_letter(session, case, acting, on, now, made, spec.letter)
        session.add(case)
        uow.commit()
        return made


def _tell_contacts(
    session: Session,
    case: Case,
    agency: Agency,
    request: ReturnRequest,
    row: Deadline,
    label: str,
    now: Any,
) -> int:
    """Tell the agency's named DHR contacts of the request: an in-app notification each, and an
    e-mail through the outbox for each with an address (the 'deadline_notice' e-mail, composed
    from the notification). Case reference, agency, kind of return and due date only."""
    people = contact_users(session, agency.id)
    title = f"{case.ref}: {agency.name} is asked for {_article(label)} {label.lower()}"
    body = (
        f"{agency.name} has been asked for {_article(label)} {label.lower()} on case {case.ref}, "
        f"due on {format_date(row.adjusted_due)}. You are named as one of its DHR contacts, so you "
        f"can open the request: sign in to dhr-engine and go to Agency returns (/returns/{request.id})."
    )
    for person in people:
        note = Notification(
            user_id=person.id,
            case_id=case.id,
            deadline_id=row.id,
            kind="return_request",
            title=title[:300],
            body=body[:2000],
            created_at=now,
        )
        if person.email:
            item = OutboxItem(
                case_id=case.id, kind="email", topic=EMAIL_TOPIC, payload={"notification_id": str(note.id)}
            )
            session.add(item)
            note.email_item_id = item.id
        session.add(note)
    return len(people)


def _article(label: str) -> str:
    return "an" if label[:1].lower() in "aeiou" or label.startswith("IMR") else "a"


def contact_warnings(session: Session, agency_ids: Sequence[uuid.UUID]) -> list[str]:
    """One warning for each of these agencies that has no DHR contact (nobody there is told)."""
    return [no_contact_warning(a) for a in agencies_without_contacts(session, agency_ids)]


def _refuse_duplicate(session: Session, case_id: uuid.UUID, agency_id: uuid.UUID, kind: str) -> None:
    open_one = session.exec(
        select(ReturnRequest.id).where(
            ReturnRequest.case_id == case_id,
            ReturnRequest.agency_id == agency_id,
            ReturnRequest.kind == kind,
            col(ReturnRequest.stage).not_in(sorted(FINISHED_RETURN_STAGES)),
        )
    ).first()
    if open_one is not None:
        raise Conflict(
            "that agency already has an open request of this kind on this case", field="agency_ids"
        )


def _note_involvement(session: Session, case_id: uuid.UUID, agency_id: uuid.UUID, kind: str) -> None:
    """Record the agency as involved in the case, with what it contributes."""
    row = session.exec(
        select(CaseAgency).where(CaseAgency.case_id == case_id, CaseAgency.agency_id == agency_id)
    ).first()
    if row is None:
        row = CaseAgency(case_id=case_id, agency_id=agency_id)
    if kind in {"imr", "chronology", "short_report"} and row.contribution in {"none", "chronology"}:
        row.contribution = kind if row.contribution == "none" or kind == "imr" else row.contribution
    session.add(row)


def _queue_letter(
    session: Session,
    case: Case,
    actor: Actor,
    on: date,
    now: Any,
    requests: list[ReturnRequest],
    letter: str,
) -> None:
    request_ids = [str(r.id) for r in requests]
    session.add(
        OutboxItem(
            case_id=case.id,
            kind="letter",
            topic=letter,
            payload={
                "case_id": str(case.id),
                "letter": letter,
                "trigger": "return_requested",
                "effective_on": on.isoformat(),
                "agency_ids": [str(r.agency_id) for r in requests],
                "return_request_ids": request_ids,
            },
        )
    )
    append_event(
        session,
        case,
        kind="letter_queued",
        actor=actor,
        effective_on=on,
        recorded_at=now,
        data={"letter": letter, "trigger": "return_requested", "return_request_ids": request_ids},
    )


def audit_request(
    session: Session,
    case: Case,
    actor: Actor,
    on: date,
    now: Any,
    kind: str,
    request: ReturnRequest,
    **data: Any,
) -> None:
    append_event(
        session,
        case,
        kind=kind,
        actor=actor,
        effective_on=on,
        recorded_at=now,
        data={
            "return_request_id": str(request.id),
            "agency_id": str(request.agency_id),
            "return_kind": request.kind,
            **data,
        },
    )


# --- the lifecycle -------------------------------------------------------------------------------


def fire_return(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    request_id: uuid.UUID,
    trigger: str,
    reason: str = "",
    effective_on: date | None = None,
    submission: Submission | None = None,
    expected_version: int | None = None,
) -> ReturnRequest:
    """Fire one step of agency_return.yaml on a request, with that step's effects, atomically."""
    today = clock.today()
    on = effective_on or today
    if len(reason) > 4000:
        raise ValidationFailed("the comment is longer than 4000 characters", field="reason")
    with uow:
        session = uow.session
        scope = load_for_update(uow, actor, request_id, expected_version=expected_version)
        request, case, acting = scope.request, scope.case, scope.actor
        deadline_service.validate_effective_date(on, today, not_before=request.requested_on)
        definition = return_definition(uow)
        if trigger == "submit" and request.stage == "changes_requested":
            trigger = "resubmit"
        require_role(definition, request.stage, trigger, acting)
        tdefs = definition.transitions_for(trigger, request.stage)
        if any(t.requires_reason for t in tdefs) and not reason.strip():
            raise ValidationFailed(f"'{trigger}' needs a comment saying why", field="reason")
        if trigger in SUBMIT_TRIGGERS and submission is None:
            raise ValidationFailed("a submission needs its content", field="submission")
        source = request.stage
        flow = CaseFlow(
            request,
            definition,
            acting,
            facts=SqlCaseFacts(session, case.id),
            effective_on=on,
            reason=reason,
        )
        if not fire(definition, flow, trigger):
            raise TransitionBlocked(trigger, sorted(set(flow.effects.failed_guards)))
        # The flow's deadline effects are not applied: they would act on the case's own
        # deadlines. A return's deadline row is handled below, by step.
        now = clock.now()
        extra = _apply_step(uow, scope, trigger, on, now, reason.strip(), submission)
        request.version += 1
        session.add(request)
        audit_request(
            session,
            case,
            acting,
            on,
            now,
            "return_stage_changed",
            request,
            trigger=trigger,
            from_stage=source,
            to_stage=request.stage,
            reason=reason.strip(),
            **extra,
        )
        session.add(case)
        uow.flush()
        uow.commit()
        return request


def submit_return(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    request_id: uuid.UUID,
    submission: Submission,
    effective_on: date | None = None,
) -> ReturnRequest:
    """Submit a new version for sign-off (a resubmission when the chair asked for changes)."""
    return fire_return(
        uow,
        actor=actor,
        clock=clock,
        request_id=request_id,
        trigger="submit",
        effective_on=effective_on,
        submission=submission,
    )


def _apply_step(
    uow: UnitOfWork,
    scope: RequestScope,
    trigger: str,
    on: date,
    now: Any,
    comment: str,
    submission: Submission | None,
) -> dict[str, Any]:
    """The effects of one step beyond the stage itself; returns what the audit event records."""
    session, request, case, actor = uow.session, scope.request, scope.case, scope.actor
    spec = KINDS[request.kind]
    if trigger in SUBMIT_TRIGGERS and submission is not None:
        made = _new_version(session, request, actor, on, now, submission)
        return {
            "version": made.number,
            "attachments": len(made.content["attachments"]),
            "chronology_entries": made.content["chronology_entries"],
        }
    version = latest_version(session, request.id)
    number = version.number if version else None
    if trigger == "sign_off" and version is not None:
        version.signed_off_on = on
        version.signed_off_by_label = actor.label
        session.add(version)
        closed = deadline_service.close_by_key(session, case.id, spec.deadline_key, on, subject_id=request.id)
        return {"version": number, "deadline_status": closed[0].status if closed else None}
    if trigger in {"accept", "request_changes"} and version is not None:
        version.review_outcome = "accepted" if trigger == "accept" else "changes_requested"
        version.review_comment = comment
        version.reviewed_on = on
        version.reviewed_by_label = actor.label
        session.add(version)
        if trigger == "accept":
            if request.kind == "scoping_reply":
                _record_scoping_answer(session, request, version)
            return {"version": number}
        definition = uow.workflows.get(case.workflow_key, case.workflow_version)
        row = deadline_service.open_deadline(
            session,
            case,
            definition,
            spec.deadline_key,
            anchor_on=on,
            anchor_event="changes requested by the chair",
            calendar=deadline_service.bank_holidays(session, uow.holiday_subdivision),
            subject_type=SUBJECT_TYPE,
            subject_id=request.id,
        )
        return {"version": number, "adjusted_due": row.adjusted_due.isoformat()}
    if trigger == "withdraw":
        deadline_service.close_by_key(
            session, case.id, spec.deadline_key, on, subject_id=request.id, status="cancelled"
        )
    return {"version": number}


def _record_scoping_answer(session: Session, request: ReturnRequest, version: ReturnVersion) -> None:
    """An accepted scoping reply says whether the agency had contact: note it on the case."""
    contact = version.content.get("contact")
    if contact not in CONTACT_ANSWERS:
        return
    row = session.exec(
        select(CaseAgency).where(
            CaseAgency.case_id == request.case_id, CaseAgency.agency_id == request.agency_id
        )
    ).first() or CaseAgency(case_id=request.case_id, agency_id=request.agency_id)
    row.contact = str(contact)
    session.add(row)


def _new_version(
    session: Session, request: ReturnRequest, actor: Actor, on: date, now: Any, sub: Submission
) -> ReturnVersion:
    """Freeze the draft (text, answers, attachments, chronology) as the next immutable version."""
    text = sub.text.strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"the text is longer than {MAX_TEXT} characters", field="text")
    if len(sub.change_note) > MAX_NOTE:
        raise ValidationFailed(f"say what changed in at most {MAX_NOTE} characters", field="change_note")
    count = session.exec(
        select(func.count()).select_from(ReturnVersion).where(ReturnVersion.request_id == request.id)
    ).one()
    number = int(count) + 1
    if number > 1 and not sub.change_note.strip():
        raise ValidationFailed(f"say what changed since version {number - 1}", field="change_note")
    attachments = draft_attachments(session, request.id)
    entries = draft_entries(session, request.id)
    content: dict[str, Any] = {"text": text}
    if request.kind == "scoping_reply":
        content.update(_scoping_answer(sub, on))
    elif request.kind == "chronology" and not entries:
        raise ValidationFailed("the chronology has no entries yet", field="chronology")
    elif request.kind in {"imr", "short_report"} and not (text or attachments):
        raise ValidationFailed("attach the report or write it in the text", field="text")
    elif request.kind == "action_plan_progress" and not text:
        raise ValidationFailed("say what progress has been made", field="text")
    content["attachments"] = [
        {
            "id": str(a.id),
            "filename": a.filename,
            "media_type": a.media_type,
            "size": a.size,
            "sha256": a.sha256,
        }
        for a in attachments
    ]
    content["chronology_entries"] = len(entries)
    version = ReturnVersion(
        request_id=request.id,
        case_id=request.case_id,
        agency_id=request.agency_id,
        number=number,
        submitted_on=on,
        submitted_at=now,
        submitted_by=actor.user_id,
        submitted_by_label=actor.label,
        change_note=sub.change_note.strip(),
        content=content,
    )
    session.add(version)
    session.flush()
    for entry in entries:
        frozen = ChronologyEntry.model_validate(
            entry.model_dump(exclude={"id", "version_id"}) | {"version_id": version.id}
        )
        session.add(frozen)
    return version


def _scoping_answer(sub: Submission, on: date) -> dict[str, Any]:
    if sub.contact not in CONTACT_ANSWERS:
        raise ValidationFailed("say whether the agency had contact: yes or no", field="contact")
    if sub.contact == "yes" and sub.records_secured_on is None:
        raise ValidationFailed(
            "say on which day the agency's records were secured", field="records_secured_on"
        )
    if sub.records_secured_on is not None and sub.records_secured_on > on:
        raise ValidationFailed(
            f"records cannot be secured after the reply ({format_date(on)})", field="records_secured_on"
        )
    return {
        "contact": sub.contact,
        "records_secured_on": sub.records_secured_on.isoformat() if sub.records_secured_on else None,
    }


def draft_attachments(session: Session, request_id: uuid.UUID) -> list[ReturnAttachment]:
    query = select(ReturnAttachment).where(
        ReturnAttachment.request_id == request_id, col(ReturnAttachment.removed_on).is_(None)
    )
    return list(session.exec(query.order_by(col(ReturnAttachment.uploaded_at))).all())


def draft_entries(session: Session, request_id: uuid.UUID) -> list[ChronologyEntry]:
    query = select(ChronologyEntry).where(
        ChronologyEntry.request_id == request_id, col(ChronologyEntry.version_id).is_(None)
    )
    return list(session.exec(query.order_by(col(ChronologyEntry.position))).all())


# --- chasing -------------------------------------------------------------------------------------

CHASE_ROLES = ("agency_author", "agency_manager")
ESCALATION_ROLES = ("agency_manager",)


def chase_return(
    uow: UnitOfWork,
    *,
    actor: Actor,
    clock: Clock,
    request_id: uuid.UUID,
    escalate: bool = False,
    note: str = "",
) -> OutboxItem:
    """Chase an agency for its return (an e-mail to its author and manager on the case), or
    escalate it to the agency's senior manager and the CSP chair. Queued in the outbox."""
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"the note is longer than {MAX_NOTE} characters", field="note")
    today = clock.today()
    with uow:
        session = uow.session
        scope = load_for_update(uow, actor, request_id)
        request, case, acting = scope.request, scope.case, scope.actor
        require_requester(acting)
        if request.stage in FINISHED_RETURN_STAGES:
            raise ValidationFailed("the return is finished; there is nothing to chase", field="request_id")
        open_rows = deadline_service.find_open(session, case.id, subject_id=request.id)
        due = open_rows[0].adjusted_due if open_rows else None
        roles = ESCALATION_ROLES if escalate else CHASE_ROLES
        recipients = list(
            session.exec(
                select(CaseMember.user_id).where(
                    CaseMember.case_id == case.id,
                    CaseMember.agency_id == request.agency_id,
                    col(CaseMember.role).in_(roles),
                )
            ).all()
        )
        # and the agency's named DHR contacts whose kind holds one of those roles
        kinds = [k for k, c in CONTACT_KINDS.items() if c.role.value in roles]
        recipients += [u.id for u in contact_users(session, request.agency_id, kinds=kinds)]
        agency = session.get(Agency, request.agency_id)
        payload: dict[str, Any] = {
            "case_id": str(case.id),
            "return_request_id": str(request.id),
            "agency_id": str(request.agency_id),
            "return_kind": request.kind,
            "due": due.isoformat() if due else None,
            "user_ids": sorted({str(u) for u in recipients}),
            "note": note.strip(),
        }
        if escalate:
            payload["cc_roles"] = ["csp_chair"]
            payload["emails"] = (
                [agency.senior_manager_email] if agency and agency.senior_manager_email else []
            )
        item = OutboxItem(
            case_id=case.id,
            kind="email",
            topic="return_escalation" if escalate else "return_chase",
            payload=payload,
        )
        session.add(item)
        audit_request(
            session,
            case,
            acting,
            today,
            clock.now(),
            "return_escalated" if escalate else "return_chased",
            request,
            due=payload["due"],
            days_overdue=(today - due).days if due and today > due else 0,
        )
        session.add(case)
        uow.commit()
        return item

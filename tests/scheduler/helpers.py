"""Helpers for the scheduler tests: a case with its decision deadline, counting what was sent."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import col, select

from dhr_engine.cases import service as cases
from dhr_engine.context import AppContext
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence.tables import AuditEvent, Case, CaseMember, Deadline, OutboxItem, ReturnRequest
from dhr_engine.persistence.tables_scheduler import DeadlineNotice, Notification


def open_case(ctx: AppContext, ref: Reference, notified_on: date) -> Case:
    return cases.open_case(ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, notified_on=notified_on)


def deadline(ctx: AppContext, case_id: uuid.UUID, key: str = "csp_decision") -> Deadline:
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.key == key)
        ).all()
    assert len(rows) == 1
    return rows[0]


def noon(clock: FakeClock, day: date) -> datetime:
    clock.set(FakeClock.on(day).now())
    return clock.now()


def notices(ctx: AppContext, deadline_id: uuid.UUID) -> list[DeadlineNotice]:
    with ctx.reader() as uow:
        return list(
            uow.session.exec(
                select(DeadlineNotice)
                .where(DeadlineNotice.deadline_id == deadline_id)
                .order_by(col(DeadlineNotice.claimed_at), col(DeadlineNotice.rung))
            ).all()
        )


def rungs(ctx: AppContext, deadline_id: uuid.UUID) -> list[str]:
    return [n.rung for n in notices(ctx, deadline_id) if n.status in ("sent", "unaddressed")]


def notified_users(ctx: AppContext, notice_id: uuid.UUID) -> set[uuid.UUID]:
    with ctx.reader() as uow:
        return set(
            uow.session.exec(select(Notification.user_id).where(Notification.notice_id == notice_id)).all()
        )


def count(ctx: AppContext, model: type, *where: object) -> int:
    with ctx.reader() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[call-overload]


def audit_kinds(ctx: AppContext, case_id: uuid.UUID) -> list[str]:
    with ctx.reader() as uow:
        return list(
            uow.session.exec(
                select(AuditEvent.kind).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.seq))
            ).all()
        )


def email_items(ctx: AppContext) -> list[OutboxItem]:
    with ctx.reader() as uow:
        return list(uow.session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).all())


def request_imr(ctx: AppContext, ref: Reference, case_id: uuid.UUID, agency: str, on: date) -> Deadline:
    """An IMR asked of one agency, with its deadline row (subject_type 'return_request')."""
    with ctx.uow() as uow:
        session = uow.session
        case = session.get(Case, case_id)
        assert case is not None
        request = ReturnRequest(
            case_id=case.id, agency_id=ref.agencies[agency].id, kind="imr", requested_on=on
        )
        session.add(request)
        session.flush()
        row = deadline_service.open_deadline(
            session,
            case,
            uow.workflows.get(case.workflow_key, case.workflow_version),
            "imr_return",
            anchor_on=on,
            anchor_event="IMR requested",
            calendar=deadline_service.bank_holidays(session),
            subject_type="return_request",
            subject_id=request.id,
        )
        uow.commit()
        return row


def add_member(ctx: AppContext, ref: Reference, case_id: uuid.UUID, username: str, role: str) -> None:
    with ctx.uow() as uow:
        user = ref.users[username]
        uow.session.add(CaseMember(case_id=case_id, user_id=user.id, role=role, agency_id=user.agency_id))
        uow.commit()

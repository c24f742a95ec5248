"""Audit every change to a plan: on the review's case chain, or in the plan's own record.

A review's action plan belongs to its case, so its changes join the case's hash-chained audit
trail (audit.service.append_event). A priority plan has no case; its changes go to
PlanAuditRecord, an append-only sequence per plan (nothing updates or deletes its rows).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from dhr_engine.audit.service import append_event
from dhr_engine.domain.actor import Actor
from dhr_engine.persistence.tables import Case, Deadline
from dhr_engine.persistence.tables_plans import Plan, PlanAuditRecord


def record_change(
    session: Session,
    plan: Plan,
    case: Case | None,
    *,
    kind: str,
    actor: Actor,
    effective_on: date,
    recorded_at: datetime,
    data: dict[str, Any],
) -> None:
    """Append one audit entry for a change to the plan, in the caller's transaction."""
    body = {"plan_id": str(plan.id), **data}
    if case is not None:
        append_event(
            session,
            case,
            kind=kind,
            actor=actor,
            effective_on=effective_on,
            recorded_at=recorded_at,
            data=body,
        )
        session.add(case)
        return
    last = session.exec(select(func.max(PlanAuditRecord.seq)).where(PlanAuditRecord.plan_id == plan.id)).one()
    session.add(
        PlanAuditRecord(
            plan_id=plan.id,
            seq=int(last or 0) + 1,
            kind=kind,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            effective_on=effective_on,
            recorded_at=recorded_at,
            data=body,
        )
    )


def record_deadline(
    session: Session,
    plan: Plan,
    case: Case,
    *,
    kind: str,
    row: Deadline,
    actor: Actor,
    effective_on: date,
    recorded_at: datetime,
) -> None:
    """Audit a deadline row the plan opened or closed (same shape as the case's own)."""
    record_change(
        session,
        plan,
        case,
        kind=kind,
        actor=actor,
        effective_on=effective_on,
        recorded_at=recorded_at,
        data={
            "key": row.key,
            "status": row.status,
            "subject_type": row.subject_type,
            "subject_id": str(row.subject_id) if row.subject_id else None,
            "statutory_due": row.statutory_due.isoformat(),
            "adjusted_due": row.adjusted_due.isoformat(),
        },
    )


def plan_history(session: Session, plan: Plan) -> list[PlanAuditRecord]:
    """The audit record of a priority plan, oldest first."""
    query = select(PlanAuditRecord).where(PlanAuditRecord.plan_id == plan.id)
    return list(session.exec(query.order_by(col(PlanAuditRecord.seq))).all())

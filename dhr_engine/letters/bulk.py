"""Bulk letters: every action-plan progress request (C21) of a quarter, one per case and lead agency.

Running it again for the same quarter drafts only what is missing (a request already drafted,
approved or sent for that case, agency and quarter is skipped), so an interrupted run can resume.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlmodel import col, select

from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.letter_codes import LetterCode
from dhr_engine.errors import DhrError, ValidationFailed
from dhr_engine.letters import service as letter_service
from dhr_engine.persistence.tables import Agency, Case
from dhr_engine.persistence.tables_letters import Letter
from dhr_engine.persistence.tables_plans import FINISHED_ACTION_STAGES, Plan, PlanAction

C21 = LetterCode.C21_ACTION_PLAN_PROGRESS_REQUEST
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Quarter:
    key: str  # "2026-Q4"
    first_day: date

    @property
    def label(self) -> str:
        last = self.first_day + relativedelta(months=2)
        return f"{self.first_day.strftime('%B')} to {last.strftime('%B %Y')}"


def parse_quarter(text: str) -> Quarter:
    """'2026-Q4' -> the quarter October to December 2026."""
    match = QUARTER.match(text.strip().upper())
    if not match:
        raise ValidationFailed("write the quarter as YYYY-Qn, e.g. 2026-Q4", field="quarter")
    year, number = int(match[1]), int(match[2])
    return Quarter(f"{year}-Q{number}", date(year, 3 * (number - 1) + 1, 1))


@dataclass(frozen=True)
class Target:
    case_id: uuid.UUID
    case_ref: str
    agency_id: uuid.UUID
    agency_name: str


def progress_targets(ctx: AppContext) -> list[Target]:
    """Every (case, lead agency) pair with at least one open action in the case's action plan."""
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(Case.id, Case.ref, Agency.id, Agency.name)
            .join(Plan, col(Plan.case_id) == col(Case.id))
            .join(PlanAction, col(PlanAction.plan_id) == col(Plan.id))
            .join(Agency, col(Agency.id) == col(PlanAction.lead_agency_id))
            .where(col(PlanAction.stage).not_in(FINISHED_ACTION_STAGES), col(Case.closed_on).is_(None))
            .distinct()
        ).all()
    return sorted((Target(*row) for row in rows), key=lambda t: (t.case_ref, t.agency_name))


def _already_drafted(ctx: AppContext, target: Target, quarter: Quarter) -> bool:
    with ctx.reader() as uow:
        found = uow.session.exec(
            select(Letter.id).where(
                Letter.case_id == target.case_id,
                Letter.code == C21.value,
                Letter.agency_id == target.agency_id,
                Letter.batch_key == quarter.key,
                Letter.status != "cancelled",
            )
        ).first()
    return found is not None


@dataclass
class BulkResult:
    drafted: list[Target] = field(default_factory=list)
    skipped: list[Target] = field(default_factory=list)
    failed: list[tuple[Target, str]] = field(default_factory=list)


def draft_progress_requests(
    ctx: AppContext,
    *,
    actor: Actor,
    quarter: str,
    on_progress: Callable[[Target], None] | None = None,
) -> BulkResult:
    """Draft the quarter's progress requests; each letter is its own transaction."""
    period = parse_quarter(quarter)
    result = BulkResult()
    for target in progress_targets(ctx):
        if _already_drafted(ctx, target, period):
            result.skipped.append(target)
        else:
            request = letter_service.DraftRequest(
                code=C21.value,
                agency_id=target.agency_id,
                batch_key=period.key,
                fields={"period": period.label},
            )
            try:
                letter_service.draft_letter(ctx, actor=actor, request=request, case_id=target.case_id)
                result.drafted.append(target)
            except DhrError as err:
                result.failed.append((target, "; ".join(f"{i.field}: {i.msg}" for i in err.items)))
        if on_progress is not None:
            on_progress(target)
    return result

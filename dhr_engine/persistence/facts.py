"""CaseFacts for guards, answered by queries on the case's own rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import Session, col, select

from dhr_engine.persistence.tables import CaseMember, FamilyContact, ParallelProceeding, ReturnRequest

FINISHED_RETURN_STAGES = frozenset({"accepted", "withdrawn"})

# Other modules (action plans) register extra counters here instead of editing this class.
OPEN_ACTION_COUNTERS: list[Callable[[Session, uuid.UUID], int]] = []


class SqlCaseFacts:
    """What guards may ask about one case; each answer is one small query."""

    def __init__(self, session: Session, case_id: uuid.UUID) -> None:
        self.session = session
        self.case_id = case_id

    def member_roles(self) -> frozenset[str]:
        rows = self.session.exec(select(CaseMember.role).where(CaseMember.case_id == self.case_id))
        return frozenset(rows.all())

    def open_proceedings(self) -> int:
        query = select(func.count()).where(
            ParallelProceeding.case_id == self.case_id,
            col(ParallelProceeding.concluded_on).is_(None),
            col(ParallelProceeding.pauses_review).is_(True),
        )
        return int(self.session.exec(query).one())

    def return_counts(self, kinds: frozenset[str]) -> tuple[int, int]:
        rows = self.session.exec(
            select(ReturnRequest.stage).where(
                ReturnRequest.case_id == self.case_id, col(ReturnRequest.kind).in_(sorted(kinds))
            )
        ).all()
        live = [stage for stage in rows if stage != "withdrawn"]
        return len(live), sum(1 for stage in live if stage in FINISHED_RETURN_STAGES)

    def family_log_kinds(self) -> frozenset[str]:
        rows = self.session.exec(select(FamilyContact.kind).where(FamilyContact.case_id == self.case_id))
        return frozenset(rows.all())

    def open_actions(self) -> int:
        return sum(counter(self.session, self.case_id) for counter in OPEN_ACTION_COUNTERS)

"""The case list: the cases a user may see, filtered by stage, deadline status and own role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from dhr_engine.persistence.tables import Case, CaseMember, Deadline
from dhr_engine.persistence.unit_of_work import UnitOfWork
from dhr_engine.web import access
from dhr_engine.web.deps import Viewer

STATUS_CHOICES = {
    "": "Any",
    "overdue": "With an overdue deadline",
    "open": "Open reviews",
    "closed": "Closed",
}


@dataclass(frozen=True)
class CaseFilters:
    stage: str = ""
    status: str = ""
    mine: bool = False
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.stage or self.status or self.mine or self.q)


@dataclass(frozen=True)
class CaseRow:
    case: Case
    stage_label: str
    next_deadline: Deadline | None
    overdue: int
    my_roles: list[str]


def case_rows(
    uow: UnitOfWork, viewer: Viewer, filters: CaseFilters, today: date
) -> tuple[list[CaseRow], list[tuple[str, str]]]:
    """(rows, stage choices) for the list page."""
    session = uow.session
    rows: list[CaseRow] = []
    stages: dict[str, str] = {}
    for case in access.visible_cases(session, viewer):
        definition = uow.workflows.get(case.workflow_key, case.workflow_version)
        label = definition.state(case.stage).label
        stages.setdefault(case.stage, label)
        if filters.stage and case.stage != filters.stage:
            continue
        if filters.q and filters.q.lower() not in f"{case.ref} {case.title}".lower():
            continue
        open_rows = list(
            session.exec(
                select(Deadline)
                .where(Deadline.case_id == case.id, Deadline.status == "open")
                .order_by(col(Deadline.adjusted_due))
            ).all()
        )
        running = [d for d in open_rows if d.paused_since is None]
        overdue = sum(1 for d in running if d.adjusted_due < today)
        roles = sorted(
            set(
                session.exec(
                    select(CaseMember.role).where(
                        CaseMember.case_id == case.id, CaseMember.user_id == viewer.user_id
                    )
                ).all()
            )
        )
        if filters.status == "overdue" and not overdue:
            continue
        if filters.status == "open" and case.closed_on is not None:
            continue
        if filters.status == "closed" and case.closed_on is None:
            continue
        if filters.mine and not roles:
            continue
        rows.append(CaseRow(case, label, running[0] if running else None, overdue, roles))
    return rows, sorted(stages.items(), key=lambda kv: kv[1])

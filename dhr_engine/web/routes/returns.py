"""Agency returns: what is asked of my agency (or, for case staff, of every agency), by case."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends
from sqlmodel import Session, col, select
from starlette.responses import Response

from dhr_engine.auth import policy
from dhr_engine.persistence.tables import Agency, Case, Deadline, ReturnRequest
from dhr_engine.web import access
from dhr_engine.web.deps import Page, Viewer, WebRoute, signed_in

router = APIRouter(route_class=WebRoute)


@dataclass(frozen=True)
class ReturnRow:
    request: ReturnRequest
    case: Case
    agency: str
    due: Deadline | None


def _rows(session: Session, viewer: Viewer, cases: list[Case]) -> list[ReturnRow]:
    rows = []
    for case in cases:
        acting = viewer.actor.on_case(policy.case_roles(session, viewer.actor, case.id))
        query = (
            select(ReturnRequest)
            .where(ReturnRequest.case_id == case.id, policy.return_visibility_clause(acting))
            .order_by(col(ReturnRequest.requested_on))
        )
        for r in session.exec(query).all():
            agency = session.get(Agency, r.agency_id)
            due = session.exec(
                select(Deadline)
                .where(Deadline.subject_id == r.id, Deadline.case_id == case.id)
                .order_by(col(Deadline.opened_at).desc())
            ).first()
            rows.append(ReturnRow(r, case, agency.name if agency else "", due))
    return rows


@router.get("/returns")
def my_returns(page: Page = Depends(signed_in)) -> Response:
    with page.ctx.reader() as uow:
        cases = access.visible_cases(uow.session, page.me)
        rows = _rows(uow.session, page.me, cases)
    return page.render("web/returns/list.html", {"title": "Agency returns", "rows": rows, "case": None})


@router.get("/cases/{ref}/returns")
def case_returns(ref: str, page: Page = Depends(signed_in)) -> Response:
    with page.ctx.reader() as uow:
        case, _acting = access.open_case(uow.session, page.me, ref)
        rows = _rows(uow.session, page.me, [case])
    return page.render(
        "web/returns/list.html", {"title": f"Agency returns: {case.ref}", "rows": rows, "case": case}
    )

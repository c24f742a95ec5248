"""The 'needs my attention' dashboard: overdue, due soon and escalated, across my cases."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from dhr_engine.deadlines.attention import attention_for
from dhr_engine.web.deps import Page, WebRoute, signed_in

router = APIRouter(route_class=WebRoute)


@router.get("/")
def dashboard(page: Page = Depends(signed_in)) -> Response:
    with page.ctx.reader() as uow:
        board = attention_for(uow, page.me, page.ctx.clock.today())
    return page.render("web/dashboard.html", {"title": "Needs my attention", "board": board})

"""The dashboard: my task lists (what is waiting for me to do) and the deadlines that need my
attention (overdue, due soon and escalated), across the cases I may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from dhr_engine.deadlines.attention import attention_for
from dhr_engine.tasks.queries import tasks_for
from dhr_engine.web.deps import Page, WebRoute, signed_in

router = APIRouter(route_class=WebRoute)


@router.get("/")
def dashboard(page: Page = Depends(signed_in)) -> Response:
    with page.ctx.reader() as uow:
        board = attention_for(uow, page.me, page.ctx.clock.today())
        tasks = tasks_for(uow, page.me.actor)
    return page.render("web/dashboard.html", {"title": "Needs my attention", "board": board, "tasks": tasks})

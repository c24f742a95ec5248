"""My task lists in the JSON API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dhr_engine.api.deps import API_PREFIX, CtxDep, CurrentUserDep, PageDep, paginate_list
from dhr_engine.api.paging import Page
from dhr_engine.tasks.queries import tasks_for
from dhr_engine.tasks.schemas import TaskOut, task_items

router = APIRouter(prefix=API_PREFIX, tags=["me"])


@router.get("/me/tasks", response_model=Page[TaskOut], summary="My task lists")
def my_tasks(ctx: CtxDep, me: CurrentUserDep, page: PageDep) -> dict[str, Any]:
    """What is waiting for you across every case you may see, list by list: returns for your
    sign-off (`sign_off`), returns due from your agency (`returns_due`), letters you may approve,
    never your own drafts (`letters_to_approve`), signed-off returns you may accept
    (`returns_to_accept`). Each task links to the web page where it is done."""
    with ctx.reader() as uow:
        items = task_items(tasks_for(uow, me.actor))
    return paginate_list(items, page)

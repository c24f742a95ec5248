"""Administration: the read log of sensitive records (/admin/reads, administrators only)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, select
from starlette.responses import Response

from dhr_engine.audit import reads
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.errors import ValidationFailed
from dhr_engine.persistence.tables import User
from dhr_engine.web.deps import Page, WebRoute, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)

PER_PAGE = 50
MAX_PAGE = 20_000  # 1,000,000 rows: the API's largest offset


def _link(case: str, user: str, number: int) -> str:
    query = {k: v for k, v in (("case", case), ("user", user)) if v}
    if number > 1:
        query["page"] = str(number)
    return "/admin/reads" + (f"?{urlencode(query)}" if query else "")


@router.get("/admin/reads")
def read_log(
    page: Page = Depends(signed_in),
    case: str = "",
    user: str = "",
    at: Annotated[str, Query(alias="page")] = "1",
) -> Response:
    """Who read real names, the family log, chronologies, returns, attachments and letters."""
    policy.require(page.me.actor, Action.AUDIT_READS)
    form = FormState(values={"case": case.strip(), "user": user.strip()})
    raw_page = at.strip() or "1"
    current = int(raw_page) if raw_page.isdigit() and len(raw_page) < 9 else 0
    if not 1 <= current <= MAX_PAGE:
        form.general.append(f"The page must be a whole number from 1 to {MAX_PAGE:,}")
        current = 1
    if len(form.value("case")) > 40:
        form.add("case", "A case reference is 40 characters or fewer")
    if len(form.value("user")) > 80:
        form.add("user", "A user name is 80 characters or fewer")
    found = reads.ReadPage([], 0)
    with page.ctx.reader() as uow:
        users = list(uow.session.exec(select(User).order_by(col(User.display_name))).all())
        if form.ok:
            try:
                found = reads.list_reads(
                    uow.session,
                    case_ref=form.value("case"),
                    username=form.value("user"),
                    limit=PER_PAGE,
                    offset=(current - 1) * PER_PAGE,
                )
            except ValidationFailed as err:
                form.absorb(err)
    last = max(1, -(-found.total // PER_PAGE))
    case_ref, username = form.value("case"), form.value("user")
    pages = {
        "previous": {"href": _link(case_ref, username, current - 1)} if current > 1 else None,
        "next": {"href": _link(case_ref, username, current + 1)} if current < last else None,
    }
    return page.render(
        "web/admin/reads.html",
        {
            "title": "Who read sensitive records",
            "rows": found.rows,
            "total": found.total,
            "first": (current - 1) * PER_PAGE + 1,
            "current": current,
            "last": last,
            "pages": pages,
            "users": users,
            "form": form,
            "filtered": bool(case_ref or username),
        },
        status=200 if form.ok else 400,
    )

"""Case sub-page: members (who holds which role on the case)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.auth.policy import Action
from dhr_engine.cases.pages import subpage_view
from dhr_engine.domain.roles import CASE_ROLES
from dhr_engine.errors import DhrError
from dhr_engine.members import service as member_service
from dhr_engine.web.deps import Page, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)


# --- members ---------------------------------------------------------------------------------


@router.get("/cases/{ref}/members")
def members(ref: str, page: Page = Depends(signed_in)) -> Response:
    case, extra = subpage_view(page, ref, Action.MEMBERS_VIEW)
    return page.render(
        "web/cases/members.html",
        {"title": f"Members of {case.ref}", "case": case, "form": FormState(), "roles": _roles(), **extra},
    )


def _roles() -> list[str]:
    return sorted(r.value for r in CASE_ROLES)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@router.post("/cases/{ref}/members")
def add_member(
    ref: str, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    case, extra = subpage_view(page, ref, Action.MEMBERS_MANAGE)
    form = FormState.from_form(form_data)
    user_id = _uuid(form.require("user_id", "Select the person to add"))
    role = form.require("role", "Select the role they hold on this case")
    if form.ok and user_id is not None:
        try:
            member_service.add_member(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                case_id=case.id,
                user_id=user_id,
                role=role,
            )
        except DhrError as err:
            form.absorb(err)
        else:
            page.flash(f"Added as {role.replace('_', ' ')}.")
            return page.redirect(f"/cases/{ref}/members")
    elif user_id is None and "user_id" not in form.errors:
        form.add("user_id", "Select the person to add")
    case, extra = subpage_view(page, ref, Action.MEMBERS_VIEW)
    return page.render(
        "web/cases/members.html",
        {"title": f"Members of {case.ref}", "case": case, "form": form, "roles": _roles(), **extra},
        status=400,
    )


@router.post("/cases/{ref}/members/{member_id}/remove")
def remove_member(
    ref: str, member_id: uuid.UUID, page: Page = Depends(signed_in), _f: FormData = Depends(checked_form)
) -> Response:
    case, _extra = subpage_view(page, ref, Action.MEMBERS_MANAGE)
    member_service.remove_member(
        page.ctx.uow(), actor=page.me.actor, clock=page.ctx.clock, case_id=case.id, member_id=member_id
    )
    page.flash("Member removed from the case.")
    return page.redirect(f"/cases/{ref}/members")


# --- parallel proceedings --------------------------------------------------------------------


# --- family engagement log ----------------------------------------------------------------------

"""Case sub-pages: members, parallel proceedings (pause and resume), the family engagement log."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Depends
from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.auth.policy import Action
from dhr_engine.domain.roles import CASE_ROLES
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import Case, User
from dhr_engine.services import family as family_service
from dhr_engine.services import members as member_service
from dhr_engine.services import proceedings as proceeding_service
from dhr_engine.web import access
from dhr_engine.web.case_page import load_case_view
from dhr_engine.web.deps import Page, WebRoute, checked_form, form_text, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)


def _view(page: Page, ref: str, action: Action) -> tuple[Case, dict[str, object]]:
    today = page.ctx.clock.today()
    with page.ctx.reader() as uow:
        case, acting = access.open_case(uow.session, page.me, ref, action)
        definition = uow.workflows.get(case.workflow_key, case.workflow_version)
        view = load_case_view(uow.session, case, definition, page.me, acting, today)
        users = list(
            uow.session.exec(
                select(User).where(col(User.is_active).is_(True)).order_by(col(User.display_name))
            ).all()
        )
        extra = {
            "v": view,
            "users": users,
            "may_manage": access.may(acting, Action.MEMBERS_MANAGE),
            "may_proceedings": access.may(acting, Action.PROCEEDINGS_MANAGE),
            "may_family": access.may(acting, Action.FAMILY_MANAGE),
            "may_notes": access.may(acting, Action.PROCEEDINGS_NOTES),
        }
    return case, extra


# --- members ---------------------------------------------------------------------------------


@router.get("/cases/{ref}/members")
def members(ref: str, page: Page = Depends(signed_in)) -> Response:
    case, extra = _view(page, ref, Action.MEMBERS_VIEW)
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
    case, extra = _view(page, ref, Action.MEMBERS_MANAGE)
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
    case, extra = _view(page, ref, Action.MEMBERS_VIEW)
    return page.render(
        "web/cases/members.html",
        {"title": f"Members of {case.ref}", "case": case, "form": form, "roles": _roles(), **extra},
        status=400,
    )


@router.post("/cases/{ref}/members/{member_id}/remove")
def remove_member(
    ref: str, member_id: uuid.UUID, page: Page = Depends(signed_in), _f: FormData = Depends(checked_form)
) -> Response:
    case, _extra = _view(page, ref, Action.MEMBERS_MANAGE)
    member_service.remove_member(
        page.ctx.uow(), actor=page.me.actor, clock=page.ctx.clock, case_id=case.id, member_id=member_id
    )
    page.flash("Member removed from the case.")
    return page.redirect(f"/cases/{ref}/members")


# --- parallel proceedings --------------------------------------------------------------------


def _render_proceedings(page: Page, ref: str, form: FormState, conclude: FormState, status: int) -> Response:
    case, extra = _view(page, ref, Action.PROCEEDINGS_VIEW)
    return page.render(
        "web/cases/proceedings.html",
        {
            "title": f"Parallel proceedings of {case.ref}",
            "case": case,
            "form": form if not form.ok else conclude,
            "record_form": form,
            "conclude_form": conclude,
            "kinds": proceeding_service.KINDS,
            **extra,
        },
        status=status,
    )


@router.get("/cases/{ref}/proceedings")
def proceedings(ref: str, page: Page = Depends(signed_in)) -> Response:
    return _render_proceedings(page, ref, FormState(), FormState(), 200)


@router.post("/cases/{ref}/proceedings")
def record_proceeding(
    ref: str, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    case, _extra = _view(page, ref, Action.PROCEEDINGS_MANAGE)
    form = FormState.from_form(form_data)
    kind = form.require("kind", "Select the kind of proceeding")
    started = form.date_value("started_on", required=True, label="the date it started")
    if form.ok and started is not None:
        try:
            proceeding_service.record_proceeding(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                case_id=case.id,
                kind=kind,
                started_on=started,
                body=form.value("body").strip(),
                reference=form.value("reference").strip(),
                note=form.value("note").strip(),
                pauses_review=form.value("pauses_review", "yes") == "yes",
            )
        except DhrError as err:
            form.absorb(err, {"effective_on": "started_on"})
        else:
            page.flash("Proceeding recorded. To stop the clock, pause the review below.")
            return page.redirect(f"/cases/{ref}/proceedings")
    return _render_proceedings(page, ref, form, FormState(), 400)


@router.post("/cases/{ref}/proceedings/{proceeding_id}/conclude")
def conclude_proceeding(
    ref: str,
    proceeding_id: uuid.UUID,
    page: Page = Depends(signed_in),
    form_data: FormData = Depends(checked_form),
) -> Response:
    case, _extra = _view(page, ref, Action.PROCEEDINGS_MANAGE)
    form = FormState.from_form(form_data)
    concluded = form.date_value("concluded_on", required=True, label="the date it concluded")
    if form.ok and concluded is not None:
        try:
            proceeding_service.conclude_proceeding(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                case_id=case.id,
                proceeding_id=proceeding_id,
                concluded_on=concluded,
                outcome=form_text(form_data, "outcome"),
            )
        except DhrError as err:
            form.absorb(err, {"effective_on": "concluded_on"})
        else:
            page.flash("Proceeding concluded. The chair can now resume the review.")
            return page.redirect(f"/cases/{ref}/proceedings")
    return _render_proceedings(page, ref, FormState(), form, 400)


# --- family engagement log ----------------------------------------------------------------------


@router.get("/cases/{ref}/family")
def family(ref: str, page: Page = Depends(signed_in)) -> Response:
    case, extra = _view(page, ref, Action.FAMILY_VIEW)
    return page.render(
        "web/cases/family.html",
        {"title": f"Family engagement: {case.ref}", "case": case, "form": FormState(), **extra},
    )


@router.post("/cases/{ref}/family")
def record_family(
    ref: str, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    case, extra = _view(page, ref, Action.FAMILY_MANAGE)
    form = FormState.from_form(form_data)
    kind = form.require("kind", "Select what happened")
    occurred: date | None = form.date_value("occurred_on", required=True, label="the date it happened")
    if form.ok and occurred is not None:
        try:
            family_service.record_family_contact(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                case_id=case.id,
                kind=kind,
                occurred_on=occurred,
                note=form.value("note").strip(),
            )
        except DhrError as err:
            form.absorb(err, {"effective_on": "occurred_on"})
        else:
            page.flash("Added to the family engagement log.")
            return page.redirect(f"/cases/{ref}/family")
    return page.render(
        "web/cases/family.html",
        {"title": f"Family engagement: {case.ref}", "case": case, "form": form, **extra},
        status=400,
    )

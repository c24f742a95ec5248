"""Administration: user accounts and partner agencies (admin; officers may look)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.accounts import service as directory
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.domain.roles import GLOBAL_ROLES
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import Agency, User
from dhr_engine.web.deps import Page, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)


def _render(page: Page, user_form: FormState, agency_form: FormState, status: int = 200) -> Response:
    actor = page.me.actor
    policy.require(actor, Action.USERS_VIEW)
    with page.ctx.reader() as uow:
        users = list(uow.session.exec(select(User).order_by(col(User.username))).all())
        agencies = list(uow.session.exec(select(Agency).order_by(col(Agency.name))).all())
        locked_ids = directory.locked_user_ids(uow.session, page.ctx.clock.now())
    names = {a.id: a.name for a in agencies}
    return page.render(
        "web/admin/index.html",
        {
            "title": "Users and agencies",
            "users": users,
            "agencies": agencies,
            "agency_names": names,
            "locked_ids": locked_ids,
            "user_form": user_form,
            "agency_form": agency_form,
            "form": user_form if not user_form.ok else agency_form,
            "global_roles": sorted(r.value for r in GLOBAL_ROLES),
            "agency_kinds": directory.AGENCY_KINDS,
            "may_users": policy.may(actor, Action.USERS_MANAGE),
            "may_agencies": policy.may(actor, Action.AGENCIES_MANAGE),
            "may_reads": policy.may(actor, Action.AUDIT_READS),
        },
        status=status,
    )


@router.get("/admin")
def admin(page: Page = Depends(signed_in)) -> Response:
    return _render(page, FormState(), FormState())


@router.post("/admin/users")
def add_user(page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)) -> Response:
    policy.require(page.me.actor, Action.USERS_MANAGE)
    form = FormState.from_form(form_data)
    username = form.require("username", "Enter a user name")
    display = form.require("display_name", "Enter the person's name")
    raw_password = form_data.get("password")
    password = raw_password if isinstance(raw_password, str) else ""
    form.values.pop("password", None)  # never sent back to the page
    if not password:
        form.add("password", "Enter a first password")
    agency_text = form.value("agency_id")
    roles = [str(v) for v in form_data.getlist("global_roles")]
    if form.ok:
        try:
            with page.ctx.uow() as uow:
                directory.add_user(
                    uow.session,
                    username=username,
                    display_name=display,
                    password=password,
                    email=form.value("email").strip(),
                    global_roles=roles,
                    agency_id=uuid.UUID(agency_text) if agency_text else None,
                )
                uow.commit()
        except DhrError as err:
            form.absorb(err, {"password": "password", "global_roles": "global_roles"})
        else:
            page.flash(f"Account '{username}' created.")
            return page.redirect("/admin")
    return _render(page, form, FormState(), 400)


@router.post("/admin/agencies")
def add_agency(page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)) -> Response:
    policy.require(page.me.actor, Action.AGENCIES_MANAGE)
    form = FormState.from_form(form_data)
    name = form.require("name", "Enter the agency's name")
    kind = form.require("kind", "Select the kind of agency")
    if form.ok:
        try:
            with page.ctx.uow() as uow:
                directory.add_agency(
                    uow.session,
                    name=name,
                    kind=kind,
                    email=form.value("email").strip(),
                    senior_manager_email=form.value("senior_manager_email").strip(),
                )
                uow.commit()
        except DhrError as err:
            form.absorb(err)
        else:
            page.flash(f"Agency '{name}' added.")
            return page.redirect("/admin")
    return _render(page, FormState(), form, 400)

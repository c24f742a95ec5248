"""An agency's DHR contacts page: who is told when the agency is asked for a return (anyone who
may see agencies reads it; an administrator or a CSP officer names and removes contacts)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.agencies import queries
from dhr_engine.agencies import service as contact_service
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.domain.agency_contacts import CONTACT_KINDS
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import User
from dhr_engine.web.deps import Page, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)


def _render(page: Page, agency_id: uuid.UUID, form: FormState, status: int = 200) -> Response:
    actor = page.me.actor
    policy.require(actor, Action.AGENCIES_VIEW)
    with page.ctx.reader() as uow:
        agency = contact_service.agency_in_scope(uow.session, actor, agency_id)
        rows = queries.active_contacts(uow.session, agency.id)
        users = list(
            uow.session.exec(
                select(User)
                .where(User.agency_id == agency.id, col(User.is_active).is_(True))
                .order_by(col(User.display_name))
            ).all()
        )
    return page.render(
        "web/admin/contacts.html",
        {
            "title": f"DHR contacts of {agency.name}",
            "agency": agency,
            "rows": rows,
            "users": users,
            "kinds": CONTACT_KINDS,
            "form": form,
            "may_change": policy.may(actor, Action.AGENCY_CONTACTS),
        },
        status=status,
    )


@router.get("/agencies/{agency_id}/contacts")
def contacts(agency_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    return _render(page, agency_id, FormState())


@router.post("/agencies/{agency_id}/contacts")
def add_contact(
    agency_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    policy.require(page.me.actor, Action.AGENCY_CONTACTS)
    form = FormState.from_form(form_data)
    user_text = form.require("user_id", "Select the person to name")
    kind = form.require("kind", "Select what they are the contact for")
    user_id = None
    if user_text:
        try:
            user_id = uuid.UUID(user_text)
        except ValueError:
            form.add("user_id", "Select the person from the list")
    if form.ok and user_id is not None:
        try:
            contact_service.add_contact(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                agency_id=agency_id,
                user_id=user_id,
                kind=kind,
            )
        except DhrError as err:
            form.absorb(err, {"user": "user_id", "kind": "kind"})
        else:
            page.flash(f"Named as {CONTACT_KINDS[kind].label}.")
            return page.redirect(f"/agencies/{agency_id}/contacts")
    return _render(page, agency_id, form, 400)


@router.post("/agencies/{agency_id}/contacts/{contact_id}/remove")
def remove_contact(
    agency_id: uuid.UUID,
    contact_id: uuid.UUID,
    page: Page = Depends(signed_in),
    _f: FormData = Depends(checked_form),
) -> Response:
    contact_service.remove_contact(
        page.ctx.uow(), actor=page.me.actor, clock=page.ctx.clock, agency_id=agency_id, contact_id=contact_id
    )
    page.flash("Contact removed: they are no longer told of requests and lose that access.")
    return page.redirect(f"/agencies/{agency_id}/contacts")

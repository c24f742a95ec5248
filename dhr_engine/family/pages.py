"""Case sub-page: the family engagement log."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Depends
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.audit.reads import Interface, ReadKind, record_read
from dhr_engine.auth.policy import Action
from dhr_engine.cases.pages import subpage_view
from dhr_engine.errors import DhrError
from dhr_engine.family import service as family_service
from dhr_engine.web.deps import Page, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)


def _record(page: Page, case_id: uuid.UUID) -> None:
    record_read(
        page.ctx, actor=page.me.actor, interface=Interface.WEB, kind=ReadKind.FAMILY_LOG, case_id=case_id
    )


@router.get("/cases/{ref}/family")
def family(ref: str, page: Page = Depends(signed_in)) -> Response:
    case, extra = subpage_view(page, ref, Action.FAMILY_VIEW)
    _record(page, case.id)
    return page.render(
        "web/cases/family.html",
        {"title": f"Family engagement: {case.ref}", "case": case, "form": FormState(), **extra},
    )


@router.post("/cases/{ref}/family")
def record_family(
    ref: str, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    case, extra = subpage_view(page, ref, Action.FAMILY_MANAGE)
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
    _record(page, case.id)  # the page shows the log again, with the form's errors
    return page.render(
        "web/cases/family.html",
        {"title": f"Family engagement: {case.ref}", "case": case, "form": form, **extra},
        status=400,
    )

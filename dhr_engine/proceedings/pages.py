"""Case sub-page: parallel proceedings (record one, pause the review, conclude it, resume)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.auth.policy import Action
from dhr_engine.cases.pages import subpage_view
from dhr_engine.errors import DhrError
from dhr_engine.proceedings import service as proceeding_service
from dhr_engine.web.deps import Page, WebRoute, checked_form, form_text, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)


def _render_proceedings(page: Page, ref: str, form: FormState, conclude: FormState, status: int) -> Response:
    case, extra = subpage_view(page, ref, Action.PROCEEDINGS_VIEW)
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
    case, _extra = subpage_view(page, ref, Action.PROCEEDINGS_MANAGE)
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
    case, _extra = subpage_view(page, ref, Action.PROCEEDINGS_MANAGE)
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

"""Agency returns: what is asked of my agency (or, for case staff, of every agency), asking for
returns, and one request's page with the steps of its lifecycle (acknowledge, submit, sign off,
accept or ask for changes, withdraw, chase)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from fastapi import APIRouter, Depends
from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.agencies.queries import agencies_without_contacts
from dhr_engine.auth import policy
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.errors import DhrError
from dhr_engine.outbox.delivery import delivery_state, emails_about, last_mail_error
from dhr_engine.persistence.tables import Agency
from dhr_engine.returns import service as return_service
from dhr_engine.returns.access import REQUESTERS, case_actor, contact_cases
from dhr_engine.returns.queries import load_request_view, return_rows
from dhr_engine.web import access
from dhr_engine.web.deps import Page, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)
CHASE_EMAILS = {"return_chase": "Reminder", "return_escalation": "Escalation"}


@router.get("/returns")
def my_returns(page: Page = Depends(signed_in)) -> Response:
    with page.ctx.reader() as uow:
        cases = access.visible_cases(uow.session, page.me)
        # and the requests to the user's agency they are a named DHR contact for (not case members)
        seen = {c.id for c in cases}
        named = [c for c in contact_cases(uow.session, page.me.actor) if c.id not in seen]
        rows = return_rows(uow.session, page.me, cases + named)
    closed = {c.id for c in named}
    rows = [replace(r, case_open=r.case.id not in closed) for r in rows]
    rows.sort(key=lambda r: (r.request.stage in {"accepted", "withdrawn"}, r.case.ref, r.agency))
    return page.render(
        "web/returns/list.html", {"title": "Agency returns", "rows": rows, "case": None, "kinds": KINDS}
    )


def _case_returns(page: Page, ref: str, form: FormState, status: int = 200) -> Response:
    with page.ctx.reader() as uow:
        case, _acting = access.open_case(uow.session, page.me, ref)
        acting = case_actor(uow.session, page.me.actor, case)
        rows = return_rows(uow.session, page.me, [case])
        may_request = acting.has_any(REQUESTERS) and case.closed_on is None
        agencies = list(
            uow.session.exec(
                select(Agency)
                .where((col(Agency.csp_id) == case.csp_id) | col(Agency.csp_id).is_(None))
                .order_by(col(Agency.name))
            ).all()
        )
        may_merge = access.may(acting, policy.Action.RETURNS_VIEW_ALL)
        untold = {a.id for a in agencies_without_contacts(uow.session, [a.id for a in agencies])}
    return page.render(
        "web/returns/list.html",
        {
            "title": f"Agency returns: {case.ref}",
            "rows": rows,
            "case": case,
            "kinds": KINDS,
            "may_request": may_request,
            "may_merge": may_merge,
            "agencies": agencies,
            "untold": untold,
            "form": form,
        },
        status=status,
    )


@router.get("/cases/{ref}/returns")
def case_returns(ref: str, page: Page = Depends(signed_in)) -> Response:
    return _case_returns(page, ref, FormState())


@router.post("/cases/{ref}/returns")
def request_returns(
    ref: str, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    kind = form.require("kind", "Select what to ask for")
    chosen = [str(v) for v in form_data.getlist("agency_ids") if isinstance(v, str)]
    ids: list[uuid.UUID] = []
    for text in chosen:
        try:
            ids.append(uuid.UUID(text))
        except ValueError:
            form.add("agency_ids", "Select agencies from the list")
    if not chosen:
        form.add("agency_ids", "Select at least one agency")
    note = form.value("note").strip()
    if form.ok:
        with page.ctx.reader() as uow:
            case, _acting = access.open_case(uow.session, page.me, ref)
        try:
            made = return_service.request_returns(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                case_id=case.id,
                agency_ids=ids,
                kind=kind,
                note=note,
            )
        except DhrError as err:
            form.absorb(err, {"agency_ids": "agency_ids", "kind": "kind", "note": "note"})
        else:
            label = KINDS[kind].label.lower() if kind in KINDS else kind
            count = len(made)
            with page.ctx.reader() as uow:
                warnings = return_service.contact_warnings(uow.session, [r.agency_id for r in made])
            told = " Their DHR contacts are told." if len(warnings) < count else ""
            page.flash(
                f"Asked {count} {'agency' if count == 1 else 'agencies'} for a {label}. "
                f"The request letters are queued for drafting.{told}"
                + "".join(f" Warning: {w}." for w in warnings)
            )
            return page.redirect(f"/cases/{ref}/returns")
    return _case_returns(page, ref, form, 400)


# --- one request ----------------------------------------------------------------------------------


def render_request(page: Page, request_id: uuid.UUID, form: FormState, status: int = 200) -> Response:
    with page.ctx.reader() as uow:
        view = load_request_view(uow, page.me.actor, request_id, page.ctx.clock.today())
        # the reminders and escalations e-mailed about this return, and whether each went
        emails = (
            emails_about(
                uow.session,
                page.ctx.settings,
                case_id=view.case.id,
                topics=CHASE_EMAILS,
                payload_key="return_request_id",
                payload_value=str(view.request.id),
            )
            if view.case_staff
            else []
        )
    return page.render(
        "web/returns/request.html",
        {
            "title": f"{view.kind_label} from {view.agency}",
            "v": view,
            "case": view.case,
            "form": form,
            "emails": emails,
        },
        status=status,
    )


@router.get("/returns/{request_id}")
def request_page(request_id: uuid.UUID, page: Page = Depends(signed_in)) -> Response:
    return render_request(page, request_id, FormState())


@router.post("/returns/{request_id}/step")
def fire_step(
    request_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    trigger = form.require("trigger", "Choose a step")
    with page.ctx.reader() as uow:
        view = load_request_view(uow, page.me.actor, request_id, page.ctx.clock.today())
    step = next((s for s in view.steps if s.trigger == trigger), None)
    field = f"reason_{trigger}"
    reason = form.value(field).strip()
    if step is None:
        form.general.append("You cannot take that step on this return now.")
    elif step.requires_reason and not reason:
        form.add(field, "Say why: the agency sees this comment")
    version = form.value("expected_version")
    if form.ok and step is not None:
        try:
            return_service.fire_return(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                request_id=request_id,
                trigger=trigger,
                reason=reason,
                expected_version=int(version) if version.isdigit() else None,
            )
        except DhrError as err:
            form.absorb(err, {"reason": field})
        else:
            with page.ctx.reader() as uow:
                moved = load_request_view(uow, page.me.actor, request_id, page.ctx.clock.today())
            page.flash(f"Done: {step.label}. The return is now: {moved.stage_label}.")
            return page.redirect(f"/returns/{request_id}")
    return render_request(page, request_id, form, 409 if form.general else 400)


@router.post("/returns/{request_id}/chase")
def chase(
    request_id: uuid.UUID, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    form = FormState.from_form(form_data)
    escalate = form.value("escalate") == "yes"
    try:
        item = return_service.chase_return(
            page.ctx.uow(),
            actor=page.me.actor,
            clock=page.ctx.clock,
            request_id=request_id,
            escalate=escalate,
            note=form.value("chase_note").strip(),
        )
    except DhrError as err:
        form.absorb(err, {"note": "chase_note"})
        return render_request(page, request_id, form, 400)
    with page.ctx.reader() as uow:
        state = delivery_state(item, page.ctx.settings, last_mail_error(uow.session))
    page.flash(
        f"An escalation to the agency's senior manager and the CSP chair: {state}."
        if escalate
        else f"A reminder to the agency's author and manager: {state}."
    )
    return page.redirect(f"/returns/{request_id}")

"""Case list, case page, and firing a workflow step with a reason."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends
from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.auth.policy import Action
from dhr_engine.cases import service as case_service
from dhr_engine.cases.listing import CaseFilters, case_rows
from dhr_engine.cases.queries import ActionView, action_views, load_case_view
from dhr_engine.errors import DhrError, NotFound
from dhr_engine.letters import service as letter_service
from dhr_engine.persistence import case_lookup
from dhr_engine.persistence.tables import Case, User
from dhr_engine.web import access
from dhr_engine.web.deps import Page, WebRoute, checked_form, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)


@router.get("/cases")
def case_list(
    page: Page = Depends(signed_in),
    stage: str = "",
    status: str = "",
    mine: str = "",
    q: str = "",
) -> Response:
    filters = CaseFilters(stage=stage, status=status, mine=mine == "yes", q=q.strip())
    with page.ctx.reader() as uow:
        rows, stages = case_rows(uow, page.me, filters, page.ctx.clock.today())
    return page.render(
        "web/cases/list.html", {"title": "Cases", "rows": rows, "filters": filters, "stages": stages}
    )


HISTORY_LIMIT = 12


@router.get("/cases/{ref}")
def case_page(ref: str, page: Page = Depends(signed_in)) -> Response:
    return _case_page(ref, page, full_history=False)


@router.get("/cases/{ref}/history")
def case_history(ref: str, page: Page = Depends(signed_in)) -> Response:
    return _case_page(ref, page, full_history=True)


def _case_page(ref: str, page: Page, *, full_history: bool) -> Response:
    today = page.ctx.clock.today()
    with page.ctx.reader() as uow:
        case, acting = access.open_case(uow.session, page.me, ref)
        definition = uow.workflows.get(case.workflow_key, case.workflow_version)
        view = load_case_view(uow.session, case, definition, page.me, acting, today)
    view.extra["letters"] = letter_service.list_letters(page.ctx, actor=page.me.actor, ref=ref)
    return page.render(
        "web/cases/detail.html",
        {
            "title": f"{case.ref}: {case.title}",
            "v": view,
            "full_history": full_history,
            "history_limit": HISTORY_LIMIT,
        },
    )


@dataclass(frozen=True)
class ActionPage:
    case: Case
    action: ActionView
    stage_label: str

    def context(self, form: FormState) -> dict[str, object]:
        return {
            "title": self.action.label,
            "case": self.case,
            "action": self.action,
            "stage_label": self.stage_label,
            "form": form,
        }


def _action(page: Page, ref: str, trigger: str) -> ActionPage:
    today = page.ctx.clock.today()
    with page.ctx.reader() as uow:
        case, _acting = access.open_case(uow.session, page.me, ref, Action.CASE_TRIGGERS)
        definition = uow.workflows.get(case.workflow_key, case.workflow_version)
        views = action_views(
            definition, case_service.available_triggers(uow.session, case, definition, page.me.actor, today)
        )
        stage_label = definition.state(case.stage).label
    action = next((a for a in views if a.trigger == trigger), None)
    if action is None:
        raise NotFound(f"'{trigger}' is not a step the case can take from its current stage", field="trigger")
    return ActionPage(case, action, stage_label)


@router.get("/cases/{ref}/actions/{trigger}")
def action_form(ref: str, trigger: str, page: Page = Depends(signed_in)) -> Response:
    found = _action(page, ref, trigger)
    status = 200 if found.action.can_fire else 403
    return page.render("web/cases/action.html", found.context(FormState()), status=status)


@router.post("/cases/{ref}/actions/{trigger}")
def fire_action(
    ref: str, trigger: str, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    found = _action(page, ref, trigger)
    form = FormState.from_form(form_data)
    reason = form.require("reason", "Enter the reason for this step")
    if len(reason) > 2000:
        form.add("reason", "The reason must be 2,000 characters or fewer")
    effective_on = form.date_value("effective_on", label="the date it happened")
    version = form.value("expected_version")
    if form.ok:
        try:
            case_service.fire_trigger(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                trigger=trigger,
                ref=ref,
                effective_on=effective_on,
                reason=reason,
                expected_version=int(version) if version.isdigit() else None,
            )
        except DhrError as err:
            form.absorb(err, {"effective_on": "effective_on", "reason": "reason"})
        else:
            with page.ctx.reader() as uow:
                moved = case_lookup.get_case(uow.session, ref=ref)
                label = uow.workflows.get(moved.workflow_key, moved.workflow_version).state(moved.stage).label
            page.flash(f"Done: {found.action.label}. The case is now at: {label}.")
            return page.redirect(f"/cases/{ref}")
    status = 409 if form.general else 400
    return page.render("web/cases/action.html", found.context(form), status=status)


def subpage_view(page: Page, ref: str, action: Action) -> tuple[Case, dict[str, object]]:
    """What every case sub-page (members, proceedings, family log) shows around its own part."""
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

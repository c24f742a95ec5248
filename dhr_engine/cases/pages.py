"""Case list, case page, and firing a workflow step with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Depends
from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cases import service as case_service
from dhr_engine.cases.listing import CaseFilters, case_rows
from dhr_engine.cases.queries import ActionView, action_views, load_case_view
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.notification import (
    CRIMINAL_STATUSES,
    DEATH_TYPES,
    MAX_CHILDREN,
    children_text,
    notifier_text,
    sio_text,
)
from dhr_engine.errors import DhrError, NotFound, PermissionDenied
from dhr_engine.letters import service as letter_service
from dhr_engine.persistence import case_lookup
from dhr_engine.persistence.tables import Case, User
from dhr_engine.persistence.tables_notification import CaseNotification
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
    may_open = policy.may(page.me.actor, Action.CASE_OPEN)
    return page.render(
        "web/cases/list.html",
        {"title": "Cases", "rows": rows, "filters": filters, "stages": stages, "may_open": may_open},
    )


# --- opening a case, and its notification facts -----------------------------------------------

FACT_FIELDS = (
    "notifier_organisation",
    "notifier_name",
    "place_of_death",
    "death_type",
    "sio_name",
    "sio_force",
    "sio_contact",
    "criminal_status",
)
TEXT_LIMIT = 200
# The fields of the form, by the names the engine's errors use.
FORM_FIELDS = {name: name for name in (*FACT_FIELDS, "children_involved", "children_count")} | {
    "notified_on": "notified_on",
    "date_of_death": "date_of_death",
    "effective_on": "notified_on",
    "summary": "summary",
    "people.0.pseudonym": "victim_pseudonym",
    "people.1.pseudonym": "perpetrator_pseudonym",
}


def _choices(form: FormState) -> dict[str, object]:
    return {
        "form": form,
        "death_types": DEATH_TYPES,
        "criminal_statuses": CRIMINAL_STATUSES,
        "max_children": MAX_CHILDREN,
    }


def _facts_from(form: FormState) -> case_service.NotificationFacts:
    """The notification facts typed in the form; each problem is put at its field."""
    texts = {name: form.value(name).strip() for name in FACT_FIELDS}
    for name in FACT_FIELDS:
        if len(texts[name]) > TEXT_LIMIT:
            label = case_service.FACT_LABELS[name]
            form.add(name, f"{label[:1].upper()}{label[1:]} must be {TEXT_LIMIT} characters or fewer")
    if texts["death_type"] and texts["death_type"] not in DEATH_TYPES:
        form.add("death_type", "Select the type of death")
    if texts["criminal_status"] and texts["criminal_status"] not in CRIMINAL_STATUSES:
        form.add("criminal_status", "Select where the criminal proceedings stand")
    answer = form.value("children_involved")
    involved = {"yes": True, "no": False}.get(answer)
    count: int | None = None
    typed_count = form.value("children_count").strip()
    if involved is True and typed_count:
        if not typed_count.isdigit() or not 1 <= int(typed_count) <= MAX_CHILDREN:
            form.add(
                "children_count", f"The number of children must be a whole number from 1 to {MAX_CHILDREN}"
            )
        else:
            count = int(typed_count)
    return case_service.NotificationFacts(**texts, children_involved=involved, children_count=count)


def _person(form: FormState, role: str, *, required: bool) -> case_service.PersonInput | None:
    pseudonym = form.value(f"{role}_pseudonym").strip()
    real_name = form.value(f"{role}_real_name").strip()
    if not pseudonym:
        if required or real_name:
            form.add(f"{role}_pseudonym", f"Enter a pseudonym for the {role}")
        return None
    if len(pseudonym) > 100:
        form.add(f"{role}_pseudonym", "The pseudonym must be 100 characters or fewer")
    if len(real_name) > TEXT_LIMIT:
        form.add(f"{role}_real_name", f"The real name must be {TEXT_LIMIT} characters or fewer")
    age: int | None = None
    typed_age = form.value(f"{role}_age").strip()
    if typed_age:
        if not typed_age.isdigit() or not 0 <= int(typed_age) <= 130:
            form.add(f"{role}_age", "The age must be a whole number of years, like 34")
        else:
            age = int(typed_age)
    relationship = form.value(f"{role}_relationship").strip()
    if len(relationship) > 100:
        form.add(f"{role}_relationship", "The relationship must be 100 characters or fewer")
    return case_service.PersonInput(
        role=role, pseudonym=pseudonym, real_name=real_name, age_at_death=age, relationship=relationship
    )


def _require_opener(page: Page) -> None:
    if not policy.may(page.me.actor, Action.CASE_OPEN):
        raise PermissionDenied("only a CSP officer may open a case", field="role")


@router.get("/cases/new")
def new_case_form(page: Page = Depends(signed_in)) -> Response:
    _require_opener(page)
    form = FormState(values={"review_type": "dhr"})
    return page.render("web/cases/new.html", {"title": "Open a case", **_choices(form)})


@router.post("/cases/new")
def open_case_page(page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)) -> Response:
    _require_opener(page)
    form = FormState.from_form(form_data)
    notified_on = form.date_value("notified_on", required=True, label="the date the partnership was notified")
    date_of_death = form.date_value("date_of_death", label="the date of death")
    review_type = form.value("review_type", "dhr")
    if review_type not in case_service.REVIEW_TYPES:
        form.add("review_type", "Select the kind of review")
    summary = form.value("summary").strip()
    if len(summary) > 4000:
        form.add("summary", "The summary must be 4,000 characters or fewer")
    people = [
        p for p in (_person(form, "victim", required=True), _person(form, "perpetrator", required=False)) if p
    ]
    facts = _facts_from(form)
    if form.ok and notified_on is not None:
        with page.ctx.reader() as uow:
            user = uow.session.get(User, page.me.user_id)
            csp_id = user.csp_id if user is not None else None
        try:
            case = case_service.open_case(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                csp_id=csp_id,
                notified_on=notified_on,
                review_type=review_type,
                date_of_death=date_of_death,
                summary=summary,
                people=people,
                facts=facts,
            )
        except DhrError as err:
            form.absorb(err, FORM_FIELDS)
        else:
            page.flash(f"Case {case.ref} opened. The decision clock started on {format_date(notified_on)}.")
            return page.redirect(f"/cases/{case.ref}")
    return page.render("web/cases/new.html", {"title": "Open a case", **_choices(form)}, status=400)


def notification_rows(case: Case, row: CaseNotification | None) -> list[tuple[str, str]]:
    """The notification facts as the case page shows them, in plain words."""
    n = row if row is not None else CaseNotification(case_id=case.id)
    missing = "not recorded"
    return [
        ("Notified by", notifier_text(n.notifier_organisation, n.notifier_name, case.notified_on) or missing),
        ("Date of death", format_date(case.date_of_death) if case.date_of_death else missing),
        ("Place of death", n.place_of_death or missing),
        ("Type of death", DEATH_TYPES.get(n.death_type, missing)),
        ("Senior investigating officer", sio_text(n.sio_name, n.sio_force, n.sio_contact) or missing),
        ("Criminal proceedings", CRIMINAL_STATUSES.get(n.criminal_status, missing)),
        ("Children involved", children_text(n.children_involved, n.children_count) or missing),
    ]


def _notification_values(case: Case, row: CaseNotification | None) -> dict[str, str]:
    """The edit form filled with what is recorded."""
    n = row if row is not None else CaseNotification(case_id=case.id)
    values = {name: str(getattr(n, name) or "") for name in FACT_FIELDS}
    involved = n.children_involved
    values["children_involved"] = "" if involved is None else ("yes" if involved else "no")
    values["children_count"] = str(n.children_count) if n.children_count else ""
    values["expected_version"] = str(case.version)
    day: date | None = case.date_of_death
    if day is not None:
        values |= {"date_of_death-day": str(day.day), "date_of_death-month": str(day.month),
                   "date_of_death-year": str(day.year)}  # fmt: skip
    return values


def _notification_page(page: Page, ref: str) -> tuple[Case, CaseNotification | None]:
    with page.ctx.reader() as uow:
        case, _acting = access.open_case(uow.session, page.me, ref, Action.CASE_OPEN)
        row = uow.session.get(CaseNotification, case.id)
        if row is not None:
            uow.session.expunge(row)
    return case, row


@router.get("/cases/{ref}/notification")
def notification_form(ref: str, page: Page = Depends(signed_in)) -> Response:
    case, row = _notification_page(page, ref)
    form = FormState(values=_notification_values(case, row))
    return page.render(
        "web/cases/notification.html",
        {"title": f"Notification facts: {case.ref}", "case": case, **_choices(form)},
    )


@router.post("/cases/{ref}/notification")
def change_notification(
    ref: str, page: Page = Depends(signed_in), form_data: FormData = Depends(checked_form)
) -> Response:
    case, _row = _notification_page(page, ref)
    form = FormState.from_form(form_data)
    date_of_death = form.date_value("date_of_death", label="the date of death")
    facts = _facts_from(form)
    version = form.value("expected_version")
    if form.ok:
        try:
            changed = case_service.update_notification(
                page.ctx.uow(),
                actor=page.me.actor,
                clock=page.ctx.clock,
                ref=ref,
                facts=facts,
                date_of_death=date_of_death,
                expected_version=int(version) if version.isdigit() else None,
            )
        except DhrError as err:
            form.absorb(err, FORM_FIELDS)
        else:
            page.flash("Notification facts saved." if changed else "Nothing was changed.")
            return page.redirect(f"/cases/{ref}")
    status = 409 if form.general else 400
    return page.render(
        "web/cases/notification.html",
        {"title": f"Notification facts: {case.ref}", "case": case, **_choices(form)},
        status=status,
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
        if policy.may(acting, Action.CASE_SUMMARY):
            view.extra["notification"] = notification_rows(case, uow.session.get(CaseNotification, case.id))
            view.extra["may_change_notification"] = policy.may(acting, Action.CASE_OPEN)
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

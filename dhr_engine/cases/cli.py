"""`dhr case list|show|new|fire`."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer
from rich.table import Table
from sqlmodel import col, select

from dhr_engine.auth import policy
from dhr_engine.cases import service as case_service
from dhr_engine.cli.common import (
    AsOption,
    acting_user,
    console,
    context,
    fail,
    parse_day,
    print_json,
    report,
)
from dhr_engine.deadlines.queries import agencies_of, titled
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.notification import CRIMINAL_STATUSES, DEATH_TYPES
from dhr_engine.errors import DhrError
from dhr_engine.persistence import case_lookup
from dhr_engine.persistence.tables import Case, Deadline, Person
from dhr_engine.persistence.tables_notification import CaseNotification
from dhr_engine.workflow.guards import GUARDS

app = typer.Typer(no_args_is_help=True)


def _case_summary(case: Case, label: str) -> dict[str, Any]:
    return {
        "ref": case.ref,
        "stage": case.stage,
        "stage_label": label,
        "title": case.title,
        "workflow_version": case.workflow_version,
        "notified_on": case.notified_on.isoformat(),
        "version": case.version,
    }


@app.command("list")
def list_cases(
    stage: str | None = typer.Option(None, help="Only cases at this stage"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """List cases with their stage."""
    ctx = context()
    with ctx.reader() as uow:
        query = select(Case).order_by(col(Case.ref))
        if stage:
            query = query.where(Case.stage == stage)
        rows = []
        for case in uow.session.exec(query).all():
            label = ctx.workflows.get(case.workflow_key, case.workflow_version).state(case.stage).label
            rows.append(_case_summary(case, label))
    if as_json:
        print_json(rows)
        return
    table = Table(title="Cases")
    for column in ("ref", "stage", "title", "notified"):
        table.add_column(column)
    for row in rows:
        notified = format_date(date.fromisoformat(row["notified_on"]))
        table.add_row(row["ref"], row["stage_label"], row["title"], notified)
    console.print(table)


@app.command("show")
def show(ref: str, as_json: bool = typer.Option(False, "--json"), as_user: str | None = AsOption) -> None:
    """Show one case: stage, open deadlines and the triggers that may be fired now."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        try:
            case = case_lookup.get_case(uow.session, ref=ref)
            acting = policy.require_case_access(uow.session, actor, case)
        except DhrError as err:
            report(err)
        definition = ctx.workflows.get(case.workflow_key, case.workflow_version)
        options = case_service.available_triggers(uow.session, case, definition, actor, ctx.clock.today())
        deadlines = uow.session.exec(
            select(Deadline).where(Deadline.case_id == case.id, Deadline.status == "open")
        ).all()
        # an agency user sees their own agency's deadlines only; a return's names its agency
        deadlines = policy.visible_deadlines(uow.session, acting, deadlines)
        agencies = agencies_of(uow.session, deadlines)
        data = _case_summary(case, definition.state(case.stage).label)
        data["open_deadlines"] = [
            {
                "key": d.key,
                "adjusted_due": d.adjusted_due.isoformat(),
                "paused": d.paused_since is not None,
                "agency": agencies[d.id].name if d.id in agencies else None,
            }
            for d in deadlines
        ]
        data["triggers"] = [{"trigger": o.trigger, "blocked_by": list(o.blocked_by)} for o in options]
        # the people by pseudonym only: real names and dates of birth never reach the CLI's JSON
        people = uow.session.exec(
            select(Person).where(Person.case_id == case.id).order_by(col(Person.role), col(Person.id))
        ).all()
        data["people"] = [
            {"role": p.role, "pseudonym": p.pseudonym, "relationship": p.relationship} for p in people
        ]
        notification = uow.session.get(CaseNotification, case.id)
        if notification is not None and policy.may(acting, policy.Action.CASE_SUMMARY):
            data["notification"] = {
                "date_of_death": case.date_of_death.isoformat() if case.date_of_death else None,
                **notification.model_dump(exclude={"case_id", "updated_at"}),
            }
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{case.ref}[/bold] {case.title}")
    console.print(
        f"Stage: {data['stage_label']}; workflow edition {case.workflow_version}; version {case.version}"
    )
    for d in deadlines:
        state = "paused" if d.paused_since else f"due {format_date(d.adjusted_due)}"
        console.print(f"  Deadline: {titled(d.label, agencies.get(d.id))}: {state}")
    for o in options:
        command = f"dhr case fire {case.ref} {o.trigger}"
        why = [GUARDS[g].description if g in GUARDS else g.replace("_", " ") for g in o.blocked_by]
        if why:
            console.print(f"  Not yet possible: {o.label}, until {'; '.join(why)} ({command})")
        else:
            console.print(f"  May be done now: {o.label} ({command})")


@app.command("new")
def new(
    notified_on: str = typer.Option(..., "--notified-on", help="Date the CSP was notified (YYYY-MM-DD)"),
    pseudonym: str = typer.Option("Unnamed", help="Pseudonym of the victim"),
    date_of_death: str | None = typer.Option(None, "--date-of-death"),
    workflow_version: str | None = typer.Option(None, "--workflow-version", help="e.g. 2016.1 or 2024.draft"),
    review_type: str = typer.Option("dhr", help="dhr or dardr"),
    person: list[str] = typer.Option(
        [], "--person", help="Another person involved, as ROLE:PSEUDONYM (e.g. perpetrator:Mark); repeatable"
    ),
    notifier_organisation: str = typer.Option("", help="The organisation that notified the CSP"),
    notifier_name: str = typer.Option("", help="The person who notified the CSP"),
    place_of_death: str = typer.Option("", help="Town or area of the death (not an address)"),
    death_type: str = typer.Option("", help=f"Type of death: {', '.join(DEATH_TYPES)}"),
    sio_name: str = typer.Option("", help="Senior investigating officer's name"),
    sio_force: str = typer.Option("", help="Senior investigating officer's police force"),
    sio_contact: str = typer.Option("", help="Senior investigating officer's work e-mail or phone"),
    criminal_status: str = typer.Option("", help=f"Criminal proceedings: {', '.join(CRIMINAL_STATUSES)}"),
    children: bool | None = typer.Option(None, "--children/--no-children", help="Are children involved?"),
    children_count: int | None = typer.Option(None, "--children-count", help="How many children"),
    as_user: str | None = AsOption,
) -> None:
    """Open a case from a notification, with its facts, and print its reference."""
    ctx = context()
    people = [case_service.PersonInput(role="victim", pseudonym=pseudonym)]
    for given in person:
        role, _, name = given.partition(":")
        if role not in case_service.PERSON_ROLES or not name.strip():
            fail(
                "person: each must be ROLE:PSEUDONYM, with a role of "
                f"{', '.join(sorted(case_service.PERSON_ROLES))}"
            )
        people.append(case_service.PersonInput(role=role, pseudonym=name.strip()))
    facts = case_service.NotificationFacts(
        notifier_organisation=notifier_organisation,
        notifier_name=notifier_name,
        place_of_death=place_of_death,
        death_type=death_type,
        sio_name=sio_name,
        sio_force=sio_force,
        sio_contact=sio_contact,
        criminal_status=criminal_status,
        children_involved=children,
        children_count=children_count,
    )
    try:
        case = case_service.open_case(
            ctx.uow(),
            actor=acting_user(ctx, as_user),
            clock=ctx.clock,
            notified_on=parse_day(notified_on, "notified-on") or ctx.clock.today(),
            date_of_death=parse_day(date_of_death, "date-of-death"),
            workflow_version=workflow_version,
            review_type=review_type,
            people=people,
            facts=facts,
        )
    except DhrError as err:
        report(err)
    typer.echo(case.ref)


@app.command("fire")
def fire(
    ref: str,
    trigger: str,
    on: str | None = typer.Option(None, "--on", help="Date it happened (YYYY-MM-DD); default today"),
    reason: str = typer.Option("", "--reason"),
    expected_version: int | None = typer.Option(None, "--expected-version"),
    as_user: str | None = AsOption,
) -> None:
    """Fire a workflow trigger on a case."""
    ctx = context()
    try:
        case = case_service.fire_trigger(
            ctx.uow(),
            actor=acting_user(ctx, as_user),
            clock=ctx.clock,
            ref=ref,
            trigger=trigger,
            effective_on=parse_day(on, "on"),
            reason=reason,
            expected_version=expected_version,
        )
    except DhrError as err:
        report(err)
    label = ctx.workflows.get(case.workflow_key, case.workflow_version).state(case.stage).label
    typer.echo(f"{case.ref}: {case.stage} ({label})")

"""`dhr deadlines list|explain`."""

from __future__ import annotations

import uuid
from dataclasses import replace

import typer
from rich.table import Table
from sqlmodel import Session

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cli.common import AsOption, acting_user, console, context, fail, print_json, report
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.queries import AgencyRef, agencies_of, titled
from dhr_engine.deadlines.service import STATUS_WORDS
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.errors import DhrError
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import Case, Deadline

app = typer.Typer(no_args_is_help=True)


def _visible(
    session: Session, actor: Actor, ref: str
) -> tuple[Case, list[Deadline], dict[uuid.UUID, AgencyRef]]:
    """The case and the deadlines of it this user may see (an agency user: their agency's only)."""
    try:
        case = get_case(session, ref=ref)
        acting = policy.require_case_access(session, actor, case, Action.DEADLINES_VIEW)
    except DhrError as err:
        report(err)
    rows = policy.visible_deadlines(session, acting, deadline_service.list_for_case(session, case.id))
    return case, rows, agencies_of(session, rows)


@app.command("list")
def list_deadlines(
    ref: str, as_json: bool = typer.Option(False, "--json"), as_user: str | None = AsOption
) -> None:
    """List a case's deadlines with statutory and adjusted due dates (a return's names its agency)."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        _case, rows, agencies = _visible(uow.session, actor, ref)
        data = [
            {
                "key": d.key,
                "label": d.label,
                "agency": {"id": str(agencies[d.id].id), "name": agencies[d.id].name}
                if d.id in agencies
                else None,
                "statutory_due": d.statutory_due.isoformat(),
                "adjusted_due": d.adjusted_due.isoformat(),
                "status": "paused" if d.paused_since and d.status == "open" else d.status,
                "anchor_on": d.anchor_on.isoformat(),
                "closed_on": d.closed_on.isoformat() if d.closed_on else None,
            }
            for d in rows
        ]
    if as_json:
        print_json(data)
        return
    table = Table(title=f"Deadlines of {ref}")
    for column in ("deadline", "statutory due", "adjusted due", "status"):
        table.add_column(column)
    for row, d in zip(rows, data, strict=True):
        table.add_row(
            titled(row.label, agencies.get(row.id)),
            format_date(row.statutory_due),
            format_date(row.adjusted_due),
            STATUS_WORDS.get(str(d["status"]), str(d["status"]).replace("_", " ")),
        )
    console.print(table)


@app.command("explain")
def explain(
    ref: str,
    key: str = typer.Argument(help="The deadline: its key (--json of list) or its name as listed"),
    agency: str | None = typer.Option(
        None, "--agency", help="The agency whose deadline to explain, when several agencies share it"
    ),
    as_user: str | None = AsOption,
) -> None:
    """Explain a deadline: rule, anchor date, holidays skipped, pauses added.

    When several agencies' returns share the deadline, each is explained, headed by its agency,
    unless --agency picks one."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        case, every, agencies = _visible(uow.session, actor, ref)
        wanted = key.strip().casefold()
        rows = [
            d
            for d in every
            if wanted in (d.key, d.label.casefold(), titled(d.label, agencies.get(d.id)).casefold())
        ]
        if not rows:
            fail(f"{ref} has no deadline called '{key}': `dhr deadlines list {ref}` names them")
        if agency is not None:
            rows = _of_agency(ref, key, agency, rows, agencies)
        definition = ctx.workflows.get(case.workflow_key, case.workflow_version)
        for number, row in enumerate(rows):
            explanation = deadline_service.explain(uow.session, row, definition, ctx.clock.today())
            explanation = replace(explanation, label=titled(explanation.label, agencies.get(row.id)))
            if number:
                typer.echo("")
            for line in explanation.lines():
                typer.echo(line)
            if row.closed_on:
                typer.echo(f"Closed on: {format_date(row.closed_on)}")


def _of_agency(
    ref: str, key: str, agency: str, rows: list[Deadline], agencies: dict[uuid.UUID, AgencyRef]
) -> list[Deadline]:
    """The rows of the named agency (its name as listed, any case), or a clear refusal."""
    name = agency.strip().casefold()
    if not name:
        fail("agency: give the agency's name, as `dhr deadlines list` shows it")
    picked = [r for r in rows if r.id in agencies and agencies[r.id].name.casefold() == name]
    if not picked:
        named = sorted({agencies[r.id].name for r in rows if r.id in agencies})
        among = f"; it is set for {', '.join(named)}" if named else "; it is not an agency's deadline"
        fail(f"agency: {ref} has no deadline '{key}' for an agency called '{agency}'{among}")
    return picked

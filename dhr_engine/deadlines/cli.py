"""`dhr deadlines list|explain`."""

from __future__ import annotations

import typer
from rich.table import Table

from dhr_engine.cli.common import console, context, fail, print_json, report
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.service import STATUS_WORDS
from dhr_engine.domain.calendar import format_date
from dhr_engine.errors import DhrError
from dhr_engine.persistence.case_lookup import get_case

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_deadlines(ref: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """List a case's deadlines with statutory and adjusted due dates."""
    ctx = context()
    with ctx.reader() as uow:
        try:
            case = get_case(uow.session, ref=ref)
        except DhrError as err:
            report(err)
        rows = deadline_service.list_for_case(uow.session, case.id)
        data = [
            {
                "key": d.key,
                "label": d.label,
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
            row.label,
            format_date(row.statutory_due),
            format_date(row.adjusted_due),
            STATUS_WORDS.get(str(d["status"]), str(d["status"]).replace("_", " ")),
        )
    console.print(table)


@app.command("explain")
def explain(
    ref: str, key: str = typer.Argument(help="The deadline: its key (--json of list) or its name as listed")
) -> None:
    """Explain a deadline: rule, anchor date, holidays skipped, pauses added."""
    ctx = context()
    with ctx.reader() as uow:
        try:
            case = get_case(uow.session, ref=ref)
        except DhrError as err:
            report(err)
        wanted = key.strip().casefold()
        rows = [
            d
            for d in deadline_service.list_for_case(uow.session, case.id)
            if wanted in (d.key, d.label.casefold())
        ]
        if not rows:
            fail(f"{ref} has no deadline called '{key}': `dhr deadlines list {ref}` names them")
        definition = ctx.workflows.get(case.workflow_key, case.workflow_version)
        for row in rows:
            explanation = deadline_service.explain(uow.session, row, definition, ctx.clock.today())
            for line in explanation.lines():
                typer.echo(line)
            if row.closed_on:
                typer.echo(f"Closed on: {format_date(row.closed_on)}")

"""`dhr tasks --as USER`: my task lists, as on the dashboard."""

from __future__ import annotations

import typer
from rich.table import Table

from dhr_engine.cli.common import AsOption, acting_user, console, context, print_json
from dhr_engine.domain.calendar import format_date
from dhr_engine.tasks.queries import tasks_for
from dhr_engine.tasks.schemas import task_items

app = typer.Typer()


@app.callback(invoke_without_command=True)
def show_tasks(as_json: bool = typer.Option(False, "--json"), as_user: str | None = AsOption) -> None:
    """What is waiting for you: sign-offs, returns due from your agency, letters to approve, returns
    to accept (each with the page where it is done)."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        lists = tasks_for(uow, actor)
    if as_json:
        print_json([t.model_dump(mode="json") for t in task_items(lists)])
        return
    for _key, heading, empty, tasks in lists.named():
        if not tasks:
            console.print(f"{heading}: {empty}")
            continue
        table = Table(title=f"{heading} ({len(tasks)})")
        for column in ("case", "what", "agency", "due", "where it is", "page"):
            table.add_column(column)
        for t in tasks:
            table.add_row(
                t.case_ref,
                t.what,
                t.agency or "–",
                format_date(t.due_on) if t.due_on else "–",
                t.stage,
                t.link,
            )
        console.print(table)

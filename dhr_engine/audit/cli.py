"""`dhr audit verify`, `dhr audit checkpoint` and `dhr audit reads`."""

from __future__ import annotations

import typer
from rich.table import Table

from dhr_engine.audit import reads as read_log
from dhr_engine.audit.checkpoints import checkpoint_every_case, checkpoint_file
from dhr_engine.audit.service import verify_all
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cli.common import AsOption, acting_user, console, context, fail, print_json, report
from dhr_engine.errors import DhrError

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Check every case's audit chain against its case and the signed checkpoints; report edited,
    deleted or rewritten events by case and position, and every case that has gone."""
    ctx = context()
    try:
        with ctx.reader() as uow:
            problems = verify_all(uow.session, checkpoints=checkpoint_file(ctx), workflows=uow.workflows)
    except OSError as err:
        fail(f"audit checkpoints: the file cannot be read ({type(err).__name__})")
    if not problems:
        console.print("Audit trail intact.")
        return
    for problem in problems:
        typer.echo(str(problem))
    raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint() -> None:
    """Append a signed checkpoint of every case's audit head to the checkpoint file (outside the
    database), as the scheduler's audit-checkpoint job does."""
    ctx = context()
    store = checkpoint_file(ctx)
    try:
        count = checkpoint_every_case(ctx.reader(), store, ctx.clock)
    except OSError as err:
        fail(f"audit checkpoints: the file cannot be written ({type(err).__name__})")
    typer.echo(f"{count} case(s) checkpointed in {store.path}")


@app.command("reads")
def reads(
    case: str | None = typer.Option(None, "--case", help="Only reads of this case (its reference)"),
    user: str | None = typer.Option(None, "--user", help="Only reads by this user name"),
    limit: int = typer.Option(50, "--limit", help="How many reads to show (1 to 1000)"),
    page: int = typer.Option(1, "--page", help="Which page of them (1: the newest)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
    as_user: str | None = AsOption,
) -> None:
    """Who read real names, the family log, chronologies, returns, attachments, the merged
    chronology and letters naming the family or the victim: newest first (administrators only)."""
    if not 1 <= limit <= 1000:
        fail("--limit: give a number from 1 to 1000")
    if page < 1:
        fail("--page: give a number from 1")
    ctx = context()
    try:
        policy.require(acting_user(ctx, as_user), Action.AUDIT_READS)
        with ctx.reader() as uow:
            found = read_log.list_reads(
                uow.session, case_ref=case or "", username=user or "", limit=limit, offset=(page - 1) * limit
            )
    except DhrError as err:
        report(err)
    if as_json:
        print_json({"total": found.total, "items": [row.as_dict() for row in found.rows]})
        return
    if not found.rows:
        console.print("No reads recorded." if found.total == 0 else f"No reads on page {page}.")
        return
    table = Table(title="Who read sensitive records (newest first)")
    for column in ("When", "Who", "What", "Case", "Through"):
        table.add_column(column)
    for row in found.rows:
        table.add_row(row.when, row.user_label, row.kind_label, row.case_ref or "–", row.interface_label)
    console.print(table)
    first = (page - 1) * limit + 1
    console.print(f"Reads {first} to {first + len(found.rows) - 1} of {found.total}.")

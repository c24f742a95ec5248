"""`dhr audit verify`."""

from __future__ import annotations

import typer

from dhr_engine.audit.service import verify_all
from dhr_engine.cli.common import console, context

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Check every case's audit chain; report edited or deleted events by case and position."""
    ctx = context()
    with ctx.reader() as uow:
        problems = verify_all(uow.session)
    if not problems:
        console.print("Audit trail intact.")
        return
    for problem in problems:
        typer.echo(str(problem))
    raise typer.Exit(1)

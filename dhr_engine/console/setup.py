"""`dhr init`, `dhr demo` and `dhr holidays import`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table
from sqlmodel import select

from dhr_engine.cli.common import console, context, fail
from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import demo_credentials, seed_reference_data
from dhr_engine.persistence.tables import ExtraHoliday

holidays_app = typer.Typer(help="Bank holidays beyond the built-in England and Wales list.")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)
    app.add_typer(holidays_app, name="holidays")


def init() -> None:
    """Create or upgrade the database schema and the demo partnership's reference data."""
    ctx = context()
    with ctx.uow() as uow:
        seed_reference_data(uow.session)
        uow.commit()
    console.print(f"Database ready: {ctx.engine.url.render_as_string(hide_password=True)}")


def demo() -> None:
    """Load the demo partnership, agencies, users and cases; print the demo sign-in names."""
    ctx = context()
    load_demo(ctx)
    table = Table(title="Demo sign-in (demo data only)")
    for column in ("username", "who", "password"):
        table.add_column(column)
    for row in demo_credentials():
        table.add_row(*row)
    console.print(table)


@holidays_app.command("import")
def import_holidays(
    path: Path = typer.Argument(
        ..., help="The official bank-holidays JSON file (gov.uk format)", exists=True
    ),
    division: str = typer.Option("england-and-wales", help="Which division of the file to read"),
) -> None:
    """Import one-off bank holidays from the official JSON file (days already known are kept)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        events = data[division]["events"]
        days = {date.fromisoformat(e["date"]): str(e["title"]) for e in events}
    except (ValueError, KeyError, TypeError) as err:
        fail(f"{path.name}: not a bank-holidays file with a '{division}' division ({type(err).__name__})")
    ctx = context()
    added = 0
    with ctx.uow() as uow:
        known = {row.day for row in uow.session.exec(select(ExtraHoliday)).all()}
        for day, name in sorted(days.items()):
            if day not in known:
                uow.session.add(ExtraHoliday(day=day, name=name))
                added += 1
        uow.commit()
    console.print(f"{len(days)} days read, {added} added")

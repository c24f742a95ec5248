"""`dhr user add`, `dhr user reset-password`, `dhr user list`: accounts kept from the console."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlmodel import col, select

from dhr_engine.accounts import service as directory
from dhr_engine.cli.common import console, context, fail, report
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import Agency, User

app = typer.Typer(help="User accounts: add one, reset a password, list them.", no_args_is_help=True)

PasswordOption = typer.Option(
    ...,
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="DHR_NEW_PASSWORD",
    show_envvar=False,
    help="Asked for when not given; at least 12 characters, mixed case",
)


@app.command("add")
def add(
    username: str = typer.Argument(..., help="Sign-in name, lower case"),
    name: str = typer.Option(..., "--name", help="Name shown to others"),
    email: str = typer.Option("", help="Work e-mail address"),
    role: list[str] = typer.Option(
        [], "--role", help="A global role: admin, csp_officer or csp_chair (repeat for more)"
    ),
    agency: str | None = typer.Option(None, help="The agency the user works for (its name)"),
    password: str = PasswordOption,
) -> None:
    """Create an account. Roles on a case are given later, per case."""
    ctx = context()
    try:
        with ctx.uow() as uow:
            agency_id = None
            if agency:
                row = uow.session.exec(select(Agency).where(Agency.name == agency)).first()
                if row is None:
                    fail(f"no agency named '{agency}'")
                agency_id = row.id
            user = directory.add_user(
                uow.session,
                username=username,
                display_name=name,
                email=email,
                password=password,
                global_roles=role,
                agency_id=agency_id,
            )
            uow.commit()
    except DhrError as err:
        report(err)
    console.print(f"User '{user.username}' added")


@app.command("reset-password")
def reset_password(
    username: str = typer.Argument(..., help="Whose password"),
    password: str = PasswordOption,
) -> None:
    """Set a new password; it also clears a lockout and ends the user's signed-in sessions."""
    ctx = context()
    try:
        with ctx.uow() as uow:
            user = directory.get_user(uow.session, username=username)
            directory.reset_password(uow.session, user, password)
            uow.commit()
    except DhrError as err:
        report(err)
    console.print(f"Password of '{username}' reset")


@app.command("list")
def list_users() -> None:
    """Every account with its global roles and agency (never a password)."""
    ctx = context()
    table = Table(title="Users")
    for column in ("username", "name", "global roles", "agency", "active"):
        table.add_column(column)
    with ctx.reader() as uow:
        agencies = {a.id: a.name for a in uow.session.exec(select(Agency)).all()}
        for user in uow.session.exec(select(User).order_by(col(User.username))).all():
            table.add_row(
                user.username,
                user.display_name,
                ", ".join(user.global_roles) or "-",
                agencies.get(user.agency_id, "-") if user.agency_id else "-",
                "yes" if user.is_active else "no",
            )
    console.print(table)

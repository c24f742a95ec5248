"""`dhr user add`, `dhr user reset-password`, `dhr user list`, `dhr user sign-ins`: accounts kept
from the console, and the record of sign-in attempts."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlmodel import col, select

from dhr_engine.accounts import service as directory
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cli.common import AsOption, acting_user, console, context, fail, report
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import Agency, User
from dhr_engine.persistence.tables_signin import INTERFACES, OUTCOMES, SignInRecord
from dhr_engine.web.templating import show_datetime

app = typer.Typer(
    help="User accounts: add one, reset a password, list them, read the sign-in records.",
    no_args_is_help=True,
)

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


@app.command("sign-ins")
def sign_ins(
    user: str | None = typer.Option(None, "--user", help="Only this account's attempts and sign-outs"),
    limit: int = typer.Option(50, min=1, max=1000, help="How many records to show"),
    offset: int = typer.Option(0, min=0, help="How many of the newest records to skip"),
    as_user: str | None = AsOption,
) -> None:
    """Sign-in attempts (web and API) and sign-outs, newest first: when, who, what happened, the
    address and the interface (administrators only). A name that is no account's is never shown."""
    ctx = context()
    try:
        policy.require(acting_user(ctx, as_user), Action.USERS_MANAGE)
    except DhrError as err:
        report(err)
    query = select(SignInRecord)
    with ctx.reader() as uow:
        if user:
            user_id = uow.session.exec(select(User.id).where(User.username == user)).first()
            if user_id is None:
                fail(f"--user: there is no user '{user}'")
            query = query.where(SignInRecord.user_id == user_id)
        rows = uow.session.exec(
            query.order_by(col(SignInRecord.at).desc(), col(SignInRecord.id).desc())
            .limit(limit)
            .offset(offset)
        ).all()
    if not rows:
        console.print("No sign-in records" + (" for this account" if user else "") + ".")
        return
    table = Table(title="Sign-in records, newest first")
    for column in ("when", "user name", "what happened", "address", "through"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            show_datetime(row.at),
            row.username or "Unknown name",
            OUTCOMES.get(row.outcome, row.outcome),
            row.source,
            INTERFACES.get(row.interface, row.interface),
        )
    console.print(table)

"""What every command needs: the context, the acting user, output helpers."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlmodel import select

from dhr_engine.auth.actors import actor_for_user
from dhr_engine.config import Settings
from dhr_engine.context import AppContext
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import CONSOLE, roles_that
from dhr_engine.errors import DhrError, TransitionBlocked
from dhr_engine.persistence.schema import upgrade
from dhr_engine.persistence.tables import User
from dhr_engine.workflow.guards import GUARDS

console = Console()
err_console = Console(stderr=True)

CONSOLE_ROLES = roles_that(CONSOLE)

AsOption = typer.Option(
    None,
    "--as",
    help="Act as this user (default: $DHR_CLI_USER, else the console operator)",
    show_default=False,
)


ContextBuilder = Callable[[Settings], AppContext]
_builder: list[ContextBuilder] = []


def use_context_builder(build: ContextBuilder) -> None:
    """Set how commands build their context: the `dhr` root command (dhr_engine.console) passes
    the composition root's builder, so every command's context has every domain's parts."""
    _builder[:] = [build]


CONFIGURATION_REFUSED = 2  # the exit code when a setting is refused (as `dhr serve` refuses a key)


def configuration_problem(err: ValidationError) -> str:
    """Every refused setting in one plain line: the variable's name and what is wrong with it, never
    the value given (it may be a password or a key)."""
    parts = []
    for item in err.errors(include_url=False, include_input=False, include_context=False):
        name = "DHR_" + "_".join(str(part) for part in item["loc"]).upper() if item["loc"] else "A setting"
        problem = " ".join(str(item["msg"]).removeprefix("Value error, ").split())
        parts.append(f"{name} {problem}")
    return "Configuration error: " + "; ".join(parts) + "."


def load_settings() -> Settings:
    """The settings from the environment, or one line naming each bad one and exit status 2."""
    try:
        return Settings()
    except ValidationError as err:
        typer.echo(configuration_problem(err), err=True)  # no traceback, no wrapping
        raise typer.Exit(CONFIGURATION_REFUSED) from None


def context() -> AppContext:
    """Connect (honouring DHR_DATABASE_URL) and make sure the schema is current."""
    if not _builder:
        raise RuntimeError("no context builder: commands run under the `dhr` root command")
    ctx = _builder[0](load_settings())
    upgrade(ctx.engine)
    return ctx


def acting_user(ctx: AppContext, username: str | None) -> Actor:
    """The named user, or the console operator: someone at the server's console, audited as such."""
    username = username or os.environ.get("DHR_CLI_USER")
    if not username:
        return Actor(user_id=None, global_roles=CONSOLE_ROLES, label="console operator")
    with ctx.reader() as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None:
            fail(f"no user '{username}'")
        return actor_for_user(user)


def parse_day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{field}: '{value}' is not a date; write it as YYYY-MM-DD")


def parse_id(value: str, field: str) -> uuid.UUID:
    """An identifier typed on the command line, or a clear error naming the option."""
    try:
        return uuid.UUID(value)
    except ValueError:
        fail(f"{field}: '{value}' is not an identifier")


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]Error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def report(err: DhrError) -> NoReturn:
    """Print a refusal the way a user can act on it, then exit with status 2."""
    lines = [f"{item.field}: {item.msg}" if item.field else item.msg for item in err.items]
    if isinstance(err, TransitionBlocked):
        known = [name for name in err.failed_guards if name in GUARDS]
        lines += [f"  {name}: needs {GUARDS[name].description}" for name in known]
    fail("\n".join(lines), 2)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))

"""`dhr agencies contacts list|add|remove`: an agency's named DHR contacts.

The same commands as the JSON API and the web pages (agencies/service.py), behind the same access
policy: anyone who may see agencies may list contacts; an administrator or a CSP officer may
change them.
"""

from __future__ import annotations

import uuid
from typing import Any

import typer
from rich.table import Table
from sqlmodel import Session, func, select

from dhr_engine.accounts.service import get_user
from dhr_engine.agencies import queries
from dhr_engine.agencies import service as contact_service
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cli.common import AsOption, acting_user, console, context, print_json, report
from dhr_engine.domain.agency_contacts import contact_label
from dhr_engine.domain.roles import roles_in_words
from dhr_engine.errors import DhrError, NotFound, PermissionDenied
from dhr_engine.persistence.tables import Agency

app = typer.Typer(no_args_is_help=True)
contacts = typer.Typer(no_args_is_help=True)
app.add_typer(contacts, name="contacts", help="An agency's DHR contacts: list, add, remove.")

AgencyArgument = typer.Argument(..., metavar="AGENCY", help="The agency's name or id")
KindOption = typer.Option(
    ..., "--kind", help=f"The kind of contact: {contact_service.KIND_NAMES}", show_default=False
)


def _agency(session: Session, value: str) -> Agency:
    """An agency by id or by exact name (case-insensitive)."""
    try:
        found = session.get(Agency, uuid.UUID(value))
    except ValueError:
        found = session.exec(select(Agency).where(func.lower(Agency.name) == value.strip().lower())).first()
    if found is None:
        raise NotFound(f"no agency '{value}'; give its name or id", field="AGENCY")
    return found


def _require(actor: Any, action: Action, doing: str) -> None:
    if not policy.may(actor, action):
        raise PermissionDenied(f"only {roles_in_words(policy.POLICY[action])} may {doing}", field="role")


@contacts.command("list")
def list_contacts(
    agency: str = AgencyArgument,
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
    as_user: str | None = AsOption,
) -> None:
    """The agency's single point of contact, IMR authors and senior manager."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    try:
        _require(actor, Action.AGENCIES_VIEW, "see agencies")
        with ctx.reader() as uow:
            found = _agency(uow.session, agency)
            row = contact_service.agency_in_scope(uow.session, actor, found.id)
            name = row.name
            rows = queries.active_contacts(uow.session, row.id)
    except DhrError as err:
        report(err)
    if as_json:
        print_json(
            [
                {
                    "id": str(r.id),
                    "username": r.username,
                    "display_name": r.display_name,
                    "kind": r.kind,
                    "kind_label": r.kind_label,
                    "added_on": r.added_on,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        console.print(f"{name} has no DHR contact: nobody there will be told of a request.")
        return
    table = Table(title=f"DHR contacts of {name}")
    table.add_column("user", no_wrap=True)
    for column in ("name", "contact for", "named on"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.username, r.display_name, r.kind_label, r.added_on)
    console.print(table)


@contacts.command("add")
def add(
    agency: str = AgencyArgument,
    username: str = typer.Argument(..., metavar="USERNAME", help="A user account of that agency"),
    kind: str = KindOption,
    as_user: str | None = AsOption,
) -> None:
    """Name a user of the agency as one of its DHR contacts."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    try:
        _require(actor, Action.AGENCY_CONTACTS, "change an agency's contacts")
        contact_service.check_kind(kind)
        with ctx.reader() as uow:
            found = _agency(uow.session, agency)
            agency_id, name = found.id, found.name
            user_id = get_user(uow.session, username=username).id
        contact_service.add_contact(
            ctx.uow(), actor=actor, clock=ctx.clock, agency_id=agency_id, user_id=user_id, kind=kind
        )
    except DhrError as err:
        report(err)
    typer.echo(f"{username} is now a DHR contact of {name}: {contact_label(kind)}")


@contacts.command("remove")
def remove(
    agency: str = AgencyArgument,
    username: str = typer.Argument(..., metavar="USERNAME", help="The contact's user name"),
    kind: str = KindOption,
    as_user: str | None = AsOption,
) -> None:
    """Remove one of the agency's contacts: they are no longer told and lose that access."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    try:
        _require(actor, Action.AGENCY_CONTACTS, "change an agency's contacts")
        contact_service.check_kind(kind)
        with ctx.reader() as uow:
            found = _agency(uow.session, agency)
            agency_id, name = found.id, found.name
            user = get_user(uow.session, username=username)
            match = [
                r
                for r in queries.active_contacts(uow.session, agency_id)
                if r.user_id == user.id and r.kind == kind
            ]
            if not match:
                raise NotFound(
                    f"{username} is not a DHR contact of that agency as {contact_label(kind)}",
                    field="USERNAME",
                )
        contact_service.remove_contact(
            ctx.uow(), actor=actor, clock=ctx.clock, agency_id=agency_id, contact_id=match[0].id
        )
    except DhrError as err:
        report(err)
    typer.echo(f"{username} is no longer a DHR contact of {name} ({contact_label(kind)})")

"""`dhr family log|list`: the family engagement log of a case.

The same commands as the JSON API and the web pages (`family/service.py`), behind the same access
policy: agency roles and panel members never read the log, and only the roles that may write it
add to it. A first letter or leaflet sent meets the family-letter deadline.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlmodel import Session, col, select

from dhr_engine.audit.reads import Interface, ReadKind, record_read
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cli.common import AsOption, acting_user, console, context, fail, parse_day, print_json, report
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.family_log import KINDS
from dhr_engine.domain.roles import roles_in_words
from dhr_engine.errors import CaseNotFound, DhrError, ErrorItem, PermissionDenied
from dhr_engine.family import service as family_service
from dhr_engine.family.schemas import FamilyEntryIn
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import Case, FamilyContact

app = typer.Typer(no_args_is_help=True)

KIND_NAMES = ", ".join(KINDS)
# What the service's and the API body's fields are called on the command line.
FIELDS = {"effective_on": "--on", "occurred_on": "--on", "kind": "--kind", "note": "--note"}


def _refuse(err: DhrError) -> NoReturn:
    """Report a refusal naming the command line's own fields."""
    items = [ErrorItem(i.code, i.msg, FIELDS.get(i.field or "", i.field)) for i in err.items]
    report(DhrError(err.msg, items=items))


def _access(session: Session, actor: Actor, ref: str, action: Action, doing: str) -> tuple[Case, Actor]:
    """The case and the actor's roles on it, as the access policy allows: a case the actor may not
    see is "no such case", as it is to the API and the web pages."""
    try:
        case = get_case(session, ref=ref)
        return case, policy.require_case_access(session, actor, case, action)
    except CaseNotFound:
        raise CaseNotFound("no such case", field="ref") from None
    except PermissionDenied:
        who = roles_in_words(policy.POLICY[action])
        raise PermissionDenied(f"only {who} may {doing}", field="role") from None


def _checked(**values: Any) -> None:
    """The API's own limits on what is typed: a refusal, never a cut."""
    try:
        FamilyEntryIn(**values)
    except ValidationError as err:
        first = err.errors()[0]
        field = FIELDS.get(str(first["loc"][0]), str(first["loc"][0]))
        if first["type"] == "string_too_long":
            fail(f"{field}: is longer than {first['ctx']['max_length']} characters", 2)
        fail(f"{field}: {first['msg']}", 2)


def _row(row: FamilyContact) -> dict[str, Any]:
    recorded = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return {
        "id": str(row.id),
        "kind": row.kind,
        "kind_label": KINDS.get(row.kind, row.kind.replace("_", " ")),
        "occurred_on": row.occurred_on.isoformat(),
        "person_id": str(row.person_id) if row.person_id else None,
        "note": row.note,
        "recorded_at": recorded.isoformat(),
    }


@app.command("log")
def log(
    ref: str = typer.Argument(..., metavar="REF", help="The case reference, e.g. DHR-2026-008"),
    kind: str = typer.Option(..., "--kind", help=f"What happened: {KIND_NAMES}", show_default=False),
    on: str = typer.Option(..., "--on", help="Day it happened (YYYY-MM-DD)", show_default=False),
    note: str = typer.Option("", "--note", help="What was said or sent, in a few words"),
    as_user: str | None = AsOption,
) -> None:
    """Add one entry to the family engagement log."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    occurred_on = parse_day(on, "--on")
    assert occurred_on is not None
    if kind not in KINDS:
        fail(f"--kind: unknown kind '{kind}'; give one of {KIND_NAMES}", 2)
    _checked(kind=kind, occurred_on=occurred_on, note=note)
    try:
        with ctx.reader() as uow:
            case, acting = _access(uow.session, actor, ref, Action.FAMILY_MANAGE, "write the family log")
        row = family_service.record_family_contact(
            ctx.uow(),
            actor=acting,
            clock=ctx.clock,
            case_id=case.id,
            kind=kind,
            occurred_on=occurred_on,
            note=note,
        )
    except DhrError as err:
        _refuse(err)
    typer.echo(f"{ref}: {KINDS[row.kind]}, {format_date(row.occurred_on)}")


@app.command("list")
def list_entries(
    ref: str = typer.Argument(..., metavar="REF", help="The case reference, e.g. DHR-2026-008"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
    as_user: str | None = AsOption,
) -> None:
    """Every contact with the family, in the order it happened."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        s = uow.session
        try:
            case, _acting = _access(s, actor, ref, Action.FAMILY_VIEW, "read the family engagement log")
        except DhrError as err:
            _refuse(err)
        found = s.exec(
            select(FamilyContact)
            .where(FamilyContact.case_id == case.id)
            .order_by(col(FamilyContact.occurred_on), col(FamilyContact.recorded_at))
        ).all()
        rows = [_row(r) for r in found]
    record_read(ctx, actor=actor, interface=Interface.CLI, kind=ReadKind.FAMILY_LOG, case_id=case.id)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"The family engagement log of {ref} is empty.")
        return
    table = Table(title=f"Family engagement log of {ref}")
    for column in ("date", "what happened", "note"):
        table.add_column(column)
    for row in rows:
        table.add_row(format_date(date.fromisoformat(row["occurred_on"])), row["kind_label"], row["note"])
    console.print(table)

"""`dhr proceedings add|conclude|list`: criminal trials, inquests and other proceedings beside a review.

The same commands as the JSON API and the web pages (`proceedings/service.py`), behind the same
access policy. Recording a proceeding does not stop the clock by itself: the review is paused and
resumed with the workflow's triggers (`dhr case fire REF pause_for_proceedings`, `resume_review`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from sqlmodel import Session, col, select

from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cli.common import (
    AsOption,
    acting_user,
    console,
    context,
    fail,
    parse_day,
    parse_id,
    print_json,
    report,
)
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.roles import roles_in_words
from dhr_engine.errors import CaseNotFound, DhrError, ErrorItem, PermissionDenied
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import Case, ParallelProceeding
from dhr_engine.proceedings import service as proceeding_service
from dhr_engine.proceedings.schemas import ConcludeIn, ProceedingIn

app = typer.Typer(no_args_is_help=True)

# How each kind is typed on the command line ("trial" for short) and how it reads.
KIND_WORDS = {"trial": "criminal_trial"}
KIND_LABELS = {
    "criminal_trial": "Criminal trial",
    "inquest": "Inquest",
    "iopc": "IOPC investigation",
    "other": "Other proceeding",
}
KIND_NAMES = "trial (or criminal_trial), inquest, iopc or other"
# What the service's and the API bodies' fields are called on the command line.
FIELDS = {
    "effective_on": "--on",
    "started_on": "--on",
    "concluded_on": "--on",
    "proceeding_id": "id",
    "kind": "--kind",
    "body": "--body",
    "reference": "--reference",
    "note": "--note",
    "outcome": "--outcome",
}

RefArgument = typer.Argument(..., metavar="REF", help="The case reference, e.g. DHR-2026-008")


def _refuse(err: DhrError) -> NoReturn:
    """Report a refusal naming the command line's own fields."""
    items = [ErrorItem(i.code, i.msg, FIELDS.get(i.field or "", i.field)) for i in err.items]
    report(DhrError(err.msg, items=items))


def _checked(model: type[ProceedingIn] | type[ConcludeIn], **values: Any) -> None:
    """The API's own limits on what is typed (lengths, kinds): a refusal, never a cut."""
    try:
        model(**values)
    except ValidationError as err:
        first = err.errors()[0]
        field = FIELDS.get(str(first["loc"][0]), str(first["loc"][0]))
        if first["type"] == "string_too_long":
            fail(f"{field}: is longer than {first['ctx']['max_length']} characters", 2)
        fail(f"{field}: {first['msg']}", 2)


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


def _row(actor: Actor, row: ParallelProceeding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(row.id),
        "kind": row.kind,
        "kind_label": KIND_LABELS.get(row.kind, row.kind.replace("_", " ")),
        "body": row.body,
        "reference": row.reference,
        "started_on": row.started_on.isoformat(),
        "concluded_on": row.concluded_on.isoformat() if row.concluded_on else None,
        "pauses_review": row.pauses_review,
    }
    if policy.may_read_field(actor, "proceeding", "note"):
        data["note"] = row.note
    return data


def _day(value: str) -> date:
    day = parse_day(value, "--on")
    assert day is not None
    return day


@app.command("add")
def add(
    ref: str = RefArgument,
    kind: str = typer.Option(..., "--kind", help=KIND_NAMES, show_default=False),
    on: str = typer.Option(..., "--on", help="Day it started (YYYY-MM-DD)", show_default=False),
    body: str = typer.Option("", "--body", help="Who runs it, e.g. the court or the coroner"),
    reference: str = typer.Option("", "--reference", help="Its reference with that body"),
    note: str = typer.Option("", "--note", help="A note (not shown to agency roles or panel members)"),
    pauses_review: bool = typer.Option(
        True, "--pauses-review/--does-not-pause", help="Whether the review waits for it"
    ),
    as_user: str | None = AsOption,
) -> None:
    """Record a proceeding and print its id; then pause the review with its trigger."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    started_on = _day(on)
    code = KIND_WORDS.get(kind, kind)
    if code not in proceeding_service.KINDS:
        fail(f"--kind: unknown kind '{kind}'; give one of {KIND_NAMES}", 2)
    _checked(ProceedingIn, kind=code, started_on=started_on, body=body, reference=reference, note=note)
    try:
        with ctx.reader() as uow:
            case, acting = _access(uow.session, actor, ref, Action.PROCEEDINGS_MANAGE, "record proceedings")
        row = proceeding_service.record_proceeding(
            ctx.uow(),
            actor=acting,
            clock=ctx.clock,
            case_id=case.id,
            kind=code,
            started_on=started_on,
            body=body,
            reference=reference,
            note=note,
            pauses_review=pauses_review,
        )
    except DhrError as err:
        _refuse(err)
    typer.echo(str(row.id))


@app.command("conclude")
def conclude(
    ref: str = RefArgument,
    proceeding_id: str = typer.Argument(..., metavar="ID", help="The proceeding's id (dhr proceedings list)"),
    on: str = typer.Option(..., "--on", help="Day it concluded (YYYY-MM-DD)", show_default=False),
    outcome: str = typer.Option("", "--outcome", help="How it ended, in a few words (added to the note)"),
    as_user: str | None = AsOption,
) -> None:
    """Record that a proceeding has concluded; then resume the review with its trigger."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    concluded_on = _day(on)
    row_id = parse_id(proceeding_id, "id")
    _checked(ConcludeIn, concluded_on=concluded_on, outcome=outcome)
    try:
        with ctx.reader() as uow:
            case, acting = _access(uow.session, actor, ref, Action.PROCEEDINGS_MANAGE, "conclude proceedings")
        row = proceeding_service.conclude_proceeding(
            ctx.uow(),
            actor=acting,
            clock=ctx.clock,
            case_id=case.id,
            proceeding_id=row_id,
            concluded_on=concluded_on,
            outcome=outcome,
        )
    except DhrError as err:
        _refuse(err)
    label = KIND_LABELS.get(row.kind, row.kind)
    typer.echo(f"{ref}: {label} concluded on {format_date(concluded_on)}")


@app.command("list")
def list_proceedings(
    ref: str = RefArgument,
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
    as_user: str | None = AsOption,
) -> None:
    """The proceedings running beside the review, open or concluded."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        s = uow.session
        try:
            case, acting = _access(s, actor, ref, Action.PROCEEDINGS_VIEW, "see a case's proceedings")
        except DhrError as err:
            _refuse(err)
        found = s.exec(
            select(ParallelProceeding)
            .where(ParallelProceeding.case_id == case.id)
            .order_by(col(ParallelProceeding.started_on), col(ParallelProceeding.id))
        ).all()
        rows = [_row(acting, r) for r in found]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"{ref} has no parallel proceedings.")
        return
    typer.echo(f"Parallel proceedings of {ref}")
    for row in rows:
        typer.echo(_described(row))


def _described(row: dict[str, Any]) -> str:
    """One proceeding in words, its id on a line of its own (`dhr proceedings conclude` needs it)."""
    what = ", ".join(part for part in (row["kind_label"], row["body"], row["reference"]) if part)
    concluded = date.fromisoformat(row["concluded_on"]) if row["concluded_on"] else None
    when = f"started {format_date(date.fromisoformat(row['started_on']))}"
    when += f", concluded {format_date(concluded)}" if concluded else ", not yet concluded"
    pauses = "pauses the review" if row["pauses_review"] else "the review goes on beside it"
    lines = [f"- {what}: {when}; {pauses}", f"  id {row['id']}"]
    if row.get("note"):
        lines.append(f"  note: {row['note']}")
    return "\n".join(lines)

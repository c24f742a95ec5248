"""`dhr returns request|list|fire|submit|attach|import-chronology|chase|compare|merged-chronology`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlmodel import Session, func, select

from dhr_engine.audit.reads import Interface, ReadKind, record_read
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
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.errors import DhrError
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import Agency, Case, ReturnRequest
from dhr_engine.persistence.tables_returns import ReturnVersion
from dhr_engine.returns import access, attachments, chronology, compare, export, merged, service
from dhr_engine.returns.chronology_input import ChronologyRejected
from dhr_engine.returns.upload import read_limited

app = typer.Typer(no_args_is_help=True)

CaseOption = typer.Option(..., "--case", help="The case reference, e.g. DHR-2026-004")
KindHelp = "scoping_reply, imr, chronology, short_report or action_plan_progress"


def _agency(session: Session, value: str) -> Agency:
    """An agency by id or by exact name (case-insensitive)."""
    try:
        found = session.get(Agency, uuid.UUID(value))
    except ValueError:
        found = session.exec(select(Agency).where(func.lower(Agency.name) == value.strip().lower())).first()
    if found is None:
        fail(f"--agency: no agency '{value}'; give its name or id")
    return found


def _case(session: Session, ref: str) -> Case:
    try:
        return get_case(session, ref=ref)
    except DhrError as err:
        report(err)


@app.command("request")
def request(
    ref: str = CaseOption,
    kind: str = typer.Option(..., "--kind", help=KindHelp),
    agency: list[str] = typer.Option(..., "--agency", help="Agency name or id (repeat for several)"),
    note: str = typer.Option("", "--note", help="What is asked, in a few words"),
    on: str | None = typer.Option(None, "--on", help="Day the request was sent (YYYY-MM-DD)"),
    as_user: str | None = AsOption,
) -> None:
    """Ask agencies for a return; each gets its due date and a request letter."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        case_id = _case(uow.session, ref).id
        agency_ids = [_agency(uow.session, a).id for a in agency]
    try:
        made = service.request_returns(
            ctx.uow(),
            actor=actor,
            clock=ctx.clock,
            case_id=case_id,
            agency_ids=agency_ids,
            kind=kind,
            note=note,
            requested_on=parse_day(on, "--on"),
        )
    except DhrError as err:
        report(err)
    for r in made:
        typer.echo(str(r.id))
    with ctx.reader() as uow:
        warnings = service.contact_warnings(uow.session, [r.agency_id for r in made])
    for line in warnings:
        typer.echo(f"Warning: {line}.", err=True)


@app.command("list")
def list_requests(
    ref: str = CaseOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
    as_user: str | None = AsOption,
) -> None:
    """The case's return requests you may see, with stage, due date and versions."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    rows: list[dict[str, Any]] = []
    with ctx.reader() as uow:
        s = uow.session
        case = _case(s, ref)
        try:
            requests = access.visible_requests(s, actor, case)
        except DhrError as err:
            report(err)
        for r in requests:
            due = service.due_row(s, r)
            versions = s.exec(
                select(func.count()).select_from(ReturnVersion).where(ReturnVersion.request_id == r.id)
            ).one()
            agency = s.get(Agency, r.agency_id)
            rows.append(
                {
                    "id": str(r.id),
                    "agency": agency.name if agency else "",
                    "kind": r.kind,
                    "stage": r.stage,
                    "requested_on": r.requested_on.isoformat(),
                    "due": due.adjusted_due.isoformat() if due else None,
                    "due_status": due.status if due else None,
                    "versions": int(versions),
                }
            )
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Agency returns: {ref}")
    for column in ("agency", "kind", "stage", "due", "versions", "id"):
        table.add_column(column)
    for row in rows:
        due_on = parse_day(row["due"], "due")
        shown = format_date(due_on) if due_on else ""
        table.add_row(
            row["agency"],
            KINDS[row["kind"]].label,
            row["stage"].replace("_", " "),
            f"{shown} ({str(row['due_status']).replace('_', ' ')})" if shown else "",
            str(row["versions"]),
            row["id"],
        )
    console.print(table)


@app.command("fire")
def fire_step(
    request_id: str,
    trigger: str = typer.Argument(
        ..., help="acknowledge, sign_off, return_to_author, accept, request_changes or withdraw"
    ),
    reason: str = typer.Option("", "--reason", help="Comment (needed to ask for changes or send back)"),
    on: str | None = typer.Option(None, "--on", help="Day it happened (YYYY-MM-DD)"),
    as_user: str | None = AsOption,
) -> None:
    """Move a return one step (use `submit` to submit a version)."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    if trigger in service.SUBMIT_TRIGGERS:
        fail("use 'dhr returns submit' to submit a version")
    try:
        row = service.fire_return(
            ctx.uow(),
            actor=actor,
            clock=ctx.clock,
            request_id=parse_id(request_id, "request_id"),
            trigger=trigger,
            reason=reason,
            effective_on=parse_day(on, "--on"),
        )
    except DhrError as err:
        report(err)
    typer.echo(row.stage)


@app.command("submit")
def submit(
    request_id: str,
    text_file: Path | None = typer.Option(
        None, "--text-file", help="A UTF-8 text file with the return's text"
    ),
    change_note: str = typer.Option("", "--change-note", help="What changed since the last version"),
    contact: str | None = typer.Option(None, "--contact", help="Scoping reply: yes or no"),
    records_secured_on: str | None = typer.Option(None, "--records-secured-on", help="YYYY-MM-DD"),
    on: str | None = typer.Option(None, "--on", help="Day it was submitted (YYYY-MM-DD)"),
    as_user: str | None = AsOption,
) -> None:
    """Submit the draft (text, attachments, chronology) as a new version for sign-off."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    text = text_file.read_text(encoding="utf-8") if text_file else ""
    try:
        row = service.submit_return(
            ctx.uow(),
            actor=actor,
            clock=ctx.clock,
            request_id=parse_id(request_id, "request_id"),
            submission=service.Submission(
                text=text,
                change_note=change_note,
                contact=contact,
                records_secured_on=parse_day(records_secured_on, "--records-secured-on"),
            ),
            effective_on=parse_day(on, "--on"),
        )
    except DhrError as err:
        report(err)
    typer.echo(row.stage)


def _read_limited(path: Path) -> bytes:
    """The file's bytes, read a chunk at a time: refused, unread past it, over the upload limit."""
    with path.open("rb") as handle:
        return read_limited(handle)


@app.command("attach")
def attach(request_id: str, file: Path, as_user: str | None = AsOption) -> None:
    """Attach a Word (.docx) or PDF file to the draft of a return."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    try:
        row = attachments.upload_attachment(
            ctx.uow(),
            actor=actor,
            clock=ctx.clock,
            storage_dir=ctx.settings.storage_dir,
            request_id=parse_id(request_id, "request_id"),
            filename=file.name,
            content=_read_limited(file),
        )
    except DhrError as err:
        report(err)
    typer.echo(f"{row.id} {row.media_type} {row.sha256}")


@app.command("import-chronology")
def import_chronology(
    request_id: str,
    file: Path,
    replace: bool = typer.Option(False, "--replace", help="Replace the draft's entries instead of adding"),
    as_user: str | None = AsOption,
) -> None:
    """Import chronology entries from a CSV or Excel (.xlsx) file: every row, or none."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    try:
        result = chronology.import_file(
            ctx.uow(),
            actor=actor,
            clock=ctx.clock,
            request_id=parse_id(request_id, "request_id"),
            content=_read_limited(file),
            replace=replace,
        )
    except ChronologyRejected as err:
        fail("\n".join([err.msg, *(str(e) for e in err.errors)]), 2)
    except DhrError as err:
        report(err)
    typer.echo(f"imported {result.imported} entries; the draft holds {result.total}")


@app.command("chase")
def chase(
    request_id: str,
    escalate: bool = typer.Option(False, "--escalate", help="Escalate to the senior manager and CSP chair"),
    note: str = typer.Option("", "--note"),
    as_user: str | None = AsOption,
) -> None:
    """Chase an agency for a return (queued e-mail), or escalate it."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    try:
        item = service.chase_return(
            ctx.uow(),
            actor=actor,
            clock=ctx.clock,
            request_id=parse_id(request_id, "request_id"),
            escalate=escalate,
            note=note,
        )
    except DhrError as err:
        report(err)
    typer.echo(item.topic)


@app.command("compare")
def compare_cmd(request_id: str, older: int, newer: int, as_user: str | None = AsOption) -> None:
    """What changed between two versions of a return."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        try:
            request_uuid = parse_id(request_id, "request_id")
            diff = compare.compare_versions(uow.session, actor, request_uuid, older, newer)
        except DhrError as err:
            report(err)
        case_id = uow.session.get_one(ReturnRequest, request_uuid).case_id
    record_read(
        ctx,
        actor=actor,
        interface=Interface.CLI,
        kind=ReadKind.RETURN_VERSION,
        case_id=case_id,
        record_id=request_uuid,
    )
    typer.echo(f"Version {older} ({format_date(diff.older.submitted_on)}, {diff.older.submitted_by_label})")
    typer.echo(f"Version {newer} ({format_date(diff.newer.submitted_on)}, {diff.newer.submitted_by_label})")
    typer.echo(f"What changed, says the agency: {diff.newer.change_note or '(not said)'}")
    if diff.unchanged:
        typer.echo("No differences.")
    for name, (was, now) in diff.answers_changed.items():
        typer.echo(f"{name}: {was} -> {now}")
    for name in diff.attachments_added:
        typer.echo(f"+ file {name}")
    for name in diff.attachments_removed:
        typer.echo(f"- file {name}")
    for line in diff.entries_added:
        typer.echo(f"+ entry {line}")
    for line in diff.entries_removed:
        typer.echo(f"- entry {line}")
    for line in diff.text_diff:
        typer.echo(line)


@app.command("merged-chronology")
def merged_chronology(
    ref: str = CaseOption,
    fmt: str = typer.Option("docx", "--format", help="docx or csv"),
    out: Path = typer.Option(..., "--out", help="File to write"),
    agency: list[str] = typer.Option([], "--agency", help="Only these agencies (name or id; repeat)"),
    start: str | None = typer.Option(None, "--from", help="Period start (YYYY-MM-DD)"),
    end: str | None = typer.Option(None, "--to", help="Period end (YYYY-MM-DD)"),
    gap_days: int = typer.Option(
        merged.DEFAULT_GAP_DAYS, "--gap-days", help="Highlight gaps longer than this"
    ),
    as_user: str | None = AsOption,
) -> None:
    """Export the merged multi-agency chronology of a case to Word or CSV, in time order."""
    if fmt not in {"docx", "csv"}:
        fail("--format: use docx or csv")
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        s = uow.session
        case = _case(s, ref)
        ids = [_agency(s, a).id for a in agency] or None
        try:
            chain = merged.merged_chronology(
                s,
                actor,
                case,
                agency_ids=ids,
                start=parse_day(start, "--from"),
                end=parse_day(end, "--to"),
                gap_days=gap_days,
            )
        except DhrError as err:
            report(err)
        content = (
            export.to_csv(chain)
            if fmt == "csv"
            else export.to_docx(
                chain, generated_on=ctx.clock.today(), marking=ctx.settings.protective_marking
            )
        )
    record_read(
        ctx, actor=actor, interface=Interface.CLI, kind=ReadKind.MERGED_CHRONOLOGY_EXPORT, case_id=case.id
    )
    out.write_bytes(content)
    typer.echo(f"{out} ({len(chain.rows)} entries, {len(chain.gaps)} gaps, {len(chain.same_days)} same-day)")

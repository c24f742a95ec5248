"""`dhr letters`: codes, render, draft, list, approve, send, email, cancel, verify, download, drain,
progress-requests, sample, and `request draft|approve|send` for every agency of a return request."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlmodel import col, select

from dhr_engine.audit.reads import Interface, letter_kind, record_read
from dhr_engine.cli.common import AsOption, acting_user, console, context, fail, print_json, report
from dhr_engine.context import AppContext
from dhr_engine.domain.calendar import format_date
from dhr_engine.errors import DhrError
from dhr_engine.letters import access as letter_access
from dhr_engine.letters import service as letter_service
from dhr_engine.letters.bulk import draft_progress_requests, progress_targets
from dhr_engine.letters.catalogue import CATALOGUE, spec_for, validate_context
from dhr_engine.letters.rendering import render_letter
from dhr_engine.letters.samples import load_sample
from dhr_engine.persistence.tables import Agency, Case, Person, ReturnRequest
from dhr_engine.persistence.tables_letters import Letter

app = typer.Typer(no_args_is_help=True)

FieldOption = typer.Option(
    [], "--field", "-f", help="A merge field as NAME=VALUE (YAML value: lists and dates work); repeat"
)
FormatOption = typer.Option("pdf", "--format", help="pdf, docx or html")
AgencyOption = typer.Option(None, help="Agency recipient (part of its name)")
PersonOption = typer.Option(None, help="Family recipient (their pseudonym)")


def _fields(pairs: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--field '{pair}': write it as NAME=VALUE")
        parsed = yaml.safe_load(value) if value.strip() else ""
        fields[name.strip()] = value if isinstance(parsed, int | float | bool) or parsed is None else parsed
    return fields


def _agency_id(ctx: AppContext, name: str | None) -> uuid.UUID | None:
    if not name:
        return None
    with ctx.reader() as uow:
        rows = uow.session.exec(select(Agency)).all()
    wanted = name.lower()
    matches = [a for a in rows if wanted in a.name.lower() or wanted == a.email.split("@")[0]]
    if len(matches) != 1:
        fail(f"--agency '{name}' matches {len(matches)} agencies; be more precise")
    return matches[0].id


def _person_id(ctx: AppContext, ref: str, pseudonym: str | None) -> uuid.UUID | None:
    if not pseudonym:
        return None
    with ctx.reader() as uow:
        found = uow.session.exec(
            select(Person.id)
            .join(Case, col(Case.id) == col(Person.case_id))
            .where(Case.ref == ref, Person.pseudonym == pseudonym)
        ).first()
    if found is None:
        fail(f"--person: nobody with the pseudonym '{pseudonym}' on {ref}")
    return found


def _draft_request(
    ctx: AppContext, ref: str, code: str, field: list[str], agency: str | None, person: str | None
) -> letter_service.DraftRequest:
    """The letter asked for on the command line: its code, --field values and chosen recipient."""
    return letter_service.DraftRequest(
        code=code,
        fields=_fields(field),
        agency_id=_agency_id(ctx, agency),
        person_id=_person_id(ctx, ref, person),
    )


def _letter_id(ctx: AppContext, text: str) -> uuid.UUID:
    """A letter by its id or the first characters of it (as `dhr letters list` shows)."""
    with ctx.reader() as uow:
        ids = [i for i in uow.session.exec(select(Letter.id)).all() if str(i).startswith(text.lower())]
    if len(ids) != 1:
        fail(f"'{text}' matches {len(ids)} letters; give more of the id")
    return ids[0]


def _write(out: Path, data: bytes | str) -> None:
    if isinstance(data, str):
        out.write_text(data, encoding="utf-8")
    else:
        out.write_bytes(data)
    console.print(f"Wrote {out}")


@app.command("codes")
def codes(as_json: bool = typer.Option(False, "--json")) -> None:
    """List the letter catalogue: codes, titles, recipients and merge fields."""
    rows = [
        {
            "code": s.code,
            "number": s.number,
            "title": s.title,
            "recipient": s.recipient,
            "template": s.template,
            "merge_fields": s.merge_fields,
        }
        for s in CATALOGUE.values()
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Letter catalogue (use the number in `dhr letters render REF C11`)")
    for column in ("No.", "title", "recipient", "fields"):
        table.add_column(column)
    for s in CATALOGUE.values():
        table.add_row(s.number, s.title, s.recipient, str(len(s.merge_fields)))
    console.print(table)


@app.command("render")
def render(
    ref: str,
    code: str,
    fmt: str = FormatOption,
    out: Path = typer.Option(..., "--out", help="File to write"),
    field: list[str] = FieldOption,
    agency: str | None = AgencyOption,
    person: str | None = PersonOption,
    as_user: str | None = AsOption,
) -> None:
    """Render one letter for a case from its record (plus --field values) without storing it."""
    ctx = context()
    request = _draft_request(ctx, ref, code, field, agency, person)
    actor = acting_user(ctx, as_user)
    try:
        rendered = letter_service.preview_letter(ctx, actor=actor, request=request, ref=ref)
    except DhrError as err:
        report(err)
    if fmt not in ("pdf", "docx", "html"):
        fail("--format must be pdf, docx or html")
    spec = spec_for(code)
    with ctx.reader() as uow:
        case_id = uow.session.exec(select(Case.id).where(Case.ref == ref)).one()
    record_read(
        ctx,
        actor=actor,
        interface=Interface.CLI,
        kind=letter_kind(spec.recipient_kind, spec.identity),
        case_id=case_id,
    )
    _write(out, rendered.html if fmt == "html" else rendered.pdf if fmt == "pdf" else rendered.docx)


@app.command("draft")
def draft(
    ref: str,
    code: str,
    field: list[str] = FieldOption,
    agency: str | None = AgencyOption,
    person: str | None = PersonOption,
    as_user: str | None = AsOption,
) -> None:
    """Draft a letter by hand and add it to the case's register."""
    ctx = context()
    request = _draft_request(ctx, ref, code, field, agency, person)
    try:
        letter = letter_service.draft_letter(ctx, actor=acting_user(ctx, as_user), request=request, ref=ref)
    except DhrError as err:
        report(err)
    typer.echo(f"{letter.id} drafted: {spec_for(letter.code).number} to {letter.recipient_label}")


@app.command("list")
def list_letters(
    ref: str, as_json: bool = typer.Option(False, "--json"), as_user: str | None = AsOption
) -> None:
    """The case's letter register, and letters queued by the workflow that still need input."""
    ctx = context()
    try:
        rows = letter_service.list_letters(ctx, actor=acting_user(ctx, as_user), ref=ref)
        with ctx.reader() as uow:
            case_id = uow.session.exec(select(Case.id).where(Case.ref == ref)).one()
        queued = letter_service.queued_letters(ctx, case_id=case_id)
    except DhrError as err:
        report(err)
    data = [
        {
            "id": str(r.id),
            "code": r.code,
            "recipient": r.recipient_label,
            "status": r.status,
            "date": r.letter_date.isoformat(),
            "template": r.template_path,
            "template_version": r.template_version,
            "pdf_sha256": r.pdf_sha256,
        }
        for r in rows
    ]
    if as_json:
        print_json(
            {
                "letters": data,
                "queued": [{"code": q.topic, "status": q.status, "needs": q.last_error} for q in queued],
            }
        )
        return
    table = Table(title=f"Letters of {ref}")
    for column in ("id", "No.", "letter", "recipient", "status", "date"):
        table.add_column(column)
    for r in rows:
        spec = spec_for(r.code)
        table.add_row(str(r.id)[:8], spec.number, spec.title, r.recipient_label, r.status.replace("_", " "),
                      format_date(r.letter_date))  # fmt: skip
    console.print(table)
    for q in queued:
        console.print(
            f"Queued {spec_for(q.topic).number} ({q.status}): {q.last_error or 'waiting to be drafted'}"
        )


@app.command("approve")
def approve(letter_id: str, as_user: str | None = AsOption) -> None:
    """Approve a draft letter (a role the catalogue allows; not its drafter)."""
    ctx = context()
    try:
        letter = letter_service.approve_letter(
            ctx, actor=acting_user(ctx, as_user), letter_id=_letter_id(ctx, letter_id)
        )
    except DhrError as err:
        report(err)
    typer.echo(f"{letter.id} approved")


@app.command("send")
def send(
    letter_id: str,
    via: str = typer.Option("post", help="post, email or hand"),
    as_user: str | None = AsOption,
) -> None:
    """Record an approved letter as sent; its PDF and .docx are kept, hashed, for good."""
    ctx = context()
    try:
        letter = letter_service.send_letter(
            ctx, actor=acting_user(ctx, as_user), letter_id=_letter_id(ctx, letter_id), via=via
        )
    except DhrError as err:
        report(err)
    typer.echo(f"{letter.id} sent by {via}; PDF sha256 {letter.pdf_sha256}")


@app.command("email")
def email(
    letter_id: str,
    word: bool = typer.Option(False, "--word", help="Attach the Word file as well as the PDF"),
    as_user: str | None = AsOption,
) -> None:
    """Send an approved letter by e-mail to the agency's secure address (through the outbox)."""
    ctx = context()
    try:
        letter = letter_service.email_letter(
            ctx, actor=acting_user(ctx, as_user), letter_id=_letter_id(ctx, letter_id), with_docx=word
        )
    except DhrError as err:
        report(err)
    typer.echo(
        f"{letter.id} sent by e-mail: queued, not sent yet (`dhr outbox drain` or the scheduler sends it)"
    )


request_app = typer.Typer(
    no_args_is_help=True, help="The letters to every agency of a return request at once"
)
app.add_typer(request_app, name="request")


def _request_id(ctx: AppContext, text: str) -> uuid.UUID:
    """A return request by its id or the first characters of it."""
    with ctx.reader() as uow:
        ids = [i for i in uow.session.exec(select(ReturnRequest.id)).all() if str(i).startswith(text.lower())]
    if len(ids) != 1:
        fail(f"'{text}' matches {len(ids)} return requests; give more of the id")
    return ids[0]


def _show_request(ctx: AppContext, found: letter_service.RequestLetters, done: str) -> None:
    deliveries = letter_service.delivery_of(ctx, [x.id for x in found.letters])
    spec = spec_for(found.code)
    table = Table(title=f"{spec.number} {spec.title} ({found.case_ref}): {done}")
    for column in ("id", "to", "status", "e-mail"):
        table.add_column(column)
    for x in found.letters:
        label = letter_service.delivery_label(deliveries.get(x.id)) or "not sent by e-mail"
        table.add_row(str(x.id)[:8], x.recipient_label, x.status, label)
    console.print(table)


@request_app.command("draft")
def request_draft(request_id: str, as_user: str | None = AsOption) -> None:
    """Draft (or bring up to date) the request letter to every agency asked with this request."""
    ctx = context()
    try:
        found = letter_service.draft_for_request(
            ctx, actor=acting_user(ctx, as_user), request_id=_request_id(ctx, request_id)
        )
    except DhrError as err:
        report(err)
    _show_request(ctx, found, "drafted")


@request_app.command("approve")
def request_approve(request_id: str, as_user: str | None = AsOption) -> None:
    """Approve every draft letter of the request (not letters you drafted yourself)."""
    ctx = context()
    try:
        found = letter_service.approve_for_request(
            ctx, actor=acting_user(ctx, as_user), request_id=_request_id(ctx, request_id)
        )
    except DhrError as err:
        report(err)
    _show_request(ctx, found, "approved")


@request_app.command("send")
def request_send(
    request_id: str,
    word: bool = typer.Option(False, "--word", help="Attach the Word files as well as the PDFs"),
    as_user: str | None = AsOption,
) -> None:
    """E-mail every approved letter of the request to each agency's secure address."""
    ctx = context()
    try:
        found = letter_service.send_for_request(
            ctx, actor=acting_user(ctx, as_user), request_id=_request_id(ctx, request_id), with_docx=word
        )
    except DhrError as err:
        report(err)
    _show_request(ctx, found, "sent by e-mail, queued")


@app.command("cancel")
def cancel(
    letter_id: str, reason: str = typer.Option(..., "--reason"), as_user: str | None = AsOption
) -> None:
    """Withdraw a draft or approved letter (a sent letter cannot be cancelled or deleted)."""
    ctx = context()
    try:
        letter_service.cancel_letter(
            ctx, actor=acting_user(ctx, as_user), letter_id=_letter_id(ctx, letter_id), reason=reason
        )
    except DhrError as err:
        report(err)
    typer.echo("cancelled")


@app.command("verify")
def verify(letter_id: str, as_user: str | None = AsOption) -> None:
    """Check a sent letter's hashes, and that rendering it again gives the same bytes (or why not)."""
    ctx = context()
    try:
        letter = letter_service.get_letter(
            ctx, actor=acting_user(ctx, as_user), letter_id=_letter_id(ctx, letter_id)
        )
    except DhrError as err:
        report(err)
    problems = letter_service.verify_letter(letter)
    if problems:
        fail("\n".join(problems), 3)
    again = letter_service.rerender_sent(ctx, letter)
    typer.echo("hashes verify")
    typer.echo(
        "re-rendering gives the same bytes"
        if again.identical
        else "re-rendering differs: " + "; ".join(again.reasons)
    )


@app.command("download")
def download(
    letter_id: str,
    fmt: str = FormatOption,
    out: Path = typer.Option(..., "--out"),
    as_user: str | None = AsOption,
) -> None:
    """Write a stored letter as PDF, .docx or HTML (a sent letter: exactly the bytes sent)."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    try:
        letter = letter_service.get_letter(ctx, actor=actor, letter_id=_letter_id(ctx, letter_id))
        data: bytes | str = (
            letter_service.letter_html(ctx, letter)
            if fmt == "html"
            else letter_service.letter_file(ctx, letter, fmt)
        )
    except DhrError as err:
        report(err)
    record_read(
        ctx,
        actor=actor,
        interface=Interface.CLI,
        kind=letter_access.read_kind(letter),
        case_id=letter.case_id,
        record_id=letter.id,
    )
    _write(out, data)


@app.command("drain")
def drain() -> None:
    """Draft the letters the workflow queued (the scheduler does this every minute)."""
    ctx = context()
    result = letter_service.draft_queued_letters(ctx)
    typer.echo(f"{result.drafted} letters drafted")
    for ref, code in result.needs_input:
        typer.echo(f"{ref} {spec_for(code).number}: needs input; see 'dhr letters list {ref}'")


@app.command("progress-requests")
def progress_requests(
    quarter: str = typer.Option(..., "--quarter", help="e.g. 2026-Q4"), as_user: str | None = AsOption
) -> None:
    """Draft every action-plan progress request (C21) of a quarter: one per case and lead agency."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    total = len(progress_targets(ctx))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"C21 progress requests {quarter}", total=total)
            result = draft_progress_requests(
                ctx, actor=actor, quarter=quarter, on_progress=lambda _t: progress.advance(task)
            )
    except DhrError as err:
        report(err)
    typer.echo(
        f"{len(result.drafted)} drafted, {len(result.skipped)} already drafted, {len(result.failed)} failed"
    )
    for target, problem in result.failed:
        typer.echo(f"  {target.case_ref} {target.agency_name}: {problem}")


@app.command("sample")
def sample(
    code: str,
    fmt: str = FormatOption,
    out: Path = typer.Option(..., "--out"),
    csp: str | None = typer.Option(None, help="Render with this partnership's overrides (its slug)"),
) -> None:
    """Render a letter's sample merge data (templates/letters/samples/) to a file."""
    ctx = context()
    spec = spec_for(code)
    data = load_sample(ctx.settings.templates_dir, spec)
    try:
        model = validate_context(spec.code, data.context)
    except DhrError as err:
        report(err)
    rendered = render_letter(spec, model, templates_dir=ctx.settings.templates_dir, csp_slug=csp)
    _write(out, {"pdf": rendered.pdf, "docx": rendered.docx}.get(fmt, rendered.html))

"""`dhr plans list|actions|fire|progress|review|due|export|themes|repeats|oversight|charts`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table
from sqlmodel import Session, select

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
from dhr_engine.errors import DhrError
from dhr_engine.persistence.tables import Csp
from dhr_engine.plans import actions as action_service
from dhr_engine.plans import charts, export, lessons, monitoring, oversight, queries
from dhr_engine.plans.rag import DUE_SOON_DAYS, STALE_AFTER_DAYS
from dhr_engine.plans.themes import taxonomy

app = typer.Typer(no_args_is_help=True)

FormatOption = typer.Option("xlsx", "--format", help="csv or xlsx")
KindOption = typer.Option(None, "--kind", help="review or priority (default: both)")


def _csp(session: Session, slug: str | None) -> Csp:
    query = select(Csp).where(Csp.slug == slug) if slug else select(Csp).order_by(Csp.slug)
    csp = session.exec(query).first()
    if csp is None:
        fail(
            f"no Community Safety Partnership '{slug}'"
            if slug
            else "no Community Safety Partnership; run 'dhr init'"
        )
    return csp


def _written(paths: list[Path]) -> None:
    for path in paths:
        typer.echo(str(path))


@app.command("list")
def list_plans(kind: str | None = KindOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """List plans with how many actions are in each RAG state."""
    ctx = context()
    today = ctx.clock.today()
    with ctx.reader() as uow:
        plans = queries.list_plans(uow.session, kind=kind)
        rows = queries.action_rows(uow.session, today, plans=plans)
    data = []
    for plan in plans:
        counts = Counter(r.rag for r in rows if r.plan_id == plan.id)
        data.append(
            {
                "id": str(plan.id),
                "kind": plan.kind,
                "plan_type": plan.plan_type,
                "title": plan.title,
                "next_review_on": plan.next_review_on.isoformat() if plan.next_review_on else None,
                **{rag: counts[rag] for rag in ("red", "amber", "green", "blue")},
            }
        )
    if as_json:
        print_json(data)
        return
    table = Table(title="Plans")
    for column in ("plan", "type", "red", "amber", "green", "blue", "next review", "id"):
        table.add_column(column)
    for d, plan in zip(data, plans, strict=True):
        due = format_date(plan.next_review_on) if plan.next_review_on else ""
        table.add_row(
            plan.title,
            plan.plan_type.replace("_", " "),
            *(str(d[r]) for r in ("red", "amber", "green", "blue")),
            due,
            str(plan.id),
        )
    console.print(table)
    typer.echo(
        f"RAG: blue complete; red overdue or closed not done; amber due within {DUE_SOON_DAYS} days "
        f"or no update for {STALE_AFTER_DAYS} days; green on track."
    )


@app.command("actions")
def list_actions(
    plan: str | None = typer.Option(None, "--plan", help="Only this plan's actions (plan id)"),
    kind: str | None = KindOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List actions with their status, target date and RAG rating."""
    ctx = context()
    with ctx.reader() as uow:
        chosen = queries.list_plans(uow.session, kind=kind)
        if plan:
            chosen = [p for p in chosen if p.id == parse_id(plan, "plan")]
        rows = queries.action_rows(uow.session, ctx.clock.today(), plans=chosen)
    if as_json:
        print_json([{"id": str(r.action_id), **r.as_dict()} for r in rows])
        return
    table = Table(title="Actions")
    for column in ("plan", "action", "lead agency", "target", "status", "RAG", "id"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.plan_title,
            f"{r.number} {r.description}",
            r.lead_agency,
            format_date(r.target_date),
            r.stage,
            r.rag,
            str(r.action_id),
        )
    console.print(table)


@app.command("fire")
def fire(
    action_id: str,
    trigger: str,
    evidence: str = typer.Option("", help="Evidence of completion (needed to complete)"),
    reason: str = typer.Option("", help="Why (needed to close an action not done)"),
    on: str | None = typer.Option(None, "--on", help="Date it happened (YYYY-MM-DD, default today)"),
    as_user: str | None = AsOption,
) -> None:
    """Move an action: agree, start, complete (with --evidence) or close_not_done (with --reason)."""
    ctx = context()
    try:
        action = action_service.fire_action(
            ctx.uow(),
            actor=acting_user(ctx, as_user),
            clock=ctx.clock,
            action_id=parse_id(action_id, "action_id"),
            trigger=trigger,
            effective_on=parse_day(on, "on"),
            evidence=evidence,
            reason=reason,
        )
    except DhrError as err:
        report(err)
    typer.echo(f"{action.number}: {action.stage}")


@app.command("progress")
def progress(
    action_id: str,
    note: str,
    on: str | None = typer.Option(None, "--on", help="Date of the update (YYYY-MM-DD, default today)"),
    as_user: str | None = AsOption,
) -> None:
    """Record the lead agency's progress update on an action."""
    ctx = context()
    try:
        update = action_service.record_progress(
            ctx.uow(),
            actor=acting_user(ctx, as_user),
            clock=ctx.clock,
            action_id=parse_id(action_id, "action_id"),
            note=note,
            reported_on=parse_day(on, "on"),
        )
    except DhrError as err:
        report(err)
    typer.echo(f"progress recorded on {format_date(update.reported_on)}")


@app.command("review")
def review(
    plan_id: str,
    on: str | None = typer.Option(None, "--on", help="Date of the review (YYYY-MM-DD, default today)"),
    yearly: bool = typer.Option(False, "--yearly", help="The annual review of a priority plan"),
    as_user: str | None = AsOption,
) -> None:
    """Record a periodic review of a plan; the next one falls one cadence later."""
    ctx = context()
    try:
        plan = monitoring.record_plan_review(
            ctx.uow(),
            actor=acting_user(ctx, as_user),
            clock=ctx.clock,
            plan_id=parse_id(plan_id, "plan_id"),
            reviewed_on=parse_day(on, "on"),
            yearly=yearly,
        )
    except DhrError as err:
        report(err)
    nxt = format_date(plan.next_review_on) if plan.next_review_on else "when monitoring starts"
    typer.echo(f"reviewed; next review {nxt}")


@app.command("due")
def due(
    within: int = typer.Option(0, help="Also list what falls due within this many days"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Plan reviews due and actions past their target date."""
    ctx = context()
    today = ctx.clock.today()
    with ctx.reader() as uow:
        items = monitoring.due_items(uow.session, today, within_days=within)
    data = [
        {
            "kind": i.kind,
            "plan": i.plan_title,
            "action": i.action_number,
            "lead_agency": i.lead_agency,
            "due_on": i.due_on.isoformat(),
            "days_late": i.days_late(today),
        }
        for i in items
    ]
    if as_json:
        print_json(data)
        return
    table = Table(title="Due and overdue")
    for column in ("what", "plan", "action", "lead agency", "due", "days late"):
        table.add_column(column)
    for i in items:
        table.add_row(
            i.kind.replace("_", " "),
            i.plan_title,
            i.action_number,
            i.lead_agency,
            format_date(i.due_on),
            str(i.days_late(today)),
        )
    console.print(table)


@app.command("export")
def export_plans(
    out: Path = typer.Option(..., "--out", help="File to write (the suffix follows --format)"),
    fmt: str = FormatOption,
    kind: str | None = KindOption,
) -> None:
    """Export plans and their actions (summary and actions) to CSV or XLSX."""
    ctx = context()
    with ctx.reader() as uow:
        rows = queries.action_rows(uow.session, ctx.clock.today(), kind=kind)
        sheets = (
            [export.actions_sheet(rows)]
            if fmt == "csv"
            else [export.summary_sheet(rows), export.actions_sheet(rows)]
        )
        try:
            export.refuse_identities(uow.session, sheets)  # the file may leave the partnership
        except DhrError as err:
            report(err)
    try:
        _written(export.write(sheets, out, fmt))
    except DhrError as err:
        report(err)


@app.command("themes")
def themes(
    out: Path | None = typer.Option(None, "--out", help="Also write the report to this file"),
    fmt: str = FormatOption,
    csp: str | None = typer.Option(None, "--csp", help="CSP slug (default: every CSP)"),
    list_taxonomy: bool = typer.Option(False, "--taxonomy", help="List the theme codes and stop"),
) -> None:
    """Themes of recommendations across reviews."""
    if list_taxonomy:
        for code, label in taxonomy().items():
            typer.echo(f"{code}: {label}")
        return
    ctx = context()
    with ctx.reader() as uow:
        csp_id = _csp(uow.session, csp).id if csp else None
        rows = lessons.themes_report(uow.session, csp_id)
    table = Table(title="Themes across reviews")
    for column in ("theme", "recommendations", "reviews", "open actions", "reviews raising it"):
        table.add_column(column)
    for r in rows:
        if r.recommendations:
            table.add_row(r.label, str(r.recommendations), str(r.reviews), str(r.open_actions), r.review_refs)
    console.print(table)
    if out:
        _written(export.write([export.themes_sheet(rows)], out, fmt))


@app.command("repeats")
def repeats(
    out: Path | None = typer.Option(None, "--out", help="Also write the report to this file"),
    fmt: str = FormatOption,
    threshold: float = typer.Option(lessons.REPEAT_THRESHOLD, help="Least similarity of wording (0 to 1)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Recommendations that repeat across reviews (same theme and similar wording)."""
    ctx = context()
    with ctx.reader() as uow:
        pairs = lessons.repeats_report(uow.session, threshold=threshold)
        if out:
            try:
                export.refuse_identities(uow.session, [export.repeats_sheet(pairs)])
            except DhrError as err:
                report(err)
    if as_json:
        print_json([p.__dict__ | {"themes": list(p.themes)} for p in pairs])
    else:
        if not pairs:
            typer.echo("No recommendation repeats across reviews.")
        for p in pairs:
            typer.echo(f"{p.theme_labels} (similarity {p.similarity:.2f})")
            typer.echo(f"  {p.first_ref} recommendation {p.first_number}: {p.first_text}")
            typer.echo(f"  {p.second_ref} recommendation {p.second_number}: {p.second_text}")
    if out:
        _written(export.write([export.repeats_sheet(pairs)], out, fmt))


@app.command("oversight")
def oversight_cmd(
    year: int = typer.Option(..., "--year", help="Calendar year"),
    csp: str | None = typer.Option(None, "--csp", help="CSP slug (default: the first)"),
    out: Path | None = typer.Option(None, "--out", help="Also write the figures to this file"),
    fmt: str = FormatOption,
    charts_dir: Path | None = typer.Option(None, "--charts", help="Also draw the charts (PNG and SVG) here"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Oversight figures of a CSP for one year: reviews, timeliness, pauses, open actions."""
    ctx = context()
    with ctx.reader() as uow:
        figures = oversight.oversight_figures(uow.session, _csp(uow.session, csp).id, year, ctx.clock.today())
    rows = figures.rows()
    if as_json:
        print_json([{"section": s, "measure": m, "value": v} for s, m, v in rows])
    else:
        table = Table(title=f"{figures.csp}: oversight figures {year} (as at {format_date(figures.as_of)})")
        for column in ("section", "measure", "value"):
            table.add_column(column)
        for s, m, v in rows:
            table.add_row(s, m, "" if v is None else str(v))
        console.print(table)
    if out:
        _written(export.write([export.oversight_sheet(figures)], out, fmt))
    if charts_dir:
        _written(charts.oversight_charts(figures, charts_dir))


@app.command("charts")
def charts_cmd(
    out: Path = typer.Option(..., "--out", help="Directory for the PNG and SVG files"),
    year: int | None = typer.Option(None, "--year", help="Year of the oversight charts (default: this year)"),
    csp: str | None = typer.Option(None, "--csp", help="CSP slug (default: the first)"),
) -> None:
    """Draw every chart for a board paper: RAG by plan, themes, and the year's oversight figures."""
    ctx = context()
    today = ctx.clock.today()
    with ctx.reader() as uow:
        rows = queries.action_rows(uow.session, today)
        themes_rows = lessons.themes_report(uow.session)
        figures = oversight.oversight_figures(
            uow.session, _csp(uow.session, csp).id, year or today.year, today
        )
    _written(
        charts.rag_chart(rows, out)
        + charts.themes_chart(themes_rows, out)
        + charts.oversight_charts(figures, out)
    )

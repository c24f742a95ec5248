"""`dhr bench`: measure the engine against the floor beneath it, on SQLite or PostgreSQL."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import typer

from dhr_engine.cli.common import console, fail, report
from dhr_engine.errors import DhrError

DEFAULT_JSON = Path("var/bench/bench-latest.json")


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    database_url: str = typer.Option(
        None,
        "--database-url",
        help="Database to measure (default: a SQLite file var/bench/bench.db, kept for the next run)",
        show_default=False,
    ),
    json_path: Path = typer.Option(DEFAULT_JSON, "--json", help="Where to write the results as JSON"),
    quick: bool = typer.Option(False, "--quick", help="Tiny sizes: checks that everything runs (seconds)"),
    populate: bool = typer.Option(
        False, "--populate", help="Rebuild the scale data set (100,000 cases) even if the database has it"
    ),
    rounds: int = typer.Option(None, "--rounds", min=1, max=50, help="Timed rounds per figure (median)"),
    only: list[str] = typer.Option(
        None, "--only", help="Run only this metric (repeat for more); see the list below"
    ),
    markdown: bool = typer.Option(False, "--markdown", help="Also print the table as Markdown"),
) -> None:
    """Run the benchmarks and print each figure against a baseline measured in the same run.

    Metrics: fire_trigger, lifecycle, memory, scale, sweep, http, letters, uploads.
    """
    from dhr_engine.bench import scale_data
    from dhr_engine.bench.database import DEFAULT_SQLITE_URL, open_bench_database
    from dhr_engine.bench.runner import METRICS, run_metrics
    from dhr_engine.bench.sizes import FULL, QUICK
    from dhr_engine.bench.table import baseline_notes, markdown_table, rich_table

    names = list(METRICS)
    if only:
        requested = [n.strip() for item in only for n in item.split(",") if n.strip()]
        unknown = [n for n in requested if n not in METRICS]
        if unknown:
            fail(f"--only: unknown metric {', '.join(unknown)}; choose from {', '.join(METRICS)}")
        names = [n for n in METRICS if n in requested]
    sizes = QUICK if quick else FULL
    if rounds:
        sizes = replace(sizes, rounds=rounds)
    started = time.perf_counter()
    try:
        db = open_bench_database(database_url or DEFAULT_SQLITE_URL)
    except DhrError as err:
        report(err)
    populated = time.perf_counter()
    if populate or {"scale", "sweep"} & set(names):
        db = scale_data.ensure(db, sizes, rebuild=populate, console=console)
    populate_seconds = time.perf_counter() - populated

    def progress(name: str) -> None:
        console.print(f"[bold]{name}[/bold] ... ({time.perf_counter() - started:.0f} s so far)")

    outcome = run_metrics(db, sizes, names, quick=quick, progress=progress)
    elapsed = time.perf_counter() - started
    outcome.seconds["scale data set"] = round(populate_seconds, 1)
    outcome.seconds["total"] = round(elapsed, 1)
    env = outcome.environment
    title = f"dhr bench on {env['database']} {env['database_version']} ({'quick' if quick else 'full'})"
    console.print(rich_table(outcome.results, f"{title}, {elapsed:.0f} s"))
    for line in baseline_notes(outcome.results):
        console.print(line, highlight=False)
    for result in outcome.results:
        if "plan" in result.detail:
            console.print(f"Query plan of the {result.name}:", highlight=False)
            for step in result.detail["plan"]:
                console.print(f"  {step}", markup=False, highlight=False)
    if markdown:
        typer.echo(markdown_table(outcome.results))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(outcome.as_json(), indent=2) + "\n", encoding="utf-8")
    console.print(f"Results written to {json_path}")
    minutes, seconds = divmod(round(elapsed), 60)
    console.print(
        f"Total elapsed: {minutes} min {seconds:02d} s "
        f"(of which {populate_seconds:.0f} s finding or building the scale data set)",
        highlight=False,
    )
    db.ctx.engine.dispose()

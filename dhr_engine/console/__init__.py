"""The `dhr` command line: every domain's command group (listed by the composition root,
`dhr_engine.bootstrap.COMMANDS`) plus the application-level commands kept here: init, demo,
holidays, serve, workflows, scheduler and bench."""

from __future__ import annotations

import typer

from dhr_engine import bootstrap
from dhr_engine.cli.common import load_settings, use_context_builder
from dhr_engine.console import bench, mailcatcher, serve, setup, workflows
from dhr_engine.console import scheduler as scheduler_cli

app = typer.Typer(
    help="dhr-engine: Domestic Homicide Review workflow and case management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
use_context_builder(bootstrap.build_context)


@app.callback()
def _check_settings() -> None:
    # Before any command: a refused setting is one plain line naming it, and exit status 2.
    load_settings()


setup.register(app)
for name, group, summary in bootstrap.COMMANDS:
    app.add_typer(group, name=name, help=summary)
app.add_typer(workflows.app, name="workflows", help="Check and draw the workflow definitions.")
serve.register(app)
mailcatcher.register(app)
bench.register(app)
app.add_typer(scheduler_cli.app, name="scheduler", help="Deadline reminders, escalations, the e-mail outbox.")

"""The `dhr` command line. Each command group lives in its own module and is added here."""

from __future__ import annotations

import typer

from dhr_engine.cli import audit, bench, case, deadlines, plans, serve, setup, user, workflows
from dhr_engine.cli import letters as letters_cli
from dhr_engine.cli import returns as returns_cli
from dhr_engine.cli import scheduler as scheduler_cli

app = typer.Typer(
    help="dhr-engine: Domestic Homicide Review workflow and case management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
setup.register(app)
app.add_typer(case.app, name="case", help="Open cases, fire triggers, read them.")
app.add_typer(deadlines.app, name="deadlines", help="List and explain deadlines.")
app.add_typer(audit.app, name="audit", help="Check the audit trail.")
app.add_typer(workflows.app, name="workflows", help="Check and draw the workflow definitions.")
serve.register(app)
app.add_typer(user.app, name="user", help="User accounts: add, reset a password, list.")
app.add_typer(plans.app, name="plans", help="Action plans, lessons across reviews, oversight figures.")
app.add_typer(letters_cli.app, name="letters", help="Letters C1-C21: render, draft, approve, send.")
bench.register(app)
app.add_typer(returns_cli.app, name="returns", help="Agency returns and the merged chronology.")
app.add_typer(scheduler_cli.app, name="scheduler", help="Deadline reminders, escalations, the e-mail outbox.")

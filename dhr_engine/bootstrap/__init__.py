"""The composition root: the one place that names every domain's parts and builds the context and
the application from them. Nothing else imports a module by a name in a string, and no domain
registers itself: a new feature is added here, one line per part (CONTRIBUTING.md, "a whole
feature"). The domains below never import this package; the entry points above it
(`dhr_engine.console`, `dhr_engine.bench`) do.

Two halves, so the command line does not load the web application to run a command:
- this module: the command groups of `dhr`, the outbox handlers, the scheduler's jobs and the
  sources of its one sweep, and `build_context`;
- `bootstrap/app.py`: the JSON API's routers, the web pages and `create_app`.
"""

from __future__ import annotations

from collections.abc import Mapping

import typer

from dhr_engine.accounts import cli as accounts_cli
from dhr_engine.agencies import cli as agencies_cli
from dhr_engine.audit import checkpoints as audit_checkpoints
from dhr_engine.audit import cli as audit_cli
from dhr_engine.audit import scheduled as audit_scheduled
from dhr_engine.cases import cli as cases_cli
from dhr_engine.config import Settings
from dhr_engine.context import AppContext, OutboxHandlers, make_context
from dhr_engine.deadlines import cli as deadlines_cli
from dhr_engine.deadlines import scheduled as deadlines_scheduled
from dhr_engine.deadlines.handlers import EmailHandler
from dhr_engine.deadlines.sources import DueSource
from dhr_engine.domain.clock import Clock
from dhr_engine.family import cli as family_cli
from dhr_engine.letters import cli as letters_cli
from dhr_engine.letters.handlers import EmailLetter, draft_letter
from dhr_engine.members import cli as members_cli
from dhr_engine.outbox import scheduled as outbox_scheduled
from dhr_engine.plans import cli as plans_cli
from dhr_engine.plans import scheduled as plans_scheduled
from dhr_engine.proceedings import cli as proceedings_cli
from dhr_engine.returns import cli as returns_cli
from dhr_engine.scheduler.jobs import JobSpec
from dhr_engine.tasks import cli as tasks_cli

# The command groups of `dhr` (name, group, one line of help); dhr_engine.console adds the
# application-level commands (init, demo, serve, workflows, scheduler, bench).
COMMANDS: tuple[tuple[str, typer.Typer, str], ...] = (
    ("case", cases_cli.app, "Open cases, fire triggers, read them."),
    ("deadlines", deadlines_cli.app, "List and explain deadlines."),
    ("audit", audit_cli.app, "Check the audit trail; who read sensitive records."),
    ("user", accounts_cli.app, "User accounts: add, reset a password, list."),
    ("agencies", agencies_cli.app, "Partner agencies' DHR contacts: list, add, remove."),
    ("plans", plans_cli.app, "Action plans, lessons across reviews, oversight figures."),
    ("letters", letters_cli.app, "Letters C1-C23: render, draft, approve, send."),
    ("returns", returns_cli.app, "Agency returns and the merged chronology."),
    ("members", members_cli.app, "Who holds which role on a case: add, list, remove."),
    ("proceedings", proceedings_cli.app, "Parallel proceedings (trial, inquest, IOPC): add, conclude, list."),
    ("family", family_cli.app, "The family engagement log: log a contact, list the log."),
    ("tasks", tasks_cli.app, "My task lists: sign-offs, returns due, letters to approve, returns to accept."),
)


def outbox_handlers() -> OutboxHandlers:
    """What the outbox drain does with each kind of item (a new set per context: the e-mail handler
    keeps its SMTP connection for the length of one drain)."""
    return {"email": EmailHandler(), "letter": draft_letter, "letter_email": EmailLetter()}


# What the one sweep chases: case and return deadlines (deadline rows), CSP priority plans.
SWEEP_SOURCES: tuple[DueSource, ...] = (deadlines_scheduled.DEADLINE_ROWS, plans_scheduled.PRIORITY_PLANS)


def run_sweep(ctx: AppContext) -> str:
    """The sweep job: one sweep of every source (case and return deadlines, priority plans)."""
    return deadlines_scheduled.run_sweep(ctx, SWEEP_SOURCES)


JOBS: Mapping[str, JobSpec] = {
    spec.id: spec
    for spec in (
        JobSpec(
            deadlines_scheduled.SWEEP_JOB,
            "Reminders, due-day notices and escalations of open deadlines",
            300,
            run_sweep,
        ),
        JobSpec(
            outbox_scheduled.DRAIN_JOB,
            "Send queued e-mails and other outbox work, retrying with back-off",
            60,
            outbox_scheduled.run_drain,
        ),
        JobSpec(
            audit_scheduled.CHECKPOINT_JOB,
            "A signed checkpoint of every case's audit trail, kept outside the database",
            audit_scheduled.CHECKPOINT_EVERY_SECONDS,
            audit_scheduled.run_checkpoint,
        ),
    )
}


def build_context(settings: Settings, clock: Clock | None = None) -> AppContext:
    """Connect to the database, load the workflows and give the context every outbox handler (and
    the audit's checkpoint after each commit)."""
    ctx = make_context(settings, clock, outbox_handlers=outbox_handlers())
    ctx.commit_hooks = (audit_checkpoints.commit_hook(audit_checkpoints.checkpoint_file(ctx), ctx.clock),)
    return ctx

"""The outbox's scheduler job: do the queued work (send e-mails, draft letters), with back-off."""

from __future__ import annotations

import logging

from dhr_engine.context import AppContext
from dhr_engine.outbox.service import drain_outbox

log = logging.getLogger(__name__)

DRAIN_JOB = "drain-outbox"


def run_drain(ctx: AppContext) -> str:
    """Do the queued work: send e-mails (and whatever other kinds have a handler)."""
    result = drain_outbox(ctx)
    summary = f"{result.done} done, {result.retried} to retry later, {result.failed} failed"
    log.info("drain: %s", summary)
    return summary

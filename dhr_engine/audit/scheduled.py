"""The audit's scheduler job: a signed checkpoint of every case's head, outside the database.

Each command already checkpoints the cases it moved; this full checkpoint, once a day (and when a
scheduler starts), also covers cases loaded in bulk, cases from before checkpoints existed and any
case whose checkpoint a failed write missed.
"""

from __future__ import annotations

import logging

from dhr_engine.audit.checkpoints import checkpoint_every_case, checkpoint_file
from dhr_engine.context import AppContext

log = logging.getLogger(__name__)

CHECKPOINT_JOB = "audit-checkpoint"
CHECKPOINT_EVERY_SECONDS = 24 * 60 * 60


def run_checkpoint(ctx: AppContext) -> str:
    """Append a checkpoint of every case to the checkpoint file."""
    count = checkpoint_every_case(ctx.reader(), checkpoint_file(ctx), ctx.clock)
    summary = f"{count} case(s) checkpointed"
    log.info("audit checkpoint: %s", summary)
    return summary

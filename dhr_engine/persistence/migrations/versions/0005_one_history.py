"""One linear history from here: merge the five heads the features' tables left.

Revision ID: 0005_one_history
Revises: 0002_letters, 0002_returns, 0002_scheduler, 0003_plan_chase, 0004_core_indexes
Create Date: 2026-12-01

Nothing changes in the schema; from this revision on every migration has one parent, and
`upgrade head` (one head) is the command.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005_one_history"
down_revision: str | Sequence[str] | None = (
    "0002_letters",
    "0002_returns",
    "0002_scheduler",
    "0003_plan_chase",
    "0004_core_indexes",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """No schema change: the merge point."""


def downgrade() -> None:
    """No schema change: the merge point."""

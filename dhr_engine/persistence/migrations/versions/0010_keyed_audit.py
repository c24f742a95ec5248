"""The audit chain is keyed and checkpointed

Revision ID: 0010_keyed_audit
Revises: 0009_read_log
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0010_keyed_audit"
down_revision: str | Sequence[str] | None = "0009_read_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

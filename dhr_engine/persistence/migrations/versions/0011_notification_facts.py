"""A case holds the facts of its notification

Revision ID: 0011_notification_facts
Revises: 0010_keyed_audit
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0011_notification_facts"
down_revision: str | Sequence[str] | None = "0010_keyed_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""A read log of sensitive records, kept apart from the ordinary logs

Revision ID: 0009_read_log
Revises: 0008_sign_in_records
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0009_read_log"
down_revision: str | Sequence[str] | None = "0008_sign_in_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

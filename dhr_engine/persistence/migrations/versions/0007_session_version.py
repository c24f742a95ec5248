"""Users carry a session version, bumped to end their web sessions

Revision ID: 0007_session_version
Revises: 0006_one_notice_table
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0007_session_version"
down_revision: str | Sequence[str] | None = "0006_one_notice_table"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

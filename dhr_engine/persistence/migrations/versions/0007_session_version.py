"""Users carry a session version, bumped to end their web sessions

Revision ID: 0007_session_version
Revises: 0006_one_notice_table
Create Date: 2026-12-01

`user_account.session_version` (integer, 0 for every existing account) is written into each web
session cookie at sign-in and compared on every request; raising it ends every session of the
account. Cookies made before this revision carry no version, so they end once, at the upgrade.
Downgrade drops the column (SQLite 3.35 and later drop a column in place).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_session_version"
down_revision: str | Sequence[str] | None = "0006_one_notice_table"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("user_account", "session_version")

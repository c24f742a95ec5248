"""Sign-in attempts are recorded, for the lockout by source and account and for the administrator

Revision ID: 0008_sign_in_records
Revises: 0007_session_version
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0008_sign_in_records"
down_revision: str | Sequence[str] | None = "0007_session_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

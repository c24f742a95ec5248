"""A read log of sensitive records, kept apart from the ordinary logs

Revision ID: 0009_read_log
Revises: 0008_sign_in_records
Create Date: 2026-12-01

`sensitive_read`: one row per successful read of a restricted record (persistence/tables_reads.py),
with ids and codes only. No foreign keys (the insert must not wait on a locked case row).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_read_log"
down_revision: str | Sequence[str] | None = "0008_sign_in_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sensitive_read",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("user_label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("interface", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sensitive_read", schema=None) as batch_op:
        batch_op.create_index("ix_sensitive_read_read_at", ["read_at"], unique=False)
        batch_op.create_index("ix_sensitive_read_case", ["case_id", "read_at"], unique=False)
        batch_op.create_index("ix_sensitive_read_user", ["user_id", "read_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sensitive_read", schema=None) as batch_op:
        batch_op.drop_index("ix_sensitive_read_user")
        batch_op.drop_index("ix_sensitive_read_case")
        batch_op.drop_index("ix_sensitive_read_read_at")
    op.drop_table("sensitive_read")

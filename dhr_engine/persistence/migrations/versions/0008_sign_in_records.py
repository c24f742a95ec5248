"""Sign-in attempts are recorded, for the lockout by source and account and for the administrator

Revision ID: 0008_sign_in_records
Revises: 0007_session_version
Create Date: 2026-12-01

- `sign_in_record`: every sign-in attempt (web and API) and sign-out, with its outcome, address,
  interface and time; the account only when the typed name is an account's.
- `sign_in_lock`: the lockout's counts of wrong passwords per (address, account or name) and per
  address, replacing the per-account `user_account.failed_logins` and `locked_until` (dropped: a
  count on the account let anyone lock it for everyone). A lock held at the upgrade ends with it.
  SQLite 3.35 and later drop a column in place, as PostgreSQL does.

Downgrade re-creates the two columns (no account locked, no failures counted) and drops both tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_sign_in_records"
down_revision: str | Sequence[str] | None = "0007_session_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("interface", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_record_at", "sign_in_record", ["at", "id"], unique=False)
    op.create_index("ix_sign_in_record_user", "sign_in_record", ["user_id", "at"], unique=False)

    op.create_table(
        "sign_in_lock",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "key", name="uq_sign_in_lock_source_key"),
    )
    op.create_index("ix_sign_in_lock_user", "sign_in_lock", ["user_id"], unique=False)

    op.drop_column("user_account", "locked_until")
    op.drop_column("user_account", "failed_logins")


def downgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "user_account",
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.drop_index("ix_sign_in_lock_user", table_name="sign_in_lock")
    op.drop_table("sign_in_lock")
    op.drop_index("ix_sign_in_record_user", table_name="sign_in_record")
    op.drop_index("ix_sign_in_record_at", table_name="sign_in_record")
    op.drop_table("sign_in_record")

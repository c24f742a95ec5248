"""Agencies have named DHR contacts

Revision ID: 0012_agency_contacts
Revises: 0011_notification_facts
Create Date: 2026-12-01

`agency_contact`: the user accounts an agency's CSP names as its single point of contact, IMR
authors and senior manager (persistence/tables_contacts.py); a removed contact keeps its row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_agency_contacts"
down_revision: str | Sequence[str] | None = "0011_notification_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency_contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("added_by_label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("removed_by_label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agency_contact", schema=None) as batch_op:
        batch_op.create_index("ix_agency_contact_agency", ["agency_id", "removed_at"], unique=False)
        batch_op.create_index("ix_agency_contact_user", ["user_id", "removed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agency_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_agency_contact_user")
        batch_op.drop_index("ix_agency_contact_agency")
    op.drop_table("agency_contact")

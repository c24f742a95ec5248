"""A case holds the facts of its notification

Revision ID: 0011_notification_facts
Revises: 0010_keyed_audit
Create Date: 2026-12-01

`case_notification`: one row per case with who notified the partnership, the place and type of
death, the senior investigating officer's contact, the criminal proceedings and the children
(persistence/tables_notification.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_notification_facts"
down_revision: str | Sequence[str] | None = "0010_keyed_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def upgrade() -> None:
    op.create_table(
        "case_notification",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        _text("notifier_organisation", 200),
        _text("notifier_name", 200),
        _text("place_of_death", 200),
        _text("death_type", 20),
        _text("sio_name", 200),
        _text("sio_force", 200),
        _text("sio_contact", 200),
        _text("criminal_status", 20),
        sa.Column("children_involved", sa.Boolean(), nullable=True),
        sa.Column("children_count", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dhr_case.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("case_notification")

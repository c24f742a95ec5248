"""core indexes: a case's open deadlines by (case_id, status); no second index on audit_event.case_id

Every change of stage reads the case's open deadlines: with an index on case_id alone it read all
of the case's deadlines, closed ones included. audit_event's unique (case_id, seq) index already
serves lookups by case, so its own case_id index only cost a page write per event.

Revision ID: 0004_core_indexes
Revises: 0001_core
Create Date: 2026-11-29 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_core_indexes"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_case_status", ["case_id", "status"], unique=False)
        batch_op.drop_index("ix_deadline_case_id")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_case_id")


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_case_id", ["case_id"], unique=False)
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_case_id", ["case_id"], unique=False)
        batch_op.drop_index("ix_deadline_case_status")

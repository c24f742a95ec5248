"""One notice table: the priority-plan chase's claims join the deadline sweep's (plan_notice dropped)

Revision ID: 0006_one_notice_table
Revises: 0005_one_history
Create Date: 2026-12-02

`deadline_notice` becomes the one claim of the one sweep: a notice is keyed by its subject
(subject_type, subject_id) instead of its deadline row, and belongs to a case or to a priority plan.

- Every existing deadline notice gets subject_type 'deadline' and subject_id = its deadline_id.
- deadline_id and case_id become nullable (a priority plan's notice has neither); plan_id is added.
- UNIQUE(deadline_id, due_on, rung) becomes UNIQUE(subject_id, subject_type, due_on, rung), the
  key the sweep's INSERT ... ON CONFLICT DO NOTHING claims on (the id leads, as deadline_id did:
  the sweep's "already covered today?" subquery joins on it); an index on (deadline_id, due_on)
  keeps the reads by deadline row (attention list, `dhr scheduler notices`, the bench) cheap.
- Every `plan_notice` row is copied in with its own id, and `plan_notice` is dropped.

How: SQLite cannot drop a table that another table's foreign key points at while foreign keys are
enforced (the implicit DELETE of DROP TABLE fails, deferred or not), and `notification.notice_id`
points at `deadline_notice`. So the new table is built beside the old one, filled, the
notification's foreign key is moved onto it, the old table is dropped and the new one renamed
(SQLite rewrites the reference; PostgreSQL follows the table). The same steps on both databases.

Downgrade moves the priority plans' notices back into a re-created `plan_notice` (their
notifications then point at no notice, as before) and the deadline rows' notices back to the old shape.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_one_notice_table"
down_revision: str | Sequence[str] | None = "0005_one_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUILDING = "deadline_notice_next"  # the new shape, before it takes the old one's name
# The columns every notice table has had, copied as they are.
SHARED = (
    "id, due_on, rung, kind, level, status, sent_on, claimed_at, claimed_by, next_on, roles, skipped, "
    "addressees, error"
)
# How SQLite's unnamed foreign keys are named for batch mode (PostgreSQL's have real names).
FK_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _claim_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("rung", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("addressees", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    ]


def _point_notifications_at(table: str) -> None:
    """Move notification.notice_id's foreign key from `deadline_notice` onto `table`."""
    found = [
        fk
        for fk in sa.inspect(op.get_bind()).get_foreign_keys("notification")
        if fk["constrained_columns"] == ["notice_id"]
    ]
    with op.batch_alter_table("notification", schema=None, naming_convention=FK_NAMES) as batch_op:
        for fk in found:
            name = fk["name"] or f"fk_notification_notice_id_{fk['referred_table']}"
            batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.create_foreign_key("notification_notice_id_fkey", table, ["notice_id"], ["id"])


def _take_the_name(building: str) -> None:
    """Drop the old `deadline_notice` and give its name to the table just built."""
    op.drop_table("deadline_notice")
    op.rename_table(building, "deadline_notice")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER INDEX "{building}_pkey" RENAME TO "deadline_notice_pkey"')


def upgrade() -> None:
    op.create_table(
        BUILDING,
        sa.Column("subject_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("deadline_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        *_claim_columns(),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadline.id"], name="deadline_notice_deadline_id_fkey"),
        sa.ForeignKeyConstraint(["case_id"], ["dhr_case.id"], name="deadline_notice_case_id_fkey"),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name="deadline_notice_plan_id_fkey"),
        sa.PrimaryKeyConstraint("id", name=f"{BUILDING}_pkey"),
        sa.UniqueConstraint(
            "subject_id", "subject_type", "due_on", "rung", name="uq_deadline_notice_subject_rung"
        ),
    )
    op.execute(
        f"INSERT INTO {BUILDING} (subject_type, subject_id, deadline_id, case_id, plan_id, {SHARED}) "
        f"SELECT 'deadline', deadline_id, deadline_id, case_id, NULL, {SHARED} FROM deadline_notice"
    )
    op.execute(
        f"INSERT INTO {BUILDING} (subject_type, subject_id, deadline_id, case_id, plan_id, {SHARED}) "
        f"SELECT subject_type, subject_id, NULL, NULL, plan_id, {SHARED} FROM plan_notice"
    )
    _point_notifications_at(BUILDING)
    _take_the_name(BUILDING)
    with op.batch_alter_table("deadline_notice", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_notice_case", ["case_id", "sent_on"], unique=False)
        batch_op.create_index("ix_deadline_notice_plan", ["plan_id", "sent_on"], unique=False)
        batch_op.create_index("ix_deadline_notice_deadline", ["deadline_id", "due_on"], unique=False)

    with op.batch_alter_table("plan_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_notice_plan")
    op.drop_table("plan_notice")


def downgrade() -> None:
    op.create_table(
        "plan_notice",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("subject_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        *_claim_columns(),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_type", "subject_id", "due_on", "rung", name="uq_plan_notice_rung"),
    )
    with op.batch_alter_table("plan_notice", schema=None) as batch_op:
        batch_op.create_index("ix_plan_notice_plan", ["plan_id", "sent_on"], unique=False)
    op.execute(
        f"INSERT INTO plan_notice (plan_id, subject_type, subject_id, {SHARED}) "
        f"SELECT plan_id, subject_type, subject_id, {SHARED} FROM deadline_notice WHERE plan_id IS NOT NULL"
    )
    # plan_notice had no notifications pointing at it: theirs point at no notice again.
    op.execute(
        "UPDATE notification SET notice_id = NULL "
        "WHERE notice_id IN (SELECT id FROM deadline_notice WHERE plan_id IS NOT NULL)"
    )

    building = "deadline_notice_prev"
    op.create_table(
        building,
        sa.Column("deadline_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        *_claim_columns(),
        sa.ForeignKeyConstraint(["case_id"], ["dhr_case.id"], name="deadline_notice_case_id_fkey"),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadline.id"], name="deadline_notice_deadline_id_fkey"),
        sa.PrimaryKeyConstraint("id", name=f"{building}_pkey"),
        sa.UniqueConstraint("deadline_id", "due_on", "rung", name="uq_deadline_notice_rung"),
    )
    op.execute(
        f"INSERT INTO {building} (deadline_id, case_id, {SHARED}) "
        f"SELECT deadline_id, case_id, {SHARED} FROM deadline_notice WHERE subject_type = 'deadline'"
    )
    _point_notifications_at(building)
    _take_the_name(building)
    with op.batch_alter_table("deadline_notice", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_notice_case", ["case_id", "sent_on"], unique=False)

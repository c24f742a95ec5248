"""Letters record their e-mail delivery

Revision ID: 0013_letter_delivery
Revises: 0012_agency_contacts
Create Date: 2026-12-01

`letter.recipient_key` names who a letter is to ("agency:<id>", "person:<id>" or the recipient
kind); with `batch_key` (the purpose) it makes a partial unique index: one open (draft or approved)
letter per case, letter, recipient and purpose, so two processes cannot both draft it. Open
duplicates already stored are cancelled, the earliest kept. `letter_delivery` records how a letter
sent by e-mail fared. The letter table is altered in place (no batch copy), so its triggers stay.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_letter_delivery"
down_revision: str | Sequence[str] | None = "0012_agency_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('draft', 'approved')")
LETTER = sa.table(
    "letter",
    sa.column("id", sa.Uuid()),
    sa.column("case_id", sa.Uuid()),
    sa.column("code", sa.String()),
    sa.column("status", sa.String()),
    sa.column("recipient_kind", sa.String()),
    sa.column("agency_id", sa.Uuid()),
    sa.column("person_id", sa.Uuid()),
    sa.column("batch_key", sa.String()),
    sa.column("drafted_at", sa.DateTime()),
    sa.column("recipient_key", sa.String()),
    sa.column("cancelled_reason", sa.String()),
)


def _key(agency_id: object, person_id: object, kind: str) -> str:
    if agency_id is not None:
        return f"agency:{agency_id}"
    if person_id is not None:
        return f"person:{person_id}"
    return kind


def _backfill() -> None:
    """Give open letters their recipient key; cancel open duplicates (sent rows cannot change)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(LETTER.c.id, LETTER.c.case_id, LETTER.c.code, LETTER.c.recipient_kind,
                  LETTER.c.agency_id, LETTER.c.person_id, LETTER.c.batch_key)
        .where(LETTER.c.status.in_(("draft", "approved")))
        .order_by(LETTER.c.drafted_at, LETTER.c.id)
    ).all()  # fmt: skip
    seen: set[tuple[object, ...]] = set()
    for row in rows:
        key = _key(row.agency_id, row.person_id, row.recipient_kind)
        values: dict[str, object] = {"recipient_key": key}
        ident = (row.case_id, row.code, key, row.batch_key)
        if ident in seen:
            values |= {"status": "cancelled", "cancelled_reason": "a duplicate of an earlier draft"}
        seen.add(ident)
        bind.execute(sa.update(LETTER).where(LETTER.c.id == row.id).values(**values))


def upgrade() -> None:
    op.add_column(
        "letter",
        sa.Column(
            "recipient_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False, server_default=""
        ),
    )
    _backfill()
    op.create_index(
        "uq_letter_open_once",
        "letter",
        ["case_id", "code", "recipient_key", "batch_key"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_table(
        "letter_delivery",
        sa.Column("letter_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("to_address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("with_docx", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("failure", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["dhr_case.id"]),
        sa.ForeignKeyConstraint(["letter_id"], ["letter.id"]),
        sa.PrimaryKeyConstraint("letter_id"),
    )
    op.create_index("ix_letter_delivery_case_id", "letter_delivery", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_letter_delivery_case_id", table_name="letter_delivery")
    op.drop_table("letter_delivery")
    op.drop_index("uq_letter_open_once", table_name="letter")
    op.drop_column("letter", "recipient_key")

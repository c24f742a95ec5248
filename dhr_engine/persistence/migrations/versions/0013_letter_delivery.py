"""Letters record their e-mail delivery

Revision ID: 0013_letter_delivery
Revises: 0012_agency_contacts
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0013_letter_delivery"
down_revision: str | Sequence[str] | None = "0012_agency_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

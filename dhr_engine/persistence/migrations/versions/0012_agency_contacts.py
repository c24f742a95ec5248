"""Agencies have named DHR contacts

Revision ID: 0012_agency_contacts
Revises: 0011_notification_facts
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0012_agency_contacts"
down_revision: str | Sequence[str] | None = "0011_notification_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

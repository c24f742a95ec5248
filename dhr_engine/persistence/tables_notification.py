"""The facts of a case's notification: who told the partnership, the death, the investigation.

One row per case, written when the case is opened and changed (audited) on the notification page.
The place of death is a town or area, never an address; the senior investigating officer's
contact is a work contact. The notification date and the date of death stay on the case itself
(the decision clock counts from the first).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from dhr_engine.persistence.tables import utcnow


class CaseNotification(SQLModel, table=True):
    __tablename__ = "case_notification"
    case_id: uuid.UUID = Field(foreign_key="dhr_case.id", primary_key=True)
    notifier_organisation: str = Field(default="", max_length=200)
    notifier_name: str = Field(default="", max_length=200)
    place_of_death: str = Field(default="", max_length=200)  # a town or area, not an address
    death_type: str = Field(default="", max_length=20)  # domain/notification.py DEATH_TYPES
    sio_name: str = Field(default="", max_length=200)
    sio_force: str = Field(default="", max_length=200)
    sio_contact: str = Field(default="", max_length=200)  # work e-mail or phone
    criminal_status: str = Field(default="", max_length=20)  # CRIMINAL_STATUSES
    children_involved: bool | None = None
    children_count: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)

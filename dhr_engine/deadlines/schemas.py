"""Deadline bodies shared by the JSON API: whose deadline it is."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dhr_engine.deadlines.queries import AgencyRef

AGENCY_EXAMPLE: dict[str, Any] = {"id": "3f2b8c1d-4e5a-4b6c-9d7e-8f9a0b1c2d3e", "name": "Northmoor Police"}


class DeadlineAgencyOut(BaseModel):
    """The agency whose return the deadline is for."""

    model_config = ConfigDict(json_schema_extra={"examples": [AGENCY_EXAMPLE]})

    id: uuid.UUID
    name: str = Field(examples=["Northmoor Police"])

    @classmethod
    def of(cls, agency: AgencyRef | None) -> DeadlineAgencyOut | None:
        return cls(id=agency.id, name=agency.name) if agency is not None else None


AGENCY_DESCRIPTION = "The agency whose return this deadline is for; null for the case's own deadlines"

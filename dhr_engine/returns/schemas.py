"""Agency-return bodies: requests, steps, submitted versions, attachments, chronology entries and
the chair's merged chronology. Dates are ISO 8601 (YYYY-MM-DD) in JSON."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dhr_engine.returns.chronology_input import LIMITS, MAX_ROWS
from dhr_engine.returns.service import MAX_NOTE, MAX_TEXT

ReturnKindName = Literal["scoping_reply", "imr", "chronology", "short_report", "action_plan_progress"]
# The steps of workflows/agency_return.yaml fired on their own; submitting is POST .../versions.
StepName = Literal["acknowledge", "sign_off", "return_to_author", "accept", "request_changes", "withdraw"]

REQUEST_EXAMPLE: dict[str, Any] = {
    "id": "5f0c7d2e-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
    "case_ref": "DHR-2026-004",
    "agency_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "agency_name": "Northmoor Police",
    "kind": "imr",
    "kind_label": "Individual Management Review",
    "stage": "acknowledged",
    "stage_label": "Acknowledged by the agency",
    "version": 2,
    "requested_on": "2026-11-20",
    "note": "Contact from January 2024 to the death",
    "due": "2027-01-20",
    "due_status": "open",
    "versions": 0,
    "my_steps": ["submit"],
}


class ReturnRequestIn(BaseModel):
    """Ask one or more agencies of the partnership for a return of one kind."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "imr",
                    "agency_ids": ["7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"],
                    "note": "Contact from January 2024 to the death",
                    "requested_on": None,
                }
            ]
        },
    )

    kind: ReturnKindName = Field(description="What is asked for")
    agency_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=50, description="The agencies asked (each once)"
    )
    note: str = Field(default="", max_length=MAX_NOTE, description="What is asked, in a few words")
    requested_on: date | None = Field(
        default=None, description="The day the request was sent (default today; not in the future)"
    )


class ReturnRequestOut(BaseModel):
    """One agency's return request as you may see it, with its due date and your next steps."""

    model_config = ConfigDict(json_schema_extra={"examples": [REQUEST_EXAMPLE]})

    id: uuid.UUID = Field(description="The request's id")
    case_ref: str = Field(description="The case reference")
    agency_id: uuid.UUID = Field(description="The agency asked")
    agency_name: str = Field(description="The agency's name")
    kind: str = Field(description="What is asked for", examples=["imr"])
    kind_label: str = Field(description="What is asked for, for people")
    stage: str = Field(description="Where the return is in workflows/agency_return.yaml")
    stage_label: str = Field(description="The stage, for people")
    version: int = Field(description="Send it back as expected_version with the next step")
    requested_on: date = Field(description="The day the agency was asked")
    note: str = Field(description="What was asked, in a few words")
    due: date | None = Field(description="The due date of its newest deadline (working days applied)")
    due_status: str | None = Field(description="open, met, met_late or cancelled")
    versions: int = Field(ge=0, description="How many versions the agency has submitted")
    my_steps: list[str] = Field(
        description="The triggers you may fire now (submit and resubmit: POST .../versions)"
    )


class ReturnRequestBatchOut(BaseModel):
    """The requests made, one per agency."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [REQUEST_EXAMPLE]}]})

    items: list[ReturnRequestOut] = Field(description="One request per agency, in the order asked")
    warnings: list[str] = Field(
        default_factory=list,
        description="One line for each agency asked that has no DHR contact: nobody there is told",
    )


class StepIn(BaseModel):
    """Fire one step of a return: say which version of the request you saw, and why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"expected_version": 3, "reason": "Please add the contacts of May 2025"}]
        },
    )

    expected_version: int = Field(ge=1, description="The request version you read; 409 if it has moved on")
    reason: str = Field(
        default="",
        max_length=4000,
        description="A comment; needed to send back, ask for changes or withdraw",
    )
    effective_on: date | None = Field(default=None, description="When it happened (default today)")


class SubmissionIn(BaseModel):
    """Submit the draft (text, attachments, chronology entries) as the next version."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 2,
                    "text": "Individual Management Review of Northmoor Police",
                    "change_note": "",
                    "contact": None,
                    "records_secured_on": None,
                }
            ]
        },
    )

    expected_version: int = Field(ge=1, description="The request version you read; 409 if it has moved on")
    text: str = Field(
        default="", max_length=MAX_TEXT, description="The report or narrative, or notes of a scoping reply"
    )
    change_note: str = Field(
        default="", max_length=MAX_NOTE, description="What changed since the last version (from version 2)"
    )
    contact: Literal["yes", "no"] | None = Field(
        default=None, description="Scoping reply: did the agency have contact with the people of the case"
    )
    records_secured_on: date | None = Field(
        default=None, description="Scoping reply: the day the agency's records were secured"
    )
    effective_on: date | None = Field(default=None, description="When it was submitted (default today)")


class VersionFileOut(BaseModel):
    """A file as a version listed it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e",
                    "filename": "imr.pdf",
                    "media_type": "application/pdf",
                    "size": 48213,
                    "sha256": "4e1a...",
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="The attachment's id (download it from /return-attachments/{id})")
    filename: str = Field(description="The file's name as shown")
    media_type: str = Field(description="The type found in its content")
    size: int = Field(ge=0, description="Its size in bytes")
    sha256: str = Field(description="The SHA-256 of its content")


class ReturnVersionOut(BaseModel):
    """One submitted version: never changed, except its sign-off and the chair's review."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": 1,
                    "submitted_on": "2026-12-10",
                    "submitted_by_label": "Paula Police (IMR author)",
                    "change_note": "",
                    "text": "Individual Management Review of Northmoor Police",
                    "contact": None,
                    "records_secured_on": None,
                    "attachments": [],
                    "chronology_entries": 12,
                    "signed_off_on": "2026-12-11",
                    "signed_off_by_label": "Peter Police (senior manager)",
                    "review_outcome": "",
                    "review_comment": "",
                    "reviewed_on": None,
                    "reviewed_by_label": "",
                }
            ]
        }
    )

    number: int = Field(ge=1, description="1 for the first submission, and so on")
    submitted_on: date = Field(description="The day it was submitted")
    submitted_by_label: str = Field(description="Who submitted it")
    change_note: str = Field(description="What changed since the previous version")
    text: str = Field(description="The report or narrative as submitted")
    contact: str | None = Field(description="Scoping reply: yes or no")
    records_secured_on: date | None = Field(description="Scoping reply: the day records were secured")
    attachments: list[VersionFileOut] = Field(description="The files it holds")
    chronology_entries: int = Field(ge=0, description="How many chronology entries it froze")
    signed_off_on: date | None = Field(description="When the agency's senior manager signed it off")
    signed_off_by_label: str = Field(description="Who signed it off")
    review_outcome: str = Field(description="accepted, changes_requested or empty")
    review_comment: str = Field(description="The chair's comment")
    reviewed_on: date | None = Field(description="When the chair reviewed it")
    reviewed_by_label: str = Field(description="Who reviewed it")


class AttachmentOut(BaseModel):
    """A Word or PDF file of a return."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e",
                    "request_id": "5f0c7d2e-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
                    "filename": "imr.pdf",
                    "media_type": "application/pdf",
                    "size": 48213,
                    "sha256": "4e1a...",
                    "uploaded_on": "2026-12-09",
                    "removed_on": None,
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="The attachment's id (download it from /return-attachments/{id})")
    request_id: uuid.UUID = Field(description="The request it belongs to")
    filename: str = Field(description="The file's name as shown (its suffix is that of its real type)")
    media_type: str = Field(description="The type found in its content")
    size: int = Field(ge=0, description="Its size in bytes")
    sha256: str = Field(description="The SHA-256 of its content")
    uploaded_on: date = Field(description="The day it was attached")
    removed_on: date | None = Field(description="The day it was taken out of the draft, if it was")


class EntryIn(BaseModel):
    """One chronology entry typed in."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "when": "14/03/2025",
                    "time": "09:05",
                    "event": "Call to the control room",
                    "source_record": "Incident log 1234",
                    "action_taken": "Officers attended",
                    "practitioner_role": "Response officer",
                    "precision": "",
                }
            ]
        },
    )

    when: str = Field(
        min_length=1,
        max_length=40,
        description="The day (14/03/2025 or 2025-03-14), a month (March 2025) or a year (2025)",
    )
    time: str | None = Field(default=None, max_length=20, description="The time of day, e.g. 09:05")
    event: str = Field(min_length=1, max_length=LIMITS["event"], description="What happened")
    source_record: str = Field(
        default="", max_length=LIMITS["source_record"], description="The agency record it comes from"
    )
    action_taken: str = Field(
        default="", max_length=LIMITS["action_taken"], description="What the agency did"
    )
    practitioner_role: str = Field(
        default="", max_length=LIMITS["practitioner_role"], description="The practitioner's role"
    )
    precision: Literal["", "minute", "day", "month", "year"] = Field(
        default="", description="How exact the date is (worked out from `when` if empty)"
    )


class EntriesIn(BaseModel):
    """Entries to add to the chronology draft: all of them, or none."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "entries": [{"when": "14/03/2025", "event": "Call to the control room", "time": "09:05"}],
                    "replace": False,
                }
            ]
        },
    )

    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_ROWS, description="The entries")
    replace: bool = Field(default=False, description="Replace the draft's entries instead of adding")


class ImportOut(BaseModel):
    """What an import did to the chronology draft."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"imported": 12, "replaced": 0, "total": 15}]})

    imported: int = Field(ge=0, description="Entries added")
    replaced: int = Field(ge=0, description="Entries taken out first (replace)")
    total: int = Field(ge=0, description="Entries in the draft now")


class ChronologyEntryOut(BaseModel):
    """One entry of an agency's chronology (its draft, or a version's frozen copy)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3c2b1a0f-9e8d-4c7b-8a6f-5e4d3c2b1a0f",
                    "position": 1,
                    "occurred_on": "2025-03-14",
                    "occurred_time": "09:05",
                    "precision": "minute",
                    "when": "14 March 2025 at 09:05",
                    "source_record": "Incident log 1234",
                    "event": "Call to the control room",
                    "action_taken": "Officers attended",
                    "practitioner_role": "Response officer",
                }
            ]
        }
    )

    id: uuid.UUID = Field(description="The entry's id")
    position: int = Field(description="Its place in the agency's own list")
    occurred_on: date = Field(description="The day (the first of the month or year when less exact)")
    occurred_time: str | None = Field(description="The time of day (HH:MM), if given")
    precision: str = Field(description="minute, day, month or year")
    when: str = Field(description="The date as people read it")
    source_record: str = Field(description="The agency record it comes from")
    event: str = Field(description="What happened")
    action_taken: str = Field(description="What the agency did")
    practitioner_role: str = Field(description="The practitioner's role")


class MergedEntryOut(BaseModel):
    """One entry of the merged multi-agency chronology, in time order, with its highlights."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "occurred_on": "2025-03-14",
                    "occurred_time": "09:05",
                    "precision": "minute",
                    "when": "14 March 2025 at 09:05",
                    "agency_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "agency": "Northmoor Police",
                    "return_kind": "imr",
                    "version": 1,
                    "source_record": "Incident log 1234",
                    "event": "Call to the control room",
                    "action_taken": "Officers attended",
                    "practitioner_role": "Response officer",
                    "same_day_with": ["Northmoor Hospitals NHS Foundation Trust"],
                    "gap_before_days": None,
                    "gap_before": None,
                }
            ]
        }
    )

    occurred_on: date = Field(description="The day (the first of the month or year when less exact)")
    occurred_time: str | None = Field(description="The time of day (HH:MM), if given")
    precision: str = Field(description="minute, day, month or year")
    when: str = Field(description="The date as people read it")
    agency_id: uuid.UUID = Field(description="The agency whose entry it is")
    agency: str = Field(description="The agency's name")
    return_kind: str = Field(description="The kind of return it came in")
    version: int = Field(ge=0, description="The signed-off version it came in")
    source_record: str = Field(description="The agency record it comes from")
    event: str = Field(description="What happened")
    action_taken: str = Field(description="What the agency did")
    practitioner_role: str = Field(description="The practitioner's role")
    same_day_with: list[str] = Field(description="The other agencies with contact on the same day")
    gap_before_days: int | None = Field(
        description="Days without recorded contact by any agency before this entry, when over the limit"
    )
    gap_before: str | None = Field(description="The gap before this entry, for people")

"""The JSON body of my task lists: one item per task, naming the list it is on."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dhr_engine.tasks.queries import Task, TaskLists

TASK_EXAMPLE: dict[str, Any] = {
    "list": "sign_off",
    "heading": "Waiting for your sign-off",
    "case_ref": "DHR-2026-003",
    "what": "Chronology",
    "agency": "Northmoor Police",
    "due_on": "2026-11-25",
    "stage": "Submitted for sign-off",
    "link": "/returns/0b7c4a8e-2a55-4f0e-9d43-6f1b1d2f9a10",
}


class TaskOut(BaseModel):
    """One thing waiting for you: on which list, on which case, what, whose, by when, and the web
    page where it is done."""

    model_config = ConfigDict(json_schema_extra={"examples": [TASK_EXAMPLE]})

    list: str = Field(
        description="sign_off | returns_due | letters_to_approve | returns_to_accept", examples=["sign_off"]
    )
    heading: str = Field(description="The list's heading, as on the dashboard")
    case_ref: str = Field(examples=["DHR-2026-003"])
    what: str = Field(description="The return's kind, or the letter's number, title and addressee")
    agency: str = Field(description="The agency whose return or letter it is; empty for none")
    due_on: date | None = Field(description="When the return is due; null for a letter")
    stage: str = Field(description="Where it is now, in words", examples=["Submitted for sign-off"])
    link: str = Field(description="The web page where the task is done")

    @classmethod
    def of(cls, key: str, heading: str, task: Task) -> TaskOut:
        return cls(
            list=key,
            heading=heading,
            case_ref=task.case_ref,
            what=task.what,
            agency=task.agency,
            due_on=task.due_on,
            stage=task.stage,
            link=task.link,
        )


def task_items(lists: TaskLists) -> list[TaskOut]:
    """Every task, list by list in the dashboard's order."""
    return [TaskOut.of(key, heading, t) for key, heading, _empty, tasks in lists.named() for t in tasks]

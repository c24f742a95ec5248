"""Pydantic models of the workflow YAML schema (see workflows/README.md)."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dhr_engine.domain.roles import Role


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateDef(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    tags: list[Literal["terminal", "clock_stopped", "active"]] = []
    description: str = ""

    @property
    def terminal(self) -> bool:
        return "terminal" in self.tags


class DeadlineOps(_Strict):
    open: list[str] = []
    close: list[str] = []
    cancel: list[str] = []


class TransitionDef(_Strict):
    trigger: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    source: list[str]
    dest: str
    roles: list[Role] = []  # deny by default: no roles means nobody may fire it
    conditions: list[str] = []
    letters: list[str] = []
    deadlines: DeadlineOps = DeadlineOps()
    requires_reason: bool = False
    description: str = ""
    # How the deadlines this trigger opens name their start ("the Secretary of State's direction to
    # hold a review"); empty: the stage it reaches ("decided to hold a review").
    anchor: str = ""
    # Set by the loader for expanded pause/resume transitions; not written in YAML.
    resume_to: str | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _source_as_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Duration(_Strict):
    """How long a deadline runs from its anchor: exactly one unit."""

    months: int | None = Field(default=None, ge=0)
    days: int | None = Field(default=None, ge=0)
    working_days: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Duration:
        given = [v for v in (self.months, self.days, self.working_days) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of months, days or working_days")
        return self

    def describe(self) -> str:
        if self.months is not None:
            return f"{self.months} calendar month{'s' if self.months != 1 else ''}"
        if self.working_days is not None:
            return f"{self.working_days} working day{'s' if self.working_days != 1 else ''}"
        return f"{self.days} calendar day{'s' if self.days != 1 else ''}"


class ReminderRule(_Strict):
    before_days: list[int] = [7, 1]
    on_due: bool = True
    escalate_every_days: int | None = Field(default=7, ge=1)
    notify: list[Role] = []
    escalate_to: list[Role] = []


class DeadlineRule(_Strict):
    label: str
    add: Duration
    owner: Role
    pauses_in: list[str] = []
    reminders: ReminderRule = ReminderRule()
    evidence: str = ""
    description: str = ""


class PauseDef(_Strict):
    """A flat pause state reachable from every active stage, resuming to the stage it left."""

    state: str
    pause_trigger: str
    pause_label: str = "Pause for parallel proceedings"
    resume_trigger: str
    resume_label: str = "Resume the review"
    roles: list[Role]
    pause_conditions: list[str] = []
    resume_conditions: list[str] = []
    exclude: list[str] = []


class WorkflowDefinition(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    title: str
    edition: str = ""
    description: str = ""
    initial: str
    initial_deadlines: list[str] = []  # opened when a case is opened, anchored on the notification
    initial_letters: list[str] = []
    states: list[StateDef]
    transitions: list[TransitionDef]
    deadlines: dict[str, DeadlineRule] = {}
    pause: PauseDef | None = None
    file: str = ""

    @cached_property
    def state_map(self) -> dict[str, StateDef]:
        return {s.name: s for s in self.states}

    def state(self, name: str) -> StateDef:
        return self.state_map[name]

    def transitions_from(self, stage: str) -> list[TransitionDef]:
        """Every transition whose source is this stage, in file order."""
        return [t for t in self.transitions if stage in t.source]

    def transitions_for(self, trigger: str, stage: str) -> list[TransitionDef]:
        return [t for t in self.transitions if t.trigger == trigger and stage in t.source]

    @cached_property
    def triggers(self) -> frozenset[str]:
        return frozenset(t.trigger for t in self.transitions)

    def tagged(self, tag: str) -> frozenset[str]:
        return frozenset(s.name for s in self.states if tag in s.tags)

    @property
    def ident(self) -> tuple[str, str]:
        return (self.key, self.version)

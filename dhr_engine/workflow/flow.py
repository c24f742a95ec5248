"""CaseFlow: the transitions model wrapping one Case row; holds no session and does no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.effects import DeadlineOp, Effects
from dhr_engine.workflow.definition import TransitionDef, WorkflowDefinition
from dhr_engine.workflow.guards import GUARDS, CaseFacts, GuardContext


class FlowCase(Protocol):
    stage: str


@dataclass(frozen=True)
class AvailableTrigger:
    """A trigger of the current stage as one actor sees it."""

    trigger: str
    label: str
    dest: str
    permitted: bool  # the actor holds one of the roles
    blocked_by: tuple[str, ...]  # guards that fail now
    requires_reason: bool

    @property
    def can_fire(self) -> bool:
        return self.permitted and not self.blocked_by


class CaseFlow:
    """Transitions model for one case; callbacks only record effects."""

    def __init__(
        self,
        case: FlowCase,
        definition: WorkflowDefinition,
        actor: Actor,
        *,
        facts: CaseFacts,
        effective_on: date,
        reason: str = "",
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        self.case = case
        self.definition = definition
        self.actor = actor
        self.facts = facts
        self.effective_on = effective_on
        self.reason = reason
        self.payload = dict(payload or {})
        self.effects = Effects()

    @property
    def state(self) -> str:
        return self.case.stage

    @state.setter
    def state(self, value: str) -> None:
        self.case.stage = value

    def _context(self) -> GuardContext:
        return GuardContext(self.case, self.facts, self.actor, self.effective_on, self.payload)

    def applies(self, tdef: TransitionDef) -> bool:
        """Structural fit: a resume transition applies only to the stage the pause left."""
        return tdef.resume_to is None or getattr(self.case, "resume_to", None) == tdef.resume_to

    def failing_guards(self, tdef: TransitionDef) -> list[str]:
        ctx = self._context()
        return [name for name in tdef.conditions if not GUARDS[name].check(ctx)]

    def check(self, tdef: TransitionDef) -> bool:
        """Condition callback: record every failing guard, not only the first."""
        if not self.applies(tdef):
            return False
        failed = self.failing_guards(tdef)
        self.effects.failed_guards.extend(failed)
        return not failed

    def record(self, tdef: TransitionDef, *, source: str) -> None:
        """After callback: audit the move and collect its deadline and letter effects."""
        effects = self.effects
        effects.audit(
            "stage_changed",
            trigger=tdef.trigger,
            from_stage=source,
            to_stage=tdef.dest,
            reason=self.reason,
        )
        stopped = self.definition.tagged("clock_stopped")
        if tdef.dest in stopped and source not in stopped:
            self.case.resume_to = source  # type: ignore[attr-defined]
            effects.deadline_ops.append(DeadlineOp("pause"))
        elif source in stopped and tdef.dest not in stopped:
            self.case.resume_to = None  # type: ignore[attr-defined]
            effects.deadline_ops.append(DeadlineOp("resume"))
        ops = tdef.deadlines
        effects.deadline_ops.extend(DeadlineOp("close", key) for key in ops.close)
        effects.deadline_ops.extend(DeadlineOp("cancel", key) for key in ops.cancel)
        effects.deadline_ops.extend(DeadlineOp("open", key) for key in ops.open)
        if self.definition.state(tdef.dest).terminal:
            effects.deadline_ops.append(DeadlineOp("cancel_all"))
        effects.letters.extend(tdef.letters)

    def available_triggers(self) -> list[AvailableTrigger]:
        """The triggers of the current stage, with permission and blocking guards for this actor."""
        seen: dict[str, AvailableTrigger] = {}
        for tdef in self.definition.transitions_from(self.state):
            if not self.applies(tdef) or tdef.trigger in seen:
                continue
            seen[tdef.trigger] = AvailableTrigger(
                trigger=tdef.trigger,
                label=tdef.label,
                dest=tdef.dest,
                permitted=self.actor.has_any(tdef.roles),
                blocked_by=tuple(self.failing_guards(tdef)),
                requires_reason=tdef.requires_reason,
            )
        return list(seen.values())

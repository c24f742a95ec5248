"""One shared transitions Machine per workflow version: the only import of `transitions`.

Flat, auto transitions off, fired with `machine.events[trigger].trigger(flow)`; transitions reads
and writes `flow.state` without decorating or registering the model (ARCHITECTURE.md §8).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from transitions import EventData, Machine, MachineError

from dhr_engine.errors import TransitionNotAllowed
from dhr_engine.workflow.definition import TransitionDef, WorkflowDefinition
from dhr_engine.workflow.flow import CaseFlow

# Keyed by the definition's identity; the entry keeps the definition alive, so its id can never be
# reused by another definition while the cached Machine exists.
_MACHINES: dict[tuple[str, str, int], tuple[WorkflowDefinition, Machine]] = {}


def _condition(tdef: TransitionDef) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        flow = cast(CaseFlow, event.model)
        return flow.check(tdef)

    return check


def _after(tdef: TransitionDef) -> Callable[[EventData], None]:
    def record(event: EventData) -> None:
        flow = cast(CaseFlow, event.model)
        source = event.transition.source if event.transition else flow.state
        flow.record(tdef, source=source)

    return record


def machine_config(definition: WorkflowDefinition) -> dict[str, Any]:
    """A plain dict for Machine(**config)."""
    transitions = [
        {
            "trigger": t.trigger,
            "source": list(t.source),
            "dest": t.dest,
            "conditions": [_condition(t)],
            "after": [_after(t)],
        }
        for t in definition.transitions
    ]
    return {
        "model": None,
        "states": [s.name for s in definition.states],
        "initial": None,
        "transitions": transitions,
        "auto_transitions": False,
        "send_event": True,
        "ignore_invalid_triggers": False,
    }


def machine_for(definition: WorkflowDefinition) -> Machine:
    """Return the cached shared Machine for this definition."""
    ident = (definition.key, definition.version, id(definition))
    entry = _MACHINES.get(ident)
    if entry is None:
        entry = _MACHINES[ident] = (definition, Machine(**machine_config(definition)))
    return entry[1]


def fire(definition: WorkflowDefinition, flow: CaseFlow, trigger: str) -> bool:
    """Fire a trigger on the flow; True if the case moved, False if guards blocked it."""
    machine = machine_for(definition)
    event = machine.events.get(trigger)
    if event is None:
        raise TransitionNotAllowed(f"'{trigger}' is not a trigger of this workflow", field="trigger")
    try:
        return bool(event.trigger(flow))
    except MachineError as err:
        raise TransitionNotAllowed(
            f"'{trigger}' cannot be fired from stage '{flow.state}'", field="trigger"
        ) from err

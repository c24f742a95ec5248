"""Mermaid state diagrams of a workflow, built from the same config the Machine runs."""

from __future__ import annotations

from dhr_engine.workflow.definition import WorkflowDefinition


def mermaid(definition: WorkflowDefinition) -> str:
    """A stateDiagram-v2; pause and resume edges drawn once, as notes, to keep it readable."""
    lines = ["stateDiagram-v2", f"    [*] --> {definition.initial}"]
    for state in definition.states:
        lines.append(f"    {state.name} : {state.label.replace(':', ' -')}")
    for t in definition.transitions:
        if t.resume_to is not None or (definition.pause and t.trigger == definition.pause.pause_trigger):
            continue
        for source in t.source:
            roles = ", ".join(r.value for r in t.roles)
            lines.append(f"    {source} --> {t.dest} : {t.trigger} [{roles}]")
    for state in definition.states:
        if state.terminal:
            lines.append(f"    {state.name} --> [*]")
    if definition.pause:
        p = definition.pause
        lines.append(f"    note right of {p.state}")
        lines.append(f"        {p.pause_trigger} from any active stage;")
        lines.append(f"        {p.resume_trigger} returns to the stage it left")
        lines.append("    end note")
    return "\n".join(lines) + "\n"

"""Audit events in words, for the case history table. Never shows personal data: events hold
codes and ids only, and user ids are shown as the member's display name."""

from __future__ import annotations

import uuid

from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.family_log import KINDS as FAMILY_KINDS
from dhr_engine.persistence.tables import AuditEvent
from dhr_engine.workflow.definition import WorkflowDefinition


def _words(code: object) -> str:
    text = str(code or "").replace("_", " ")
    return text[:1].upper() + text[1:]


def _due(data: dict[str, object]) -> str:
    raw = data.get("adjusted_due")
    if not isinstance(raw, str):
        return ""
    try:
        from datetime import date

        return f", due {format_date(date.fromisoformat(raw))}"
    except ValueError:
        return ""


def describe(event: AuditEvent, definition: WorkflowDefinition, names: dict[uuid.UUID, str]) -> str:
    """One line for a person: what happened, never how it is stored."""
    data = event.data
    key_label = ""
    if "key" in data:
        rule = definition.deadlines.get(str(data["key"]))
        key_label = rule.label if rule else _words(data["key"])

    def stage(code: object) -> str:
        name = str(code)
        return definition.state(name).label if name in definition.state_map else _words(name)

    def who() -> str:
        raw = data.get("user_id")
        try:
            return names.get(uuid.UUID(str(raw)), "a user")
        except ValueError:
            return "a user"

    kind = event.kind
    if kind == "case_opened":
        return f"Case opened at: {stage(data.get('stage'))}"
    if kind == "stage_changed":
        reason = str(data.get("reason") or "").strip()
        return f"Moved from {stage(data.get('from_stage'))} to {stage(data.get('to_stage'))}" + (
            f". Reason: {reason}" if reason else ""
        )
    if kind == "deadline_opened":
        return f"Deadline opened: {key_label}{_due(data)}"
    if kind == "deadline_closed":
        status = "met on time" if data.get("status") == "met" else "met late"
        return f"Deadline {status}: {key_label}"
    if kind in {"deadline_cancelled", "deadline_paused", "deadline_resumed"}:
        return f"Deadline {kind.removeprefix('deadline_')}: {key_label}{_due(data)}"
    if kind == "letter_queued":
        return f"Letter queued: {_words(data.get('letter'))}"
    if kind == "member_added":
        return f"{who()} added as {_words(data.get('role')).lower()}"
    if kind == "member_removed":
        return f"{who()} removed as {_words(data.get('role')).lower()}"
    if kind == "member_role_changed":
        return f"{who()} changed from {_words(data.get('from')).lower()} to {_words(data.get('to')).lower()}"
    if kind == "proceeding_recorded":
        return f"Parallel proceeding recorded: {_words(data.get('kind')).lower()}"
    if kind == "proceeding_concluded":
        return f"Parallel proceeding concluded: {_words(data.get('kind')).lower()}"
    if kind == "family_contact_recorded":
        return f"Family engagement: {FAMILY_KINDS.get(str(data.get('kind')), _words(data.get('kind')))}"
    detail = ", ".join(
        f"{_words(k).lower()} {v}"
        for k, v in data.items()
        if isinstance(v, str | int) and not k.endswith("_id")
    )
    return _words(kind) + (f" ({detail})" if detail else "")

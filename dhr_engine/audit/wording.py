"""Audit events in words, for the case history. Never shows personal data: events hold codes and
ids only; users and agencies are shown by their display names, letters by their titles, roles,
stages and kinds in plain words, and dates as "25 November 2026". No stored key, code or ISO date
reaches the reader (tests/web/test_plain_english.py reads every page of the demo for them)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.family_log import KINDS as FAMILY_KINDS
from dhr_engine.domain.reminders import rung_in_words
from dhr_engine.domain.return_kinds import KINDS as RETURN_KINDS
from dhr_engine.domain.roles import role_label
from dhr_engine.persistence.tables import AuditEvent
from dhr_engine.workflow.definition import WorkflowDefinition

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LEVELS = {"single_agency": "single-agency", "multi_agency": "multi-agency"}


@dataclass(frozen=True)
class Names:
    """What an event's ids and codes are called: users and agencies by id, letters by code."""

    by_id: Mapping[uuid.UUID, str] = field(default_factory=dict)
    letters: Mapping[str, str] = field(default_factory=dict)
    # the agency of each return deadline, by deadline id: names a deadline event that has the
    # deadline's id but not its agency ("Chronology returned: Northmoor Police")
    deadline_agencies: Mapping[uuid.UUID, str] = field(default_factory=dict)

    def deadline_agency(self, data: Mapping[str, object]) -> str:
        """The agency a deadline event is about, from its data ("" if it does not say)."""
        if data.get("agency_id"):
            return self.of(data["agency_id"], "")
        try:
            return self.deadline_agencies.get(uuid.UUID(str(data.get("deadline_id"))), "")
        except ValueError:
            return ""

    def of(self, raw: object, missing: str) -> str:
        try:
            return self.by_id.get(uuid.UUID(str(raw)), missing)
        except ValueError:
            return missing


def words(code: object) -> str:
    """A stored code as words, lower case: "signed_off" -> "signed off"."""
    return str(code or "").replace("_", " ").strip()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _day(raw: object) -> str:
    """A stored ISO date as "25 November 2026" ("" when there is none)."""
    if isinstance(raw, date):
        return format_date(raw)
    if isinstance(raw, str) and ISO_DATE.match(raw):
        try:
            return format_date(date.fromisoformat(raw))
        except ValueError:
            return ""
    return ""


def _due(raw: object, prefix: str = ", due ") -> str:
    day = _day(raw)
    return f"{prefix}{day}" if day else ""


def _list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _roles(raw: object) -> str:
    roles = [role_label(str(r)) for r in raw] if isinstance(raw, list) else []
    return _list(roles)


def _rung(raw: object) -> str:
    return rung_in_words(str(raw or ""))


def _reason(data: Mapping[str, object]) -> str:
    reason = str(data.get("reason") or "").strip()
    return f". Reason: {reason}" if reason else ""


def _return_kind(data: Mapping[str, object]) -> str:
    code = str(data.get("return_kind") or "")
    kind = RETURN_KINDS.get(code)
    return kind.label if kind else _sentence(words(code)) or "Return"


def describe(
    event: AuditEvent, definition: WorkflowDefinition, names: Names | Mapping[uuid.UUID, str]
) -> str:
    """One line for a person: what happened, never how it is stored."""
    known = names if isinstance(names, Names) else Names(by_id=names)
    data = event.data

    def label() -> str:
        if isinstance(data.get("label"), str) and data["label"]:
            named = str(data["label"])
        else:
            rule = definition.deadlines.get(str(data.get("key")))
            named = rule.label if rule else _sentence(words(data.get("key")))
        whose = known.deadline_agency(data)
        return f"{named}: {whose}" if whose else named

    def stage(code: object) -> str:
        name = str(code)
        return definition.state(name).label if name in definition.state_map else words(name)

    def trigger() -> str:
        name = str(data.get("trigger") or "")
        for transition in definition.transitions:
            if transition.trigger == name:
                return transition.label
        return ""

    def agency() -> str:
        return known.of(data.get("agency_id"), "an agency")

    def letter() -> str:
        code = str(data.get("letter") or "")
        return known.letters.get(code) or _sentence(words(code))

    def to_whom() -> str:
        recipient = str(data.get("recipient") or "").strip()
        return f", to {recipient}" if recipient else ""

    kind = event.kind
    text = _describe_case(kind, data, stage, trigger, label, known)
    if text is None:
        text = _describe_correspondence(kind, data, letter, to_whom)
    if text is None:
        text = _describe_returns(kind, data, agency)
    if text is None:
        text = _describe_plans(kind, data, known)
    if text is None:
        text = _fallback(kind, data)
    return text


NOTICE_WORDS = {
    "deadline_escalated": "Overdue deadline escalated",
    "deadline_reminder_sent": "Reminder sent",
    "deadline_due_notice": "Due-day notice sent",
}


def _describe_case(
    kind: str,
    data: Mapping[str, object],
    stage: Callable[[object], str],
    trigger: Callable[[], str],
    label: Callable[[], str],
    known: Names,
) -> str | None:
    if kind == "case_opened":
        return f"Case opened at: {stage(data.get('stage'))}"
    if kind == "notification_changed":
        raw = data.get("changed")
        changed = [str(c) for c in raw] if isinstance(raw, list) else []
        return "Notification facts changed: " + (", ".join(changed) or "none")
    if kind == "stage_changed":
        named = trigger()
        moved = f"moved from {stage(data.get('from_stage'))} to {stage(data.get('to_stage'))}"
        return (f"{named}: {moved}" if named else _sentence(moved)) + _reason(data)
    if kind == "deadline_opened":
        return f"Deadline opened: {label()}{_due(data.get('adjusted_due'))}"
    if kind == "deadline_closed":
        status = "met on time" if data.get("status") == "met" else "met late"
        return f"Deadline {status}: {label()}"
    if kind in {"deadline_cancelled", "deadline_paused", "deadline_resumed"}:
        return f"Deadline {kind.removeprefix('deadline_')}: {label()}{_due(data.get('adjusted_due'))}"
    if kind in NOTICE_WORDS:
        told = _roles(data.get("roles"))
        nobody = not data.get("user_ids") and bool(data.get("note"))
        whom = "nobody holds those roles on the case, so nobody was told" if nobody else f"sent to {told}"
        what = NOTICE_WORDS[kind]
        return f"{what} ({_rung(data.get('rung'))}): {label()}{_due(data.get('due_on'))}; {whom}"
    if kind == "member_added":
        return f"{known.of(data.get('user_id'), 'a user')} added as {role_label(str(data.get('role')))}"
    if kind == "member_removed":
        return f"{known.of(data.get('user_id'), 'a user')} removed as {role_label(str(data.get('role')))}"
    if kind == "member_role_changed":
        who = known.of(data.get("user_id"), "a user")
        return f"{who} changed from {role_label(str(data.get('from')))} to {role_label(str(data.get('to')))}"
    if kind == "proceeding_recorded":
        return f"Parallel proceeding recorded: {words(data.get('kind'))}" + (
            " (the review is paused)" if data.get("pauses_review") else ""
        )
    if kind == "proceeding_concluded":
        return f"Parallel proceeding concluded: {words(data.get('kind'))}"
    if kind == "family_contact_recorded":
        return f"Family engagement: {FAMILY_KINDS.get(str(data.get('kind')), words(data.get('kind')))}"
    return None


def _describe_correspondence(
    kind: str, data: Mapping[str, object], letter: Callable[[], str], to_whom: Callable[[], str]
) -> str | None:
    if kind == "letter_queued":
        return f"Letter queued for drafting: {letter()}"
    verbs = {
        "letter_drafted": "drafted",
        "letter_redrafted": "redrafted",
        "letter_approved": "approved",
        "letter_sent": "sent",
        "letter_cancelled": "cancelled",
        "letter_emailed": "delivered by e-mail",
        "letter_email_failed": "not yet delivered by e-mail (the attempt failed)",
    }
    if kind in verbs:
        via = f" by {words(data.get('via'))}" if kind == "letter_sent" and data.get("via") else ""
        return f"Letter {verbs[kind]}{via}: {letter()}{to_whom()}"
    if kind == "letter_address_agreed":
        person = str(data.get("person") or "").strip()
        return "How to address the family in letters agreed" + (f" with {person}" if person else "")
    return None


def _describe_returns(kind: str, data: Mapping[str, object], agency: Callable[[], str]) -> str | None:
    what = f"{_return_kind(data)} from {agency()}"
    if kind == "return_requested":
        return f"{_return_kind(data)} requested from {agency()}{_due(data.get('adjusted_due'))}"
    if kind == "return_stage_changed":
        moved = f"moved from {words(data.get('from_stage'))} to {words(data.get('to_stage'))}"
        return f"{what}: {moved}" + _reason(data)
    if kind == "return_chronology_imported":
        count = int(str(data.get("imported") or 0))
        replaced = int(str(data.get("replaced") or 0))
        entries = f"{count} chronology entr{'y' if count == 1 else 'ies'} added"
        return f"{what}: {entries}" + (f", {replaced} replaced" if replaced else "")
    if kind in {"return_chased", "return_escalated"}:
        verb = "chased" if kind == "return_chased" else "escalated"
        late = int(str(data.get("days_overdue") or 0))
        return (
            f"{what} {verb}: {late} day{'s' if late != 1 else ''} overdue{_due(data.get('due'), ' (due ')}"
            + (")" if _day(data.get("due")) else "")
        )
    if kind.startswith("return_"):
        return f"{what}: {words(kind.removeprefix('return_'))}"
    return None


def _describe_plans(kind: str, data: Mapping[str, object], known: Names) -> str | None:
    number = str(data.get("number") or "").strip()
    if kind == "plan_created":
        months = data.get("cadence_months")
        every = f", progress reviewed every {months} months" if months else ""
        return f"Action plan created{every}"
    if kind == "plan_reviewed":
        yearly = " (the yearly review)" if data.get("yearly") else ""
        return f"Action plan progress reviewed{yearly}{_due(data.get('next_review_on'), '; next review on ')}"
    if kind == "recommendation_added":
        level = LEVELS.get(str(data.get("level")), words(data.get("level")))
        raw = data.get("themes")
        themes = [words(t) for t in raw if isinstance(t, str)] if isinstance(raw, list) else []
        about = f", about {_list(themes)}" if themes else ""
        return f"Recommendation {number} added ({level}){about}"
    if kind == "action_added":
        lead = known.of(data.get("lead_agency_id"), "")
        led = f", led by {lead}" if lead else ""
        return f"Action {number} added{led}{_due(data.get('target_date'), ', target date ')}"
    if kind == "action_stage_changed":
        moved = f"moved from {words(data.get('from_stage'))} to {words(data.get('to_stage'))}"
        return f"Action {number}: {moved}" + _reason(data)
    if kind == "action_progress_recorded":
        return f"Progress recorded on action {number}"
    if kind == "action_target_changed":
        return (
            f"Action {number}: target date moved from {_day(data.get('from')) or 'none'} to "
            f"{_day(data.get('to')) or 'none'}" + _reason(data)
        )
    if kind == "action_milestone_added":
        return f"Milestone recorded on action {number}"
    if kind == "outcome_measure_added":
        return f"Outcome measure {number} added"
    return None


def _fallback(kind: str, data: Mapping[str, object]) -> str:
    """An event this module has no sentence for: its kind and plain details, never ids or codes."""
    details = []
    for key, value in data.items():
        if key.endswith("_id") or key.endswith("_ids") or key in {"key", "rung", "notice_id"}:
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            details.append(f"{words(key)} {value}")
        elif isinstance(value, str) and value.strip():
            shown = _day(value) or (words(value) if re.fullmatch(r"[a-z0-9_]+", value) else value)
            details.append(f"{words(key)} {shown}")
    return _sentence(words(kind)) + (f" ({', '.join(details)})" if details else "")

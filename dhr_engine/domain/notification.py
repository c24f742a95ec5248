"""The facts of a notification of a death: the choices they take and how a letter words them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from dhr_engine.domain.calendar import format_date

DEATH_TYPES: Mapping[str, str] = {
    "homicide": "Homicide",
    "suicide": "Suicide",
    "other": "Other or unexplained",
}
CRIMINAL_STATUSES: Mapping[str, str] = {
    "none": "No criminal proceedings",
    "investigation": "Under police investigation",
    "charged": "A suspect has been charged",
    "trial": "Awaiting or at trial",
    "concluded": "Criminal proceedings have concluded",
}
MAX_CHILDREN = 30


def children_text(involved: bool | None, count: int | None) -> str | None:
    """'Yes: 2 children' / 'No'; None when the notification did not say."""
    if involved is None:
        return None
    if not involved:
        return "No"
    if count is None:
        return "Yes"
    return f"Yes: {count} {'child' if count == 1 else 'children'}"


def sio_text(name: str, force: str, contact: str) -> str | None:
    """The senior investigating officer as one line: 'DI Priya Shah, Northmoor Police, 01632 960000'."""
    parts = [p.strip() for p in (name, force, contact) if p.strip()]
    return ", ".join(parts) or None


def notifier_text(organisation: str, person: str, on: date | None) -> str | None:
    """Who notified the partnership, and when: 'Jo Bloggs, Northmoor Police, on 5 November 2026'."""
    who = ", ".join(p.strip() for p in (person, organisation) if p.strip())
    if not who:
        return None
    return f"{who}, on {format_date(on)}" if on else who

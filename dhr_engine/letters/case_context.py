"""Fill a letter's merge fields from the case: what the record already knows, nothing invented.

The fields every letter has (letterhead, sender, recipient block) are filled here; each of the
letter's own fields is read from the source its spec names (sources.py). Fields the case cannot
supply (a meeting venue, a reason for delay, the panel's feedback) are left out, so validation
names them and the officer supplies them when drafting by hand. Only letters whose identity rule
allows it read the RESTRICTED columns of Person (the spec loader checks which sources they use).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from dhr_engine.domain.calendar import BankHolidays
from dhr_engine.letters.recipients import Recipient, short_name
from dhr_engine.letters.sources import SOURCES, Draw
from dhr_engine.letters.spec import LetterSpec
from dhr_engine.persistence.tables import Case, Csp
from dhr_engine.persistence.tables_notification import CaseNotification
from dhr_engine.workflow.definition import WorkflowDefinition


def case_fields(
    session: Session,
    case: Case,
    csp: Csp,
    spec: LetterSpec,
    recipient: Recipient,
    *,
    today: date,
    marking: str,
    sender: tuple[str, str] | None,
    calendar: BankHolidays,
    definition: WorkflowDefinition,
) -> dict[str, Any]:
    """Every merge field the case record can supply for this letter and recipient (None: unknown).

    Due dates come from the case's deadlines under its workflow `definition` (deadlines/letter_dates.py).
    """
    fields: dict[str, Any] = {
        "case_ref": case.ref,
        "csp_name": csp.name,
        "csp_address": csp.address,
        "date": today,
        "security_marking": marking,
    }
    if sender is not None:
        fields["sender_name"], fields["sender_role"] = short_name(sender[0]), sender[1]
    elif spec.sender == "police":  # the notification form is signed by whoever notified the partnership
        notified = session.get(CaseNotification, case.id)
        if notified is not None and notified.notifier_name:
            fields["sender_name"] = notified.notifier_name
            fields["sender_role"] = notified.notifier_organisation or "Police"
    fields.update(recipient.fields)
    draw = Draw(session, case, csp, recipient, definition, calendar, today)
    for field in spec.fields:
        fields[field.name] = SOURCES[field.source].read(draw, field.params)
    names = set(spec.context_model.model_fields)
    # Unknown values are left out (so validation reports them as missing); blanks count as unknown.
    return {k: v for k, v in fields.items() if k in names and v not in (None, "", [])}

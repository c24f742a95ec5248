"""The kinds of agency return: their deadline in the case workflow and the letter that asks."""

from __future__ import annotations

from dataclasses import dataclass

from dhr_engine.errors import ValidationFailed

RETURN_WORKFLOW = ("agency_return", "1")
SUBJECT_TYPE = "return_request"


@dataclass(frozen=True)
class ReturnKind:
    code: str
    label: str
    deadline_key: str  # a deadline rule of the case's workflow (workflows/dhr_2016.yaml)
    letter: str  # the letter code that asks the agency for it


KINDS: dict[str, ReturnKind] = {
    k.code: k
    for k in (
        ReturnKind("scoping_reply", "Scoping reply", "scoping_reply", "c02_scoping_request"),
        ReturnKind("imr", "Individual Management Review", "imr_return", "c09_imr_request"),
        ReturnKind("chronology", "Chronology", "chronology_return", "c10_chronology_request"),
        ReturnKind("short_report", "Short report", "short_report_return", "c09_imr_request"),
        ReturnKind(
            "action_plan_progress",
            "Action-plan progress update",
            "action_plan_progress_return",
            "c21_action_plan_progress_request",
        ),
    )
}


def return_kind(code: str) -> ReturnKind:
    try:
        return KINDS[code]
    except KeyError:
        names = ", ".join(KINDS)
        raise ValidationFailed(f"unknown kind of return; use one of: {names}", field="kind") from None

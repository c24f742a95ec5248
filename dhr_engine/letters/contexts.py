"""The merge fields of every letter: one pydantic model per letter (DHR-PROCESS.md §3).

`LetterContext` holds the fields every letter has (letterhead, sender, recipient). A letter's own
fields are declared once, in its spec (templates/letters/national/<code>.yaml), and its model is
built from them by `context_model` with the types below (`FIELD_TYPES`, `ITEM_TYPES`).
Every field is required unless its source is standard wording (the model's default, which the
officer may change). Text fields must not be blank, lists must not be empty and unknown fields are
refused, so a letter never goes out with a gap in it. Dates are `date` objects; the templates show
them as "25 November 2026".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]

SHARING_BASIS = (
    "We share and ask for this information under UK GDPR Article 6(1)(e) (a task carried out in the "
    "public interest) and Article 9(2)(g) (substantial public interest), for a review held under "
    "section 9 of the Domestic Violence, Crime and Victims Act 2004."
)
CONFIDENTIALITY = (
    "The papers for this review are confidential. Please do not copy or share them beyond the "
    "people named in the terms of reference, and keep them in a secure location."
)
IMR_AUTHOR_REQUIREMENTS = (
    "The author must have the experience and seniority to write the review, and must not have been "
    "involved in the case or in managing the staff who were."
)
IMR_SIGN_OFF = "The review must be signed off by a senior manager of your agency before you return it."
INDEPENDENCE = (
    "Please confirm that you have never been employed by any agency taking part in this review and "
    "that you have no personal connection with the people involved."
)
DEFAULT_IMR_QUESTIONS = (
    "What contact did your agency have with the victim, the perpetrator and the household?",
    "Was domestic abuse recognised, and was risk assessed and acted on?",
    "Were policies and procedures followed, and were they fit for purpose?",
    "What lessons can your agency learn, and what will it do about them?",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LetterContext(_Strict):
    """The common fields of every letter (DHR-PROCESS.md §3)."""

    case_ref: Line
    csp_name: Line
    csp_address: Text
    sender_name: Line
    sender_role: Line
    date: date
    security_marking: Line
    recipient_name: Line
    recipient_address: Text
    salutation: Line


class SubjectIdentifier(_Strict):
    """A subject an agency searches its records for (victim, perpetrator or household member)."""

    role: Line
    name: Line
    date_of_birth: date


class AgencyContact(_Strict):
    agency: Line
    contact: Literal["yes", "no", "unknown"]
    contribution: Line


class RecommendationItem(_Strict):
    number: Line
    text: Text
    action: Text
    target_date: date


class ActionItem(_Strict):
    number: Line
    description: Text
    target_date: date
    status: Line


class ChangeItem(_Strict):
    point: Text
    change: Text


# The standard wording a spec may name (`source: standard, text: NAME`); the officer may change it.
STANDARD_TEXTS: Mapping[str, str | tuple[str, ...]] = {
    "SHARING_BASIS": SHARING_BASIS,
    "CONFIDENTIALITY": CONFIDENTIALITY,
    "IMR_AUTHOR_REQUIREMENTS": IMR_AUTHOR_REQUIREMENTS,
    "IMR_SIGN_OFF": IMR_SIGN_OFF,
    "INDEPENDENCE": INDEPENDENCE,
    "DEFAULT_IMR_QUESTIONS": DEFAULT_IMR_QUESTIONS,
}

# The types a spec's field may have: `line`, `text`, `date`, `integer` (with `min`, `max`),
# `choice` (with `options`), or `list[<item>]` of one of ITEM_TYPES (never empty).
SCALAR_TYPES: Mapping[str, Any] = {"line": Line, "text": Text, "date": date}
ITEM_TYPES: Mapping[str, Any] = {
    "line": Line,
    "text": Text,
    "subject": SubjectIdentifier,
    "agency_contact": AgencyContact,
    "recommendation": RecommendationItem,
    "action": ActionItem,
    "change": ChangeItem,
}
FIELD_TYPES = frozenset({*SCALAR_TYPES, "integer", "choice", *(f"list[{item}]" for item in ITEM_TYPES)})


@dataclass(frozen=True)
class FieldType:
    """A field's declared type and its constraints, as a spec gives them."""

    name: str  # one of FIELD_TYPES
    options: tuple[str, ...] = ()  # choice
    minimum: int | None = None  # integer
    maximum: int | None = None  # integer

    @property
    def is_list(self) -> bool:
        return self.name.startswith("list[")


def _annotation(kind: FieldType) -> Any:
    if kind.name in SCALAR_TYPES:
        return SCALAR_TYPES[kind.name]
    if kind.name == "integer":
        return int
    if kind.name == "choice":
        return Literal.__getitem__(kind.options)
    return list[ITEM_TYPES[kind.name.removeprefix("list[").removesuffix("]")]]  # type: ignore[misc]


def _field(kind: FieldType, default: Any) -> Any:
    """The pydantic Field: required unless a default is given; lists never empty."""
    constraints: dict[str, Any] = {}
    if kind.is_list:
        constraints["min_length"] = 1
    if kind.minimum is not None:
        constraints["ge"] = kind.minimum
    if kind.maximum is not None:
        constraints["le"] = kind.maximum
    if default is None:
        return Field(**constraints)
    if isinstance(default, list | tuple):
        items = list(default)
        return Field(default_factory=lambda: list(items), **constraints)
    return Field(default=default, **constraints)


def model_name(code: str) -> str:
    """'C09ImrRequest' for c09_imr_request."""
    return "".join(part.capitalize() for part in code.split("_"))


def context_model(code: str, fields: Sequence[tuple[str, FieldType, Any]]) -> type[LetterContext]:
    """The merge-field model of one letter: the common fields, then (name, type, default) in order."""
    definitions: dict[str, Any] = {
        name: (_annotation(kind), _field(kind, default)) for name, kind, default in fields
    }
    return create_model(model_name(code), __base__=LetterContext, **definitions)

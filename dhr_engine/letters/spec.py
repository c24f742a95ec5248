"""What a letter is, as its spec declares it (templates/letters/national/<code>.yaml).

A spec holds the letter's title, who gets it (recipient kind, label and rule), who signs it, its
identity rule, who approves it (a capability of the role table) and its merge fields, each with its
type and the source of its value. `spec_loader.py` reads and checks the files; `catalogue.py` holds
the loaded specs.

Identity rules (who may be named in a letter), from the access policy:
- `pseudonyms`: letters leaving the partnership (Home Office, agencies, chairs, advocacy services)
  name people only by their pseudonyms;
- `subjects`: the real name and date of birth of the victim and perpetrator may appear (an agency
  searches its records by them; the CSP chair decides on the review), never a family member's;
- `family`: letters to a family member may use the names and form of address the family agreed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from dhr_engine.domain.roles import Role
from dhr_engine.letters.contexts import FieldType, LetterContext

Identity = Literal["pseudonyms", "subjects", "family"]
RecipientKind = Literal[
    "csp", "agency", "csp_chair", "home_office", "chair", "family", "advocacy", "secretary_of_state"
]
Sender = Literal["csp_officer", "independent_chair", "police"]


@dataclass(frozen=True)
class RecipientRule:
    """Who gets the letter when a transition queues it (recipients.py, `RULES`)."""

    kind: RecipientKind
    label: str  # how the catalogue names the recipient ("Each partner agency")
    rule: str  # a name in recipients.RULES
    returns: tuple[str, ...] = ()  # the return kinds, for `agencies_asked_for`


@dataclass(frozen=True)
class FieldSpec:
    """One merge field: its type and where its value comes from (sources.py, `SOURCES`)."""

    name: str
    type: FieldType
    source: str
    params: BaseModel  # the source's parameters, checked by the source's own model
    default: Any = None  # standard wording (the model's default); None: required


@dataclass(frozen=True)
class LetterSpec:
    """One entry of the catalogue, read from the letter's spec file."""

    code: str
    title: str
    recipients: RecipientRule
    context_model: type[LetterContext]
    sender: Sender = "csp_officer"
    identity: Identity = "pseudonyms"
    approvers: frozenset[Role] = frozenset()
    approve_capability: str = ""
    fields: tuple[FieldSpec, ...] = ()

    @property
    def number(self) -> str:
        """'C11' for c11_family_first_letter."""
        return self.code.split("_", 1)[0].upper()

    @property
    def template(self) -> str:
        """The template file name, looked up in csp/<slug>/, then national/."""
        return f"{self.code}.html"

    @property
    def recipient(self) -> str:
        return self.recipients.label

    @property
    def recipient_kind(self) -> RecipientKind:
        return self.recipients.kind

    @property
    def merge_fields(self) -> list[str]:
        return list(self.context_model.model_fields)

    def identity_for(self, recipient_kind: str) -> Identity:
        """A letter to a family member may use family names, whatever its default rule."""
        return "family" if recipient_kind == "family" else self.identity

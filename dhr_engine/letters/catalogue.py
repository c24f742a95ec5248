"""The letter catalogue: each LetterCode's title, recipient, template and merge-field model.

Identity rules (who may be named in a letter), from the access policy:
- `pseudonyms`: letters leaving the partnership (Home Office, agencies, chairs, advocacy services)
  name people only by their pseudonyms;
- `subjects`: the real name and date of birth of the victim and perpetrator may appear (an agency
  searches its records by them; the CSP chair decides on the review), never a family member's;
- `family`: letters to a family member may use the names and form of address the family agreed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from dhr_engine.domain.letter_codes import LetterCode
from dhr_engine.domain.roles import Role
from dhr_engine.errors import ErrorItem, InvalidLetterContext
from dhr_engine.letters import contexts as c

Identity = Literal["pseudonyms", "subjects", "family"]
RecipientKind = Literal[
    "csp", "agency", "csp_chair", "home_office", "chair", "family", "advocacy", "secretary_of_state"
]
Sender = Literal["csp_officer", "independent_chair", "police"]

CSP_APPROVERS = frozenset({Role.CSP_CHAIR, Role.CSP_OFFICER})
CHAIR_APPROVERS = frozenset({Role.INDEPENDENT_CHAIR, Role.CSP_CHAIR})


@dataclass(frozen=True)
class LetterSpec:
    """One entry of the catalogue."""

    code: LetterCode
    title: str
    recipient: str
    recipient_kind: RecipientKind
    context_model: type[c.LetterContext]
    sender: Sender = "csp_officer"
    identity: Identity = "pseudonyms"
    approvers: frozenset[Role] = CSP_APPROVERS

    @property
    def number(self) -> str:
        """'C11' for c11_family_first_letter."""
        return self.code.value.split("_", 1)[0].upper()

    @property
    def template(self) -> str:
        """The template file name, looked up in csp/<slug>/, then national/."""
        return f"{self.code.value}.html"

    @property
    def merge_fields(self) -> list[str]:
        return list(self.context_model.model_fields)

    def identity_for(self, recipient_kind: str) -> Identity:
        """A letter to a family member may use family names, whatever its default rule."""
        return "family" if recipient_kind == "family" else self.identity


L = LetterCode
_SPECS = [
    LetterSpec(L.C01_NOTIFICATION_FORM, "Notification of a potential Domestic Homicide Review",
               "The Community Safety Partnership", "csp", c.C01NotificationForm, sender="police",
               identity="subjects"),
    LetterSpec(L.C02_SCOPING_REQUEST, "Request for information and to secure records",
               "Each partner agency", "agency", c.C02ScopingRequest, identity="subjects"),
    LetterSpec(L.C03_DECISION_BRIEFING, "Decision briefing: whether to hold a review",
               "The chair of the Community Safety Partnership", "csp_chair", c.C03DecisionBriefing,
               identity="subjects", approvers=frozenset({Role.CSP_OFFICER, Role.ADMIN})),
    LetterSpec(L.C04_HO_DECISION_PROCEED, "Notification of a decision to hold a Domestic Homicide Review",
               "Home Office DHR team", "home_office", c.C04HoDecisionProceed),
    LetterSpec(L.C05_HO_DECISION_NOT_PROCEED, "Notification of a decision not to hold a review",
               "Home Office DHR team", "home_office", c.C05HoDecisionNotProceed),
    LetterSpec(L.C06_HO_RESPONSE, "Home Office response to the partnership's decision",
               "The chair of the Community Safety Partnership", "csp_chair", c.C06HoResponse,
               approvers=frozenset({Role.CSP_OFFICER, Role.ADMIN})),
    LetterSpec(L.C07_CHAIR_COMMISSION, "Commission of an independent chair", "The chair candidate",
               "chair", c.C07ChairCommission),
    LetterSpec(L.C08_PANEL_INVITATION, "Invitation to the review panel and terms of reference",
               "Each panel agency", "agency", c.C08PanelInvitation, sender="independent_chair",
               approvers=CHAIR_APPROVERS),
    LetterSpec(L.C09_IMR_REQUEST, "Request for an Individual Management Review",
               "Senior manager of each agency asked for an IMR", "agency", c.C09ImrRequest,
               sender="independent_chair", approvers=CHAIR_APPROVERS),
    LetterSpec(L.C10_CHRONOLOGY_REQUEST, "Request for a chronology",
               "Each agency with limited contact", "agency", c.C10ChronologyRequest,
               sender="independent_chair", approvers=CHAIR_APPROVERS),
    LetterSpec(L.C11_FAMILY_FIRST_LETTER, "Domestic Homicide Review: an invitation to take part",
               "The next of kin (family or friends)", "family", c.C11FamilyFirstLetter,
               sender="independent_chair", identity="family", approvers=CHAIR_APPROVERS),
    LetterSpec(L.C12_ADVOCACY_REFERRAL, "Referral for specialist advocacy", "The advocacy service",
               "advocacy", c.C12AdvocacyReferral, sender="independent_chair", approvers=CHAIR_APPROVERS),
    LetterSpec(L.C13_DRAFT_REPORT_FAMILY, "The draft review report, for your comments",
               "The family (and their advocate)", "family", c.C13DraftReportFamily,
               sender="independent_chair", identity="family", approvers=CHAIR_APPROVERS),
    LetterSpec(L.C14_DELAY_NOTICE, "Notice of delay to a Domestic Homicide Review", "Home Office DHR team",
               "home_office", c.C14DelayNotice),
    LetterSpec(L.C15_QA_SUBMISSION, "Submission of a review for quality assurance",
               "Home Office DHR team", "home_office", c.C15QaSubmission),
    LetterSpec(L.C16_QA_FEEDBACK, "Home Office Quality Assurance Panel feedback", "The independent chair",
               "chair", c.C16QaFeedback),
    LetterSpec(L.C17_QA_RESUBMISSION, "Resubmission of a review for quality assurance",
               "Home Office DHR team", "home_office", c.C17QaResubmission),
    LetterSpec(L.C18_PUBLICATION_NOTICE, "Notice of publication of a review",
               "Home Office, the family and agencies", "home_office", c.C18PublicationNotice),
    LetterSpec(L.C19_REPORT_COPY_SOS_DAC, "Copy of a completed review report",
               "The Secretary of State and the Domestic Abuse Commissioner", "secretary_of_state",
               c.C19ReportCopySosDac),
    LetterSpec(L.C20_RECOMMENDATION_LETTER, "Recommendations of the review for your agency",
               "Each lead agency", "agency", c.C20RecommendationLetter),
    LetterSpec(L.C21_ACTION_PLAN_PROGRESS_REQUEST, "Request for an action plan progress return",
               "Each lead agency with open actions", "agency", c.C21ActionPlanProgressRequest),
]  # fmt: skip

CATALOGUE: Mapping[LetterCode, LetterSpec] = {spec.code: spec for spec in _SPECS}


def spec_for(code: LetterCode | str) -> LetterSpec:
    """The catalogue entry of a code ('c11', 'C11' or 'c11_family_first_letter')."""
    try:
        return CATALOGUE[code if isinstance(code, LetterCode) else LetterCode.parse(code)]
    except ValueError as err:
        raise InvalidLetterContext(str(err), field="code") from None


def _field_name(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _message(error: Mapping[str, Any]) -> tuple[str, str]:
    kind = str(error.get("type", "invalid"))
    if kind == "missing":
        return "missing", "this merge field is required"
    if kind == "extra_forbidden":
        return "unknown_field", "this letter has no such merge field"
    if kind in {"string_too_short", "too_short"}:
        return "blank", "must not be blank"
    # pydantic's message names the expected type or choices, never the value it was given.
    return "invalid", str(error.get("msg", "invalid value"))


def validate_context(code: LetterCode | str, data: Mapping[str, Any]) -> c.LetterContext:
    """Check the merge fields; raise InvalidLetterContext naming EVERY missing or invalid one."""
    spec = spec_for(code)
    try:
        return spec.context_model.model_validate(dict(data))
    except ValidationError as err:
        items = []
        for error in err.errors():
            kind, msg = _message(error)
            items.append(ErrorItem(kind, msg, _field_name(tuple(error["loc"]))))
        fields = ", ".join(i.field or "?" for i in items)
        raise InvalidLetterContext(
            f"{spec.number} cannot be rendered: missing or invalid merge fields: {fields}", items=items
        ) from None

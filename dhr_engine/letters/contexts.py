"""The merge fields of every letter: one pydantic model per letter (DHR-PROCESS.md §3).

Every field is required unless it has a default written here. Text fields must not be blank, lists
must not be empty and unknown fields are refused, so a letter never goes out with a gap in it.
Dates are `date` objects; the templates show them as "25 November 2026".
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


class C01NotificationForm(LetterContext):
    victim_name: Line
    victim_date_of_birth: date
    victim_age: int = Field(ge=16, le=120)
    victim_gender: Line
    suspect_name: Line
    suspect_relationship: Line
    date_of_death: date
    place_of_death: Line
    type_of_death: Line
    police_force: Line
    sio_contact: Line
    criminal_status: Text
    known_agencies: list[Line] = Field(min_length=1)
    children_involved: Text
    notifier_details: Text


class C02ScopingRequest(LetterContext):
    agency_name: Line
    victim_pseudonym: Line
    subjects: list[SubjectIdentifier] = Field(min_length=1)
    search_period_start: date
    search_period_end: date
    reply_by: date
    sharing_basis: Text = SHARING_BASIS


class C03DecisionBriefing(LetterContext):
    victim_pseudonym: Line
    date_of_death_text: Line
    notified_on: date
    decision_due: date
    summary_of_facts: Text
    criteria: Text
    agency_contacts: list[AgencyContact] = Field(min_length=1)
    recommendation: Text
    other_reviews: Text = "No other review of this death is known to the partnership."


class C04HoDecisionProceed(LetterContext):
    victim_pseudonym: Line
    date_of_death_text: Line
    decision_date: date
    chair_name: Line
    expected_completion: date


class C05HoDecisionNotProceed(LetterContext):
    victim_pseudonym: Line
    date_of_death_text: Line
    decision_date: date
    reasons: Text
    family_told: Text
    alternative_review: Text


class C06HoResponse(LetterContext):
    victim_pseudonym: Line
    response_date: date
    outcome: Literal["noted", "reconsider", "direction"]
    reasons: Text


class C07ChairCommission(LetterContext):
    victim_pseudonym: Line
    case_summary: Text
    terms_of_reference: list[Text] = Field(min_length=1)
    fee_terms: Text
    expected_completion: date
    reply_by: date
    independence_declaration: Text = INDEPENDENCE


class C08PanelInvitation(LetterContext):
    agency_name: Line
    victim_pseudonym: Line
    meeting_date: date
    meeting_time: Line
    venue: Line
    terms_of_reference: list[Text] = Field(min_length=1)
    agenda: list[Line] = Field(min_length=1)
    confidentiality: Text = CONFIDENTIALITY


class C09ImrRequest(LetterContext):
    agency_name: Line
    victim_pseudonym: Line
    review_period_start: date
    review_period_end: date
    due_date: date
    questions: list[Text] = Field(default_factory=lambda: list(DEFAULT_IMR_QUESTIONS), min_length=1)
    author_requirements: Text = IMR_AUTHOR_REQUIREMENTS
    sign_off: Text = IMR_SIGN_OFF


class C10ChronologyRequest(LetterContext):
    agency_name: Line
    victim_pseudonym: Line
    review_period_start: date
    review_period_end: date
    due_date: date


class C11FamilyFirstLetter(LetterContext):
    deceased_name: Line
    chair_name: Line
    chair_contact: Line
    advocacy_options: list[Line] = Field(
        default_factory=lambda: [
            "Advocacy After Fatal Domestic Abuse (AAFDA)",
            "the National Homicide Service (Victim Support)",
        ],
        min_length=1,
    )
    leaflet: Line = "the Home Office leaflet for family members about Domestic Homicide Reviews"


class C12AdvocacyReferral(LetterContext):
    victim_pseudonym: Line
    family_consent_date: date
    case_summary: Text
    family_contact_route: Text


class C13DraftReportFamily(LetterContext):
    deceased_name: Line
    chair_name: Line
    comments_by: date
    ways_to_comment: Text = (
        "You can write to me, telephone me, or meet me with your advocate, whichever you prefer."
    )
    confidentiality: Text = (
        "The draft is confidential until the Home Office has approved the final report for publication."
    )


class C14DelayNotice(LetterContext):
    victim_pseudonym: Line
    original_target: date
    reason: Text
    new_expected_date: date


class C15QaSubmission(LetterContext):
    victim_pseudonym: Line
    date_of_death_text: Line
    documents: list[Line] = Field(
        default_factory=lambda: ["Overview report", "Executive summary", "Action plan"], min_length=1
    )
    parallel_proceedings: Text
    contact_email: Line


class C16QaFeedback(LetterContext):
    victim_pseudonym: Line
    panel_meeting_date: date
    outcome: Literal["approved", "approved_with_amendments", "resubmit"]
    areas_for_development: list[Text] = Field(min_length=1)
    respond_by: date


class C17QaResubmission(LetterContext):
    victim_pseudonym: Line
    original_submission_date: date
    panel_meeting_date: date
    changes: list[ChangeItem] = Field(min_length=1)


class C18PublicationNotice(LetterContext):
    review_name: Line
    publication_date: date
    url: Line
    documents: list[Line] = Field(
        default_factory=lambda: [
            "Overview report",
            "Executive summary",
            "Action plan",
            "Home Office feedback letter",
        ],
        min_length=1,
    )
    media_lines: Text


class C19ReportCopySosDac(LetterContext):
    victim_pseudonym: Line
    completion_date: date
    documents: list[Line] = Field(
        default_factory=lambda: ["Overview report", "Executive summary", "Action plan"], min_length=1
    )
    copy_to: Text = "The Domestic Abuse Commissioner, PO Box 78559, London SW1P 9WQ"


class C20RecommendationLetter(LetterContext):
    agency_name: Line
    victim_pseudonym: Line
    recommendations: list[RecommendationItem] = Field(min_length=1)
    reporting_cadence: Line
    first_report_due: date


class C21ActionPlanProgressRequest(LetterContext):
    agency_name: Line
    victim_pseudonym: Line
    period: Line
    actions: list[ActionItem] = Field(min_length=1)
    return_by: date

"""The codes of every letter in the process (DHR-PROCESS.md §3, C1–C21; C22 and C23
tell the family of a decision not to review and of the publication date, as the guidance asks).

A letter is defined by its template and its spec side by side (templates/letters/national/<code>.html
and <code>.yaml, read by dhr_engine/letters/spec_loader.py); `LetterCode` names the statutory ones
so code and tests can refer to them (tests/letters/test_letter_specs.py checks each has both files).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from dhr_engine.config import PROJECT_ROOT


class LetterCode(StrEnum):
    C01_NOTIFICATION_FORM = "c01_notification_form"
    C02_SCOPING_REQUEST = "c02_scoping_request"
    C03_DECISION_BRIEFING = "c03_decision_briefing"
    C04_HO_DECISION_PROCEED = "c04_ho_decision_proceed"
    C05_HO_DECISION_NOT_PROCEED = "c05_ho_decision_not_proceed"
    C06_HO_RESPONSE = "c06_ho_response"
    C07_CHAIR_COMMISSION = "c07_chair_commission"
    C08_PANEL_INVITATION = "c08_panel_invitation"
    C09_IMR_REQUEST = "c09_imr_request"
    C10_CHRONOLOGY_REQUEST = "c10_chronology_request"
    C11_FAMILY_FIRST_LETTER = "c11_family_first_letter"
    C12_ADVOCACY_REFERRAL = "c12_advocacy_referral"
    C13_DRAFT_REPORT_FAMILY = "c13_draft_report_family"
    C14_DELAY_NOTICE = "c14_delay_notice"
    C15_QA_SUBMISSION = "c15_qa_submission"
    C16_QA_FEEDBACK = "c16_qa_feedback"
    C17_QA_RESUBMISSION = "c17_qa_resubmission"
    C18_PUBLICATION_NOTICE = "c18_publication_notice"
    C19_REPORT_COPY_SOS_DAC = "c19_report_copy_sos_dac"
    C20_RECOMMENDATION_LETTER = "c20_recommendation_letter"
    C21_ACTION_PLAN_PROGRESS_REQUEST = "c21_action_plan_progress_request"
    C22_FAMILY_NO_REVIEW = "c22_family_no_review"
    C23_FAMILY_PUBLICATION_NOTICE = "c23_family_publication_notice"

    @classmethod
    def parse(cls, text: str) -> LetterCode:
        """Accept 'c11', 'C11' or the full code."""
        text = text.strip().lower()
        for code in cls:
            if code.value == text or code.value.split("_", 1)[0] == text:
                return code
        raise ValueError(f"unknown letter code '{text}'")


def _national(code: str, suffix: str, templates_dir: Path | None) -> bool:
    if not code or "/" in code or "\\" in code or code.startswith("."):
        return False
    root = templates_dir or PROJECT_ROOT / "templates"
    return (root / "letters" / "national" / f"{code}{suffix}").is_file()


def has_spec(code: str, templates_dir: Path | None = None) -> bool:
    """True if there is such a letter: its spec (the workflow loader checks every code it uses)."""
    return _national(code, ".yaml", templates_dir)


def has_template(code: str, templates_dir: Path | None = None) -> bool:
    """True if the letter has its national template (the workflow loader checks every code it uses)."""
    return _national(code, ".html", templates_dir)

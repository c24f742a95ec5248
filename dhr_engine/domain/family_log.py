"""The kinds of entry in the family engagement log, and how each reads on a page or in the history."""

from __future__ import annotations

KINDS = {
    "first_letter_sent": "First letter and Home Office leaflet sent",
    "contact": "Contact with the family",
    "leaflet_sent": "Home Office leaflet sent",
    "advocacy_offered": "Specialist advocacy offered",
    "advocacy_accepted": "Specialist advocacy accepted",
    "advocacy_declined": "Specialist advocacy declined",
    "meeting": "Meeting with the chair",
    "draft_shared": "Draft report shared with the family",
    "comments_received": "Family comments on the draft received",
    "pseudonym_agreed": "Pseudonym agreed",
    "publication_date_told": "Family told the publication date",
}

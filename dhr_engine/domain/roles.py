"""Roles: global ones held by a user, and per-case ones held through case membership."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Every role the engine knows; stable snake_case values used in workflows and the database."""

    # Global roles, held on the user account.
    ADMIN = "admin"
    CSP_OFFICER = "csp_officer"  # the CSP manager / DHR coordinator
    CSP_CHAIR = "csp_chair"
    # Per-case roles, held through CaseMember.
    INDEPENDENT_CHAIR = "independent_chair"
    OVERVIEW_AUTHOR = "overview_author"
    PANEL_MEMBER = "panel_member"
    AGENCY_AUTHOR = "agency_author"
    AGENCY_MANAGER = "agency_manager"
    # The scheduler acting on its own (escalations, automatic expiry).
    SYSTEM = "system"


GLOBAL_ROLES = frozenset({Role.ADMIN, Role.CSP_OFFICER, Role.CSP_CHAIR})
CASE_ROLES = frozenset(
    {
        Role.INDEPENDENT_CHAIR,
        Role.OVERVIEW_AUTHOR,
        Role.PANEL_MEMBER,
        Role.AGENCY_AUTHOR,
        Role.AGENCY_MANAGER,
    }
)
AGENCY_ROLES = frozenset({Role.AGENCY_AUTHOR, Role.AGENCY_MANAGER})

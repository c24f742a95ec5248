"""Roles: THE role table. Each role is one entry: how it reads, where it is held (on the user's
account, or on one case through case membership, or by the scheduler), whether it acts for one
agency, and everything it may do.

The access policy (auth/policy.py), the letters (who drafts, approves and sends), the returns (who
asks agencies for them), the plans (who edits them), the family log, proceedings, case membership
and the console all read their roles from this table by capability, so adding a role is one
`Role` value and one entry here (CONTRIBUTING.md, "a role"). Capabilities are the access policy's
actions (`auth.policy.Action` values, such as "case:view") plus the domains' own, named below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


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


# The domains' own capabilities (besides the access policy's actions).
IDENTITY_FULL = "identity:full"  # every person's real name, date of birth, address and contact details
IDENTITY_SUBJECTS = "identity:subjects"  # the victim's and perpetrator's real name and date of birth
LETTERS_REGISTER = "letters:register"  # read a case's letter register
LETTERS_DRAFT = "letters:draft"
LETTERS_SEND = "letters:send"
LETTERS_FAMILY = "letters:family"  # read letters addressed to the family
LETTERS_APPROVE_CSP = "letters:approve_csp"  # approve the partnership's letters
LETTERS_APPROVE_CHAIR = "letters:approve_chair"  # approve the independent chair's letters
LETTERS_APPROVE_BRIEFING = (
    "letters:approve_briefing"  # approve the decision briefing and the Home Office reply
)
RETURNS_REQUEST = "returns:request"  # ask agencies for returns
PLANS_EDIT_REVIEW = "plans:edit_review"  # change a review's action plan
PLANS_EDIT_PRIORITY = "plans:edit_priority"  # change the partnership's priority plans
CONSOLE = "console"  # what the console operator (the CLI without --as) may do

_CASE_READ = frozenset(
    {
        "case:view",
        "case:triggers",
        "case:fire",
        "audit:view",
        "deadlines:view",
        "members:view",
        "proceedings:view",
        "people:view",
    }
)
_STAFF_READ = _CASE_READ | {"case:summary", "returns:view_all"}
_FULL_READ = _STAFF_READ | {"audit:view_full", "proceedings:notes", LETTERS_REGISTER}


@dataclass(frozen=True)
class RoleEntry:
    label: str  # how the role reads in a sentence ("only a CSP officer may ..."); capitalise for a heading
    held: Literal["account", "case", "system"]
    for_agency: bool  # held for one agency: sees and acts on that agency's returns and actions only
    may: frozenset[str]


ROLES: Mapping[Role, RoleEntry] = {
    Role.ADMIN: RoleEntry(
        "administrator",
        "account",
        False,
        _FULL_READ
        | {"case:open", "members:manage", "agencies:view", "agencies:manage", "agencies:contacts"}
        | {"users:view", "users:manage"}
        | {LETTERS_APPROVE_BRIEFING, RETURNS_REQUEST, PLANS_EDIT_REVIEW, PLANS_EDIT_PRIORITY, CONSOLE}
        | {"audit:reads"},
    ),
    Role.CSP_OFFICER: RoleEntry(
        "CSP officer",
        "account",
        False,
        _FULL_READ
        | {"case:open", "members:manage", "proceedings:manage", "family:view", "family:manage"}
        | {"agencies:view", "agencies:contacts", "users:view", IDENTITY_FULL, IDENTITY_SUBJECTS}
        | {LETTERS_DRAFT, LETTERS_SEND, LETTERS_FAMILY, LETTERS_APPROVE_CSP, LETTERS_APPROVE_BRIEFING}
        | {RETURNS_REQUEST, PLANS_EDIT_REVIEW, PLANS_EDIT_PRIORITY, CONSOLE},
    ),
    Role.CSP_CHAIR: RoleEntry(
        "CSP chair",
        "account",
        False,
        _FULL_READ
        | {"family:view", "agencies:view", IDENTITY_SUBJECTS, LETTERS_APPROVE_CSP, LETTERS_APPROVE_CHAIR}
        | {PLANS_EDIT_REVIEW, PLANS_EDIT_PRIORITY, CONSOLE},
    ),
    Role.INDEPENDENT_CHAIR: RoleEntry(
        "independent chair",
        "case",
        False,
        _FULL_READ
        | {"members:manage", "proceedings:manage", "family:view", "family:manage"}
        | {IDENTITY_FULL, IDENTITY_SUBJECTS, LETTERS_DRAFT, LETTERS_FAMILY, LETTERS_APPROVE_CHAIR}
        | {RETURNS_REQUEST, PLANS_EDIT_REVIEW, CONSOLE},
    ),
    Role.OVERVIEW_AUTHOR: RoleEntry(
        "overview report author",
        "case",
        False,
        _FULL_READ | {"family:view", IDENTITY_FULL, IDENTITY_SUBJECTS, LETTERS_FAMILY},
    ),
    Role.PANEL_MEMBER: RoleEntry("panel member", "case", False, _STAFF_READ | {IDENTITY_SUBJECTS}),
    Role.AGENCY_AUTHOR: RoleEntry("agency IMR author", "case", True, _CASE_READ | {IDENTITY_SUBJECTS}),
    Role.AGENCY_MANAGER: RoleEntry("agency senior manager", "case", True, _CASE_READ | {IDENTITY_SUBJECTS}),
    Role.SYSTEM: RoleEntry(
        "The scheduler", "system", False, frozenset({LETTERS_REGISTER, LETTERS_DRAFT, LETTERS_FAMILY})
    ),
}


def roles_that(capability: str) -> frozenset[Role]:
    """Every role whose entry may do this."""
    return frozenset(role for role, entry in ROLES.items() if capability in entry.may)


def role_label(role: str) -> str:
    """How a role reads for a person: "CSP officer", not "csp_officer"."""
    try:
        return ROLES[Role(role)].label
    except ValueError:
        return role.replace("_", " ")


def roles_in_words(roles: frozenset[Role] | set[Role]) -> str:
    """ "a CSP officer, an administrator or an independent chair": for "only ... may ..."."""
    words = [
        f"{'an' if label[0].lower() in 'aeio' else 'a'} {label}"
        for label in sorted((role_label(r) for r in roles), key=str.lower)
    ]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


GLOBAL_ROLES = frozenset(role for role, entry in ROLES.items() if entry.held == "account")
CASE_ROLES = frozenset(role for role, entry in ROLES.items() if entry.held == "case")
AGENCY_ROLES = frozenset(role for role, entry in ROLES.items() if entry.for_agency)

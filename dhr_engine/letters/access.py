"""Who may read, draft, approve and send letters (the letters part of the access policy).

Case visibility itself comes from auth/policy.py (a case the caller may not see is "not found").
On a case they can see:
- the register: CSP staff, the independent chair and the overview author see every letter; an agency
  user sees only the letters addressed to their own agency;
- letters to the family hold family names, so only the roles that may see full identities
  (auth.policy.FULL_IDENTITY) may read or draft them;
- drafting: the CSP officer and the independent chair (and the scheduler, for queued letters);
- approving: the roles the catalogue names for that letter, and never the person who drafted it;
- sending: the CSP officer, or the independent chair for the letters the chair signs.
"""

from __future__ import annotations

from dhr_engine.audit.reads import ReadKind, letter_kind
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import (
    AGENCY_ROLES,
    LETTERS_DRAFT,
    LETTERS_FAMILY,
    LETTERS_REGISTER,
    LETTERS_SEND,
    Role,
    roles_that,
)
from dhr_engine.errors import PermissionDenied
from dhr_engine.letters.catalogue import LetterSpec, spec_for
from dhr_engine.persistence.tables_letters import Letter

R = Role
REGISTER_ROLES = roles_that(LETTERS_REGISTER)
DRAFT_ROLES = roles_that(LETTERS_DRAFT)
SEND_ROLES = roles_that(LETTERS_SEND)
FAMILY_LETTER_ROLES = roles_that(LETTERS_FAMILY)


def may_see_letter(actor: Actor, letter: Letter) -> bool:
    """True if this (case-resolved) actor may read this letter."""
    if letter.recipient_kind == "family":
        return actor.has_any(FAMILY_LETTER_ROLES)
    if actor.has_any(REGISTER_ROLES):
        return True
    return actor.has_any(AGENCY_ROLES) and actor.agency_id is not None and letter.agency_id == actor.agency_id


def read_kind(letter: Letter) -> ReadKind | None:
    """What reading this letter is for the read log (audit/reads.py): a letter to the family, one
    naming the victim or perpetrator, or None for a letter in pseudonyms only."""
    return letter_kind(letter.recipient_kind, spec_for(letter.code).identity)


def require_see(actor: Actor, letter: Letter) -> None:
    if not may_see_letter(actor, letter):
        raise PermissionDenied("your role on this case does not let you read this letter", field="role")


def require_draft(actor: Actor, recipient_kind: str) -> None:
    allowed = FAMILY_LETTER_ROLES & DRAFT_ROLES if recipient_kind == "family" else DRAFT_ROLES
    if not actor.has_any(allowed):
        names = ", ".join(sorted(r.value for r in allowed - {R.SYSTEM}))
        raise PermissionDenied(f"only these roles may draft this letter: {names}", field="role")


def require_approve(actor: Actor, spec: LetterSpec, letter: Letter) -> None:
    if not actor.has_any(spec.approvers):
        names = ", ".join(sorted(r.value for r in spec.approvers))
        raise PermissionDenied(f"{spec.number} may be approved only by: {names}", field="role")
    if letter.drafted_by is not None and letter.drafted_by == actor.user_id:
        raise PermissionDenied("a letter must be approved by someone other than its drafter", field="role")


def require_send(actor: Actor, spec: LetterSpec) -> None:
    allowed = SEND_ROLES | (
        frozenset({R.INDEPENDENT_CHAIR}) if spec.sender == "independent_chair" else frozenset()
    )
    if not actor.has_any(allowed):
        names = ", ".join(sorted(r.value for r in allowed))
        raise PermissionDenied(f"{spec.number} may be sent only by: {names}", field="role")

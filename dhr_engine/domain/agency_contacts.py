"""The kinds of DHR contact an agency names, and the agency role each holds on a request.

A contact is a user account of the agency, named by the CSP. When the agency is asked for a
return, its contacts are told, and each holds its role on that request (its page, draft,
attachments and deadlines), not on the rest of the case (auth/policy.py, `contact_roles`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dhr_engine.domain.roles import Role


@dataclass(frozen=True)
class ContactKind:
    label: str  # how it reads for a person
    role: Role  # the agency role it holds on the requests addressed to its agency


CONTACT_KINDS: Mapping[str, ContactKind] = {
    "spoc": ContactKind("single point of contact", Role.AGENCY_AUTHOR),
    "imr_author": ContactKind("IMR author", Role.AGENCY_AUTHOR),
    "senior_manager": ContactKind("senior manager", Role.AGENCY_MANAGER),
}


def contact_label(kind: str) -> str:
    found = CONTACT_KINDS.get(kind)
    return found.label if found is not None else kind.replace("_", " ")

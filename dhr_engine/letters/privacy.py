"""Keep restricted identities out of letters that may not carry them.

The catalogue gives each letter an identity rule (see catalogue.py). Before a letter is stored, every
merge value is searched for the real names and dates of birth it must not contain, however they are
written (`dhr_engine/domain/privacy.py`: any letter case, possessives, with or without middle names,
a date of birth in any common form); a hit is an InvalidLetterContext naming the field, the line
and the kind of value found (never the value).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dhr_engine.domain.privacy import Finding, PrivacyCheck, describe_kinds, protected_people
from dhr_engine.errors import ErrorItem, InvalidLetterContext
from dhr_engine.letters.catalogue import Identity
from dhr_engine.persistence.tables import Person

SUBJECT_ROLES = frozenset({"victim", "perpetrator"})


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")
    elif value is not None:
        yield path, str(value)


def identity_findings(
    context: Mapping[str, Any], people: Sequence[Person], identity: Identity
) -> list[Finding]:
    """What the letter's merge values hold that its identity rule forbids, field by field."""
    if identity == "family":
        return []
    allowed_roles = SUBJECT_ROLES if identity == "subjects" else frozenset()
    protected, allowed = protected_people(people, allowed_roles=allowed_roles)
    return PrivacyCheck.of(protected, allowed).check(_walk(context, ""))


def _problem(findings: Sequence[Finding]) -> str:
    lines = sorted({f.line for f in findings if f.line})
    at = f" (line {', '.join(str(n) for n in lines)})" if lines else ""
    return f"contains {describe_kinds(findings)}{at}; use the pseudonym"


def check_identities(context: Mapping[str, Any], people: Sequence[Person], identity: Identity) -> None:
    """Raise InvalidLetterContext naming every field that holds a name or date of birth it may not."""
    findings = identity_findings(context, people, identity)
    if not findings:
        return
    by_field: dict[str, list[Finding]] = {}
    for finding in findings:
        by_field.setdefault(finding.where, []).append(finding)
    items = [
        ErrorItem("restricted_identity", _problem(found), field=path) for path, found in by_field.items()
    ]
    raise InvalidLetterContext(
        f"this letter may not carry {describe_kinds(findings)}: {', '.join(by_field)}", items=items
    )

"""Keep restricted identities out of letters that may not carry them.

The catalogue gives each letter an identity rule (see catalogue.py). Before a letter is stored, every
merge value is searched for the real names and dates of birth it must not contain; a hit is an
InvalidLetterContext naming the field (never the name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dhr_engine.errors import ErrorItem, InvalidLetterContext
from dhr_engine.letters.catalogue import Identity
from dhr_engine.persistence.tables import Person

SUBJECT_ROLES = frozenset({"victim", "perpetrator"})
MIN_NAME_PART = 3


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")
    elif value is not None:
        yield path, str(value)


def _allowed(person: Person, identity: Identity) -> bool:
    return identity == "subjects" and person.role in SUBJECT_ROLES


def _forbidden(people: Sequence[Person], identity: Identity) -> list[re.Pattern[str]]:
    """Patterns of the names and dates of birth this letter must not contain."""
    if identity == "family":
        return []
    patterns: list[re.Pattern[str]] = []
    allowed = {p for person in people if _allowed(person, identity) for p in person.real_name.split()}
    for person in people:
        if _allowed(person, identity):
            continue
        keep = allowed | set(person.pseudonym.split())
        parts = [person.real_name.strip(), *person.real_name.split()]
        for part in {p for p in parts if len(p) >= MIN_NAME_PART and p not in keep}:
            patterns.append(re.compile(rf"\b{re.escape(part)}\b"))
        if person.date_of_birth is not None:
            patterns.append(re.compile(re.escape(person.date_of_birth.isoformat())))
    return patterns


def check_identities(context: Mapping[str, Any], people: Sequence[Person], identity: Identity) -> None:
    """Raise InvalidLetterContext naming every field that holds a name or date of birth it may not."""
    patterns = _forbidden(people, identity)
    bad = [path for path, text in _walk(context, "") if any(p.search(text) for p in patterns)]
    if bad:
        what = "a family member's real name" if identity == "subjects" else "a real name or date of birth"
        items = [
            ErrorItem("restricted_identity", f"contains {what}; use the pseudonym", field=path)
            for path in bad
        ]
        raise InvalidLetterContext(f"this letter may not carry {what}: {', '.join(bad)}", items=items)

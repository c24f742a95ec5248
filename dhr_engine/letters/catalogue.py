"""The letter catalogue: every letter's spec, read from templates/letters/national/<code>.yaml.

A letter is its template (`<code>.html`) and its spec (`<code>.yaml`) side by side: title,
recipient and recipient rule, sender, identity rule, approvers and merge fields with their sources
(spec.py, spec_loader.py). The catalogue of the shipped templates is loaded when this module is
imported, so a broken spec stops the engine at start-up naming the file and the field; a templates
directory of its own (settings.templates_dir) has its catalogue loaded on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dhr_engine.config import PROJECT_ROOT
from dhr_engine.errors import DhrError, ErrorItem, InvalidLetterContext
from dhr_engine.letters import contexts as c
from dhr_engine.letters.spec import Identity, LetterSpec, RecipientKind, Sender
from dhr_engine.letters.spec_loader import load_specs

__all__ = [
    "CATALOGUE",
    "Identity",
    "LetterSpec",
    "RecipientKind",
    "Sender",
    "catalogue_for",
    "spec_for",
    "validate_context",
]

DEFAULT_TEMPLATES = PROJECT_ROOT / "templates"
_CATALOGUES: dict[Path, Mapping[str, LetterSpec]] = {}


def catalogue_for(templates_dir: Path | None = None) -> Mapping[str, LetterSpec]:
    """The catalogue of a templates directory (the shipped one by default), loaded once."""
    directory = (templates_dir or DEFAULT_TEMPLATES).resolve()
    found = _CATALOGUES.get(directory)
    if found is None:
        found = _CATALOGUES[directory] = load_specs(directory)
    return found


CATALOGUE: Mapping[str, LetterSpec] = catalogue_for()


def spec_for(code: str, templates_dir: Path | None = None) -> LetterSpec:
    """The catalogue entry of a code ('c11', 'C11' or 'c11_family_first_letter')."""
    text = code.strip().lower()
    for key, spec in catalogue_for(templates_dir).items():
        if text in (key, key.split("_", 1)[0]):
            return spec
    raise InvalidLetterContext(f"unknown letter code '{text}'", field="code")


def _field_name(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def needs_input(err: DhrError) -> str:
    """Why a letter cannot be drafted yet, for the people who will fill the gap: the merge fields in
    words ("summary of facts, meeting date: missing from the case record"), never their values."""
    missing = [
        i.field.replace("_", " ").replace(".", " ") for i in err.items if i.field and i.code == "missing"
    ]
    other = [
        f"{i.field.replace('_', ' ')}: {i.msg}" if i.field else i.msg
        for i in err.items
        if i.code != "missing"
    ]
    parts = ([f"{', '.join(missing)}: not in the case record yet"] if missing else []) + other
    return "needs input before it can be drafted — " + "; ".join(parts)


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


def validate_context(code: LetterSpec | str, data: Mapping[str, Any]) -> c.LetterContext:
    """Check the merge fields; raise InvalidLetterContext naming EVERY missing or invalid one."""
    spec = code if isinstance(code, LetterSpec) else spec_for(code)
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

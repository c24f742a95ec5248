"""A form for any letter's merge fields, read from the letter's context model (letters/contexts.py).

Each field becomes a GOV.UK input by its type: a line, a paragraph, a date (day, month, year), a
number, a choice, a list (one item a line) or a table (one row a line, parts separated by "|").
A field left blank is not sent, so the service fills it from the case record or names it as
missing; the service's validation is the only judge of what a letter needs.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dhr_engine.errors import DhrError
from dhr_engine.letters.catalogue import LetterSpec
from dhr_engine.letters.contexts import LetterContext
from dhr_engine.web.forms import FormState

# Set by the service whatever the form says (the letter's date is the day it is drafted).
FIXED = frozenset({"date"})
COMMON = frozenset(LetterContext.model_fields) - FIXED
LONG_TEXT = 1000
PART = " | "
BRITISH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class MergeField:
    name: str
    label: str
    kind: str  # line | text | date | number | choice | lines | rows
    required: bool
    common: bool  # letterhead, sender and recipient: the same on every letter
    choices: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()

    @property
    def hint(self) -> str:
        if self.kind == "lines":
            return "One item a line."
        if self.kind == "rows":
            parts = f"{PART.strip()} ".join(c.replace("_", " ") for c in self.columns)
            return f"One a line, with the parts separated by a vertical bar: {parts}. Dates as 25/11/2026."
        return ""


def _label(name: str) -> str:
    words = name.replace("_", " ")
    words = re.sub(r"\b(sos|dac|imr|ho|qa)\b", lambda m: m.group(0).upper(), words)
    return words[:1].upper() + words[1:]


def _max_length(metadata: list[Any]) -> int:
    for item in metadata:
        found = getattr(item, "max_length", None)
        if isinstance(found, int):
            return found
    return 0


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """(type, metadata) of an Annotated type."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        return base, list(meta)
    return annotation, []


def _kind(info: FieldInfo) -> tuple[str, tuple[str, ...], type[BaseModel] | None]:
    annotation, meta = _unwrap(info.annotation)
    meta = meta + list(info.metadata)
    origin = typing.get_origin(annotation)
    if annotation is date:
        return "date", (), None
    if annotation is int:
        return "number", (), None
    if origin is typing.Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation)), None
    if origin is list:
        (item,) = typing.get_args(annotation)
        item_type, _item_meta = _unwrap(item)
        if isinstance(item_type, type) and issubclass(item_type, BaseModel):
            return "rows", (), item_type
        return "lines", (), None
    if isinstance(annotation, types.UnionType):
        return "line", (), None
    return ("text" if _max_length(meta) > LONG_TEXT else "line"), (), None


def merge_fields(spec: LetterSpec) -> list[MergeField]:
    """The fields an officer may set on this letter, specific ones first."""
    made = []
    for name, info in spec.context_model.model_fields.items():
        if name in FIXED:
            continue
        kind, choices, row_model = _kind(info)
        columns: tuple[str, ...] = ()
        date_columns: tuple[str, ...] = ()
        if row_model is not None:
            columns = tuple(row_model.model_fields)
            date_columns = tuple(
                n for n, f in row_model.model_fields.items() if _unwrap(f.annotation)[0] is date
            )
        made.append(
            MergeField(
                name=name,
                label=_label(name),
                kind=kind,
                required=info.is_required(),
                common=name in COMMON,
                choices=choices,
                columns=columns,
                date_columns=date_columns,
            )
        )
    return sorted(made, key=lambda f: f.common)


def _show(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def prefill(fields: list[MergeField], context: Mapping[str, Any]) -> FormState:
    """The form as it shows a stored letter's merge fields."""
    values: dict[str, str] = {}
    for f in fields:
        value = context.get(f.name)
        if value is None:
            continue
        if f.kind == "date":
            day = date.fromisoformat(str(value)[:10])
            values.update({f"{f.name}-day": str(day.day), f"{f.name}-month": str(day.month)})
            values[f"{f.name}-year"] = str(day.year)
        elif f.kind == "lines":
            values[f.name] = "\n".join(str(v) for v in value)
        elif f.kind == "rows":
            values[f.name] = "\n".join(PART.join(_show(row.get(c)) for c in f.columns) for row in value)
        else:
            values[f.name] = str(value)
    return FormState(values=values)


def _iso(text: str) -> str:
    found = BRITISH_DATE.match(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return text
    return text


def read_fields(fields: list[MergeField], form: FormState) -> dict[str, Any]:
    """The merge fields typed in the form; blank ones are left out (the case record fills them)."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.kind == "date":
            day = form.date_value(f.name, label=f.label.lower())
            if day is not None:
                data[f.name] = day.isoformat()
            continue
        text = form.value(f.name).strip()
        if not text:
            continue
        if f.kind == "number":
            if not text.isdigit():
                form.add(f.name, f"{f.label} must be a whole number")
                continue
            data[f.name] = int(text)
        elif f.kind == "lines":
            data[f.name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif f.kind == "rows":
            rows = []
            for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
                parts = [p.strip() for p in line.split(PART.strip())]
                if len(parts) != len(f.columns):
                    form.add(f.name, f"Line {number} of {f.label.lower()} needs {len(f.columns)} parts")
                    break
                row = dict(zip(f.columns, parts, strict=True))
                for column in f.date_columns:
                    row[column] = _iso(row[column])
                rows.append(row)
            data[f.name] = rows
        else:
            data[f.name] = text
    return data


def absorb(form: FormState, err: DhrError, fields: list[MergeField]) -> None:
    """Put the service's problems at the merge fields they name ('changes[0].point' -> changes)."""
    names = {f.name: f for f in fields}
    for item in err.items:
        top = re.split(r"[.\[]", item.field or "", maxsplit=1)[0]
        message = item.msg.strip()
        if top in names:
            f = names[top]
            if f.kind in {"date"} and top not in form.date_fields:
                form.date_fields.add(top)
            where = item.field[len(top) :] if item.field else ""
            prefix = f"{f.label}{' (' + where.strip('.') + ')' if where else ''}: "
            form.add(top, prefix + message[:1].upper() + message[1:] if message else prefix)
        else:
            form.general.append(message[:1].upper() + message[1:])

"""Form handling in the GOV.UK pattern: what the user typed comes back, with an error summary at
the top of the page and a message at each field that has a problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from dhr_engine.errors import DhrError


@dataclass
class FormState:
    """Values typed and problems found, keyed by field name (the field's id is `f-<name>`)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)  # problems that belong to no field
    date_fields: set[str] = field(default_factory=set)  # GOV.UK date inputs: link to the day box
    multi: dict[str, list[str]] = field(default_factory=dict)  # every value of repeated fields

    @classmethod
    def from_form(cls, form: FormData) -> FormState:
        values = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}
        multi: dict[str, list[str]] = {}
        for k, v in form.multi_items():
            if isinstance(v, str):
                multi.setdefault(k, []).append(v)
        return cls(values=values, multi=multi)

    def chosen(self, name: str) -> list[str]:
        """Every value given for a repeated field (checkboxes)."""
        return self.multi.get(name, [])

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def require(self, name: str, message: str) -> str:
        text = self.values.get(name, "").strip()
        if not text:
            self.add(name, message)
        return text

    def error(self, name: str) -> dict[str, str] | None:
        """The errorMessage parameter of a GOV.UK macro, or None."""
        message = self.errors.get(name)
        return {"text": message} if message else None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general

    @property
    def summary(self) -> list[dict[str, str]]:
        """The errorList of govukErrorSummary: each links to its field."""
        items = [
            {"text": msg, "href": f"#f-{name}" + ("-day" if name in self.date_fields else "")}
            for name, msg in self.errors.items()
        ]
        items.extend({"text": msg} for msg in self.general)
        return items

    def absorb(self, err: DhrError, fields: dict[str, str] | None = None) -> None:
        """Put an engine error's items at the fields they name (or in the summary)."""
        aliases = fields or {}
        for item in err.items:
            message = _sentence(item.msg)
            name = aliases.get(item.field or "", item.field or "")
            if (name and name in self.values) or name in aliases.values():
                self.add(name, message)
            else:
                self.general.append(message)

    def date_value(self, name: str, *, required: bool = False, label: str = "the date") -> date | None:
        """Read a GOV.UK date input (name-day, name-month, name-year)."""
        self.date_fields.add(name)
        parts = [self.values.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")]
        if not any(parts):
            if required:
                self.add(name, f"Enter {label}")
            return None
        if not all(parts):
            missing = [p for p, v in zip(("day", "month", "year"), parts, strict=True) if not v]
            self.add(name, f"{label[:1].upper() + label[1:]} must include a {' and '.join(missing)}")
            return None
        try:
            day, month, year = (int(p) for p in parts)
            if year < 1900:
                raise ValueError
            return date(year, month, day)
        except ValueError:
            self.add(name, f"{label[:1].upper() + label[1:]} must be a real date, like 25 11 2026")
            return None

    def date_items(self, name: str) -> list[dict[str, Any]]:
        """The items of govukDateInput, keeping what was typed."""
        bad = " govuk-input--error" if name in self.errors else ""
        return [
            {"name": "day", "classes": "govuk-input--width-2" + bad, "value": self.value(f"{name}-day")},
            {"name": "month", "classes": "govuk-input--width-2" + bad, "value": self.value(f"{name}-month")},
            {"name": "year", "classes": "govuk-input--width-4" + bad, "value": self.value(f"{name}-year")},
        ]


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:]

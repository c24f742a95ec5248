"""The theme taxonomy: read from themes.yaml, validated, and used to check recommendation tags."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from dhr_engine.errors import ValidationFailed

THEMES_FILE = Path(__file__).resolve().parent / "themes.yaml"


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, str]:
    """Theme code -> label, in the order of the file."""
    data = yaml.safe_load(THEMES_FILE.read_text(encoding="utf-8"))
    return {str(code): str(entry["label"]) for code, entry in data["themes"].items()}


def label_of(code: str) -> str:
    return taxonomy().get(code, code.replace("_", " "))


def validate_themes(codes: list[str]) -> list[str]:
    """Return the codes de-duplicated in order, or raise naming the unknown one."""
    known = taxonomy()
    out: list[str] = []
    for code in codes:
        if code not in known:
            raise ValidationFailed(f"unknown theme '{code}'; see 'dhr plans themes list'", field="themes")
        if code not in out:
            out.append(code)
    return out

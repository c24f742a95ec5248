"""Sample merge data, one file per letter: used by the tests, the preview and `dhr letters sample`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dhr_engine.letters.catalogue import LetterSpec
from dhr_engine.letters.rendering import letters_dir


@dataclass(frozen=True)
class Sample:
    """A sample context and the number of pages its PDF is expected to have."""

    context: dict[str, Any]
    expected_pages: int


def sample_path(templates_dir: Path, spec: LetterSpec) -> Path:
    return letters_dir(templates_dir) / "samples" / f"{spec.code}.yaml"


def load_sample(templates_dir: Path, spec: LetterSpec) -> Sample:
    """Read the sample of one letter (FileNotFoundError if it has none)."""
    data = yaml.safe_load(sample_path(templates_dir, spec).read_text(encoding="utf-8"))
    return Sample(context=dict(data["context"]), expected_pages=int(data["expected_pages"]))

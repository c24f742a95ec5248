"""The RAG rule and the wording similarity, table-driven (no database)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dhr_engine.errors import ValidationFailed
from dhr_engine.plans.lessons import REPEAT_THRESHOLD, similarity
from dhr_engine.plans.rag import Rag, RagInput, rate
from dhr_engine.plans.themes import taxonomy, validate_themes

TODAY = date(2026, 11, 25)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.mark.parametrize(
    ("stage", "target", "created", "update", "expected"),
    [
        ("complete", days(-50), days(-300), None, Rag.BLUE),
        ("closed_not_done", days(100), days(-300), None, Rag.RED),
        ("in_progress", days(-1), days(-30), days(-1), Rag.RED),
        ("proposed", days(-1), days(-30), None, Rag.RED),
        ("in_progress", days(0), days(-30), days(-1), Rag.AMBER),  # due today is not yet overdue
        ("in_progress", days(28), days(-30), days(-1), Rag.AMBER),
        ("in_progress", days(29), days(-30), days(-1), Rag.GREEN),
        ("agreed", days(200), days(-92), None, Rag.AMBER),
        ("agreed", days(200), days(-91), None, Rag.GREEN),
        ("in_progress", days(200), days(-300), days(-92), Rag.AMBER),
        ("in_progress", days(200), days(-300), days(-10), Rag.GREEN),
    ],
)
def test_rag_rule(stage: str, target: date, created: date, update: date | None, expected: Rag) -> None:
    assert rate(RagInput(stage, target, created, update), TODAY).rag is expected


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        (
            "Agencies should share information about perpetrators at MARAC meetings.",
            "All agencies must share information on perpetrators in MARAC meetings.",
            True,
        ),
        (
            "Agencies should share information about perpetrators at MARAC meetings.",
            "GP practices should ask every patient routinely about domestic abuse.",
            False,
        ),
        ("Train staff in coercive control.", "Training for staff on coercive control", True),
        ("", "Anything", False),
    ],
)
def test_similarity(a: str, b: str, similar: bool) -> None:
    assert (similarity(a, b) >= REPEAT_THRESHOLD) is similar


def test_themes__taxonomy_from_data_and_validation() -> None:
    assert {
        "risk_assessment",
        "coercive_control",
        "mental_health",
        "substance_use",
        "information_sharing",
        "training",
    } <= set(taxonomy())
    assert validate_themes(["training", "training", "mental_health"]) == ["training", "mental_health"]
    with pytest.raises(ValidationFailed) as err:
        validate_themes(["astrology"])
    assert err.value.items[0].field == "themes"

"""The rung ladder and the catch-up rule, as a table."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dhr_engine.domain.reminders import Rung, escalation, next_after, roles_for, step_for
from dhr_engine.domain.roles import Role
from dhr_engine.workflow.definition import ReminderRule

DUE = date(2026, 12, 25)
RULE = ReminderRule(before_days=[7, 1], on_due=True, escalate_every_days=7, notify=[Role.AGENCY_AUTHOR],
                    escalate_to=[Role.AGENCY_MANAGER, Role.CSP_OFFICER, Role.CSP_CHAIR])  # fmt: skip


def d(offset: int) -> date:
    return DUE + timedelta(days=offset)


@pytest.mark.parametrize(
    ("today", "claimed", "rung", "skipped", "next_on"),
    [
        (d(-8), set(), None, [], d(-7)),
        (d(-7), set(), "before:7", [], d(-1)),
        (d(-3), {"before:7"}, None, [], d(-1)),
        (d(-3), set(), "before:7", [], d(-1)),  # opened late in the window: the reminder still goes
        (d(-1), set(), "before:1", ["before:7"], d(0)),
        (d(0), {"before:7", "before:1"}, "due", [], d(7)),
        (d(6), {"before:7", "before:1", "due"}, None, [], d(7)),
        (d(2), {"before:7"}, "due", ["before:1"], d(7)),  # a late due-day notice, once
        (d(7), {"due"}, "escalation:1", [], d(14)),
        (d(40), {"due"}, "escalation:5", [f"escalation:{k}" for k in range(1, 5)], d(42)),
        (d(40), set(), "escalation:5", ["before:7", "before:1", "due", *[f"escalation:{k}" for k in range(1, 5)]],
         d(42)),
        (d(40), {"escalation:5"}, None, [], d(42)),
    ],
)  # fmt: skip
def test_step_for(
    today: date, claimed: set[str], rung: str | None, skipped: list[str], next_on: date
) -> None:
    step = step_for(RULE, DUE, today, claimed)
    assert (step.rung.name if step.rung else None, step.skipped, step.next_on) == (rung, skipped, next_on)


def test_a_rule_without_escalation_ends_at_the_due_day() -> None:
    rule = ReminderRule(before_days=[], on_due=True, escalate_every_days=None)
    assert step_for(rule, DUE, d(30), set()).rung == Rung(DUE, "due", "due")
    assert step_for(rule, DUE, d(30), {"due"}).rung is None
    assert next_after(rule, DUE, d(0)) is None


def test_escalations_climb_the_ladder_and_keep_everyone_told() -> None:
    owner = "agency_manager"
    assert roles_for(RULE, Rung(d(-7), "before:7", "reminder", 7), owner) == ["agency_author"]
    assert roles_for(RULE, escalation(RULE, DUE, 1), owner) == ["agency_author", "agency_manager"]
    assert roles_for(RULE, escalation(RULE, DUE, 2), owner) == [
        "agency_author",
        "agency_manager",
        "csp_officer",
    ]
    every = ["agency_author", "agency_manager", "csp_officer", "csp_chair"]
    assert roles_for(RULE, escalation(RULE, DUE, 3), owner) == every
    assert roles_for(RULE, escalation(RULE, DUE, 9), owner) == every  # the last rung repeats
    assert roles_for(ReminderRule(), Rung(DUE, "due", "due"), owner) == [owner]  # no notify: the owner

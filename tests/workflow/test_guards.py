"""Each named guard of dhr_engine/workflow/guards.py, true and false, on a fake CaseFacts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role
from dhr_engine.workflow.guards import GUARDS, IMR_KINDS, GuardContext


@dataclass
class FakeFacts:
    """CaseFacts from plain values; return_counts sums the (requested, finished) of the kinds asked."""

    members: frozenset[str] = frozenset()
    proceedings: int = 0
    returns: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    family: frozenset[str] = frozenset()
    actions: int = 0
    asked: list[frozenset[str]] = field(default_factory=list)

    def member_roles(self) -> frozenset[str]:
        return self.members

    def open_proceedings(self) -> int:
        return self.proceedings

    def return_counts(self, kinds: frozenset[str]) -> tuple[int, int]:
        self.asked.append(kinds)
        pairs = [self.returns[k] for k in kinds if k in self.returns]
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)

    def family_log_kinds(self) -> frozenset[str]:
        return self.family

    def open_actions(self) -> int:
        return self.actions


@dataclass
class FakeCase:
    stage: str = "information_gathering"


def check(name: str, facts: FakeFacts, payload: Mapping[str, Any] | None = None) -> bool:
    actor = Actor(user_id=uuid4(), global_roles=frozenset({Role.CSP_OFFICER}))
    ctx = GuardContext(FakeCase(), facts, actor, date(2026, 11, 25), payload or {})
    return GUARDS[name].check(ctx)


# (guard, facts under which it holds, facts under which it fails)
CASES: list[tuple[str, FakeFacts, FakeFacts]] = [
    (
        "scoping_replies_in",
        FakeFacts(returns={"scoping_reply": (3, 3)}),
        FakeFacts(returns={"scoping_reply": (3, 2)}),
    ),
    (
        "independent_chair_assigned",
        FakeFacts(members=frozenset({"independent_chair", "panel_member"})),
        FakeFacts(members=frozenset({"panel_member", "overview_author"})),
    ),
    (
        "panel_members_assigned",
        FakeFacts(members=frozenset({"panel_member"})),
        FakeFacts(members=frozenset({"independent_chair"})),
    ),
    (
        "agency_returns_accepted",
        FakeFacts(returns={"imr": (2, 2), "chronology": (3, 3), "short_report": (1, 1)}),
        FakeFacts(returns={"imr": (2, 2), "chronology": (3, 2)}),
    ),
    (
        "family_contacted",
        FakeFacts(family=frozenset({"first_letter_sent"})),
        FakeFacts(family=frozenset({"declined_note"})),
    ),
    (
        "draft_shared_with_family",
        FakeFacts(family=frozenset({"contact", "draft_shared"})),
        FakeFacts(family=frozenset({"contact", "meeting"})),
    ),
    ("open_proceeding_recorded", FakeFacts(proceedings=1), FakeFacts(proceedings=0)),
    ("no_open_proceedings", FakeFacts(proceedings=0), FakeFacts(proceedings=2)),
    ("all_actions_closed", FakeFacts(actions=0), FakeFacts(actions=1)),
]


@pytest.mark.parametrize(("name", "holds", "fails"), CASES, ids=[c[0] for c in CASES])
def test_guard__true_and_false_on_fake_facts(name: str, holds: FakeFacts, fails: FakeFacts) -> None:
    assert check(name, holds) is True
    assert check(name, fails) is False


def test_every_registered_guard__has_a_true_and_false_case_here() -> None:
    covered = {c[0] for c in CASES} | {"evidence_given"}
    assert set(GUARDS) == covered


def test_every_guard__is_registered_under_its_own_name_with_a_description() -> None:
    for name, registered in GUARDS.items():
        assert registered.name == name
        assert registered.description.strip(), name


def test_scoping_replies_in__holds_when_no_agency_was_asked() -> None:
    # Nothing outstanding: a case whose scoping asked no agency for a reply is not held up.
    assert check("scoping_replies_in", FakeFacts()) is True


def test_scoping_replies_in__asks_only_about_scoping_replies() -> None:
    facts = FakeFacts(returns={"scoping_reply": (2, 2), "imr": (4, 0)})
    assert check("scoping_replies_in", facts) is True
    assert facts.asked == [frozenset({"scoping_reply"})]


def test_agency_returns_accepted__fails_when_nothing_was_requested() -> None:
    assert check("agency_returns_accepted", FakeFacts()) is False


def test_agency_returns_accepted__counts_imrs_chronologies_and_short_reports_only() -> None:
    facts = FakeFacts(returns={"imr": (1, 1), "scoping_reply": (5, 0)})
    assert check("agency_returns_accepted", facts) is True
    assert facts.asked == [IMR_KINDS]
    assert frozenset({"imr", "chronology", "short_report"}) == IMR_KINDS


@pytest.mark.parametrize("kind", ["first_letter_sent", "contact", "meeting"])
def test_family_contacted__any_kind_of_contact_counts(kind: str) -> None:
    assert check("family_contacted", FakeFacts(family=frozenset({kind}))) is True


def test_family_contacted__a_shared_draft_alone_is_not_first_contact() -> None:
    assert check("family_contacted", FakeFacts(family=frozenset({"draft_shared"}))) is False


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"evidence": "Minutes of the panel meeting, 3 March"}, True),
        ({"evidence": "   "}, False),
        ({"evidence": ""}, False),
        ({}, False),
    ],
)
def test_evidence_given__needs_non_blank_evidence_in_the_payload(
    payload: dict[str, Any], expected: bool
) -> None:
    assert check("evidence_given", FakeFacts(), payload) is expected

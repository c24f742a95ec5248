"""Named guards referenced from workflows/*.yaml. Guards are Python, never YAML expressions.

A guard reads only what CaseFacts offers (loaded through the session by the service layer), so
it stays free of SQL and can be tested with a fake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role


class CaseFacts(Protocol):
    """What guards may ask about a case, beyond its own row."""

    def member_roles(self) -> frozenset[str]: ...

    def open_proceedings(self) -> int: ...

    def return_counts(self, kinds: frozenset[str]) -> tuple[int, int]:
        """Return (requests, requests finished) for these kinds of agency return."""
        ...

    def family_log_kinds(self) -> frozenset[str]: ...

    def open_actions(self) -> int: ...


class CaseView(Protocol):
    stage: str


@dataclass
class GuardContext:
    case: CaseView
    facts: CaseFacts
    actor: Actor
    effective_on: date
    payload: Mapping[str, Any] = field(default_factory=dict)


GuardFn = Callable[[GuardContext], bool]


@dataclass(frozen=True)
class Guard:
    name: str
    description: str
    check: GuardFn


GUARDS: dict[str, Guard] = {}


def guard(name: str, description: str) -> Callable[[GuardFn], GuardFn]:
    """Register a named guard; the description is what a blocked user is told."""

    def register(fn: GuardFn) -> GuardFn:
        GUARDS[name] = Guard(name, description, fn)
        return fn

    return register


IMR_KINDS = frozenset({"imr", "chronology", "short_report"})


@guard("scoping_replies_in", "every agency asked for a scoping reply has replied and the reply is accepted")
def scoping_replies_in(ctx: GuardContext) -> bool:
    requested, finished = ctx.facts.return_counts(frozenset({"scoping_reply"}))
    return requested == finished


@guard("independent_chair_assigned", "an independent chair has been added to the case")
def independent_chair_assigned(ctx: GuardContext) -> bool:
    return Role.INDEPENDENT_CHAIR.value in ctx.facts.member_roles()


@guard("panel_members_assigned", "at least one panel member has been added to the case")
def panel_members_assigned(ctx: GuardContext) -> bool:
    return Role.PANEL_MEMBER.value in ctx.facts.member_roles()


@guard("agency_returns_accepted", "IMRs, chronologies and short reports have been requested and all accepted")
def agency_returns_accepted(ctx: GuardContext) -> bool:
    requested, finished = ctx.facts.return_counts(IMR_KINDS)
    return requested > 0 and requested == finished


@guard("family_contacted", "the family engagement log records a first letter or contact with the family")
def family_contacted(ctx: GuardContext) -> bool:
    return bool(ctx.facts.family_log_kinds() & {"first_letter_sent", "contact", "meeting"})


@guard(
    "draft_shared_with_family", "the family engagement log records the draft report shared with the family"
)
def draft_shared_with_family(ctx: GuardContext) -> bool:
    return "draft_shared" in ctx.facts.family_log_kinds()


@guard(
    "open_proceeding_recorded", "a parallel proceeding that pauses the review has been recorded and is open"
)
def open_proceeding_recorded(ctx: GuardContext) -> bool:
    return ctx.facts.open_proceedings() > 0


@guard("no_open_proceedings", "every parallel proceeding that paused the review has concluded")
def no_open_proceedings(ctx: GuardContext) -> bool:
    return ctx.facts.open_proceedings() == 0


@guard("all_actions_closed", "every action of the review's action plan is complete or closed")
def all_actions_closed(ctx: GuardContext) -> bool:
    return ctx.facts.open_actions() == 0


@guard("evidence_given", "evidence of completion has been given")
def evidence_given(ctx: GuardContext) -> bool:
    return bool(str(ctx.payload.get("evidence", "")).strip())

"""Every action-plan operation x every role of tests/api/scenario.py, on case A (everybody is a
member) and case B (nobody is), with actions led by two agencies: the exact set of callers who
get a 2xx, the status everybody else gets, and nothing of another agency's actions leaking.

The expected table is written out by hand from plans/access.py, plans/pages.py (who sees which
plan) and workflows/action_plan.yaml; it does not read them, so a change that widens access
makes this test fail. Each write expected to succeed runs on its own copy of the database; every
refused one runs on a shared copy, checked at the end to be unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from dhr_engine.context import AppContext
from dhr_engine.persistence.tables_plans import PlanAction
from dhr_engine.plans import actions as action_service
from dhr_engine.plans import service as plan_service
from dhr_engine.plans.service import ActionInput
from tests.api.scenario import USERS, World, database_copies
from tests.api.test_authorisation_matrix import database_state

TODAY = date(2026, 11, 25)
EVERYONE = frozenset(USERS)
CSP_STAFF = frozenset({"admin", "officer", "cspchair"})
REVIEW_EDITORS = CSP_STAFF | {"chair"}
POLICE = frozenset({"police.author", "police.manager"})
HEALTH = frozenset({"health.author", "health.manager"})
COUNCIL = frozenset({"council.author", "council.manager"})
AGENCIES = POLICE | HEALTH | COUNCIL
CASE_STAFF = frozenset({"chair", "author", "panel"})
# Who can see an action led by the police (or by health) on case A: all but the other agencies.
SEES_POLICE_ACTION = EVERYONE - HEALTH - COUNCIL
SEES_HEALTH_ACTION = EVERYONE - POLICE - COUNCIL
POLICE_TEXT = {"A": "Police action on Alma's review", "B": "Police action on Bess's review"}
HEALTH_TEXT = {"A": "Health action on Alma's review", "B": "Health action on Bess's review"}
PRIORITY_TEXT = "Police action of the county lines plan"


@dataclass
class Plans:
    """What the matrix acts on, per case: the plan, its recommendation and three actions."""

    plan: dict[str, uuid.UUID] = field(default_factory=dict)
    rec: dict[str, uuid.UUID] = field(default_factory=dict)
    police_proposed: dict[str, uuid.UUID] = field(default_factory=dict)
    police_agreed: dict[str, uuid.UUID] = field(default_factory=dict)
    health_agreed: dict[str, uuid.UUID] = field(default_factory=dict)
    priority: uuid.UUID | None = None
    measure: uuid.UUID | None = None
    priority_action: uuid.UUID | None = None


@dataclass(frozen=True)
class Op:
    name: str
    method: str
    path: str  # {ref} {plan} {rec} {police_proposed} {police_agreed} {health_agreed} {priority} ...
    allowed: dict[str, frozenset[str]]  # case -> who gets `ok`
    sees: dict[str, frozenset[str]]  # case -> who may see the thing at all (others: 404)
    ok: int = 200
    body: dict[str, Any] | None = None
    writes: bool = False

    @property
    def cases(self) -> tuple[str, ...]:
        return tuple(self.allowed)


def both(allowed_a: frozenset[str], sees_a: frozenset[str], allowed_b: frozenset[str]) -> dict[str, Any]:
    """Case A as given; on case B only the CSP staff (not members) may see anything."""
    return {"allowed": {"A": allowed_a, "B": allowed_b}, "sees": {"A": sees_a, "B": CSP_STAFF}}


def once(allowed: frozenset[str], sees: frozenset[str] = EVERYONE) -> dict[str, Any]:
    """Not about one case."""
    return {"allowed": {"A": allowed}, "sees": {"A": sees}}


LATER = (TODAY + timedelta(days=120)).isoformat()
NEW_ACTION = {"description": "Another action", "target_date": LATER, "lead_agency_id": "{police_agency}"}

OPS = [
    # reading
    Op("list plans", "GET", "/api/v1/plans", **once(EVERYONE)),
    Op("read plan", "GET", "/api/v1/plans/{plan}", **both(EVERYONE, EVERYONE, CSP_STAFF)),
    Op("read case plan", "GET", "/api/v1/cases/{ref}/plan", **both(EVERYONE, EVERYONE, CSP_STAFF)),
    Op(
        "read police action",
        "GET",
        "/api/v1/actions/{police_proposed}",
        **both(SEES_POLICE_ACTION, SEES_POLICE_ACTION, CSP_STAFF),
    ),
    Op(
        "read health action",
        "GET",
        "/api/v1/actions/{health_agreed}",
        **both(SEES_HEALTH_ACTION, SEES_HEALTH_ACTION, CSP_STAFF),
    ),
    Op("read priority plan", "GET", "/api/v1/plans/{priority}", **once(CSP_STAFF, CSP_STAFF)),
    Op("due list", "GET", "/api/v1/plans/due", **once(CSP_STAFF)),
    Op("export plans csv", "GET", "/api/v1/plans/export?format=csv", **once(EVERYONE)),
    Op("export plans xlsx", "GET", "/api/v1/plans/export?format=xlsx", **once(EVERYONE)),
    Op("oversight", "GET", "/api/v1/oversight/2026", **once(CSP_STAFF)),
    Op("oversight export", "GET", "/api/v1/oversight/2026/export?format=csv", **once(CSP_STAFF)),
    Op("themes", "GET", "/api/v1/lessons/themes", **once(CSP_STAFF)),
    Op("themes export", "GET", "/api/v1/lessons/themes/export?format=xlsx", **once(CSP_STAFF)),
    Op("repeats", "GET", "/api/v1/lessons/repeats", **once(CSP_STAFF)),
    Op("repeats export", "GET", "/api/v1/lessons/repeats/export?format=csv", **once(CSP_STAFF)),
    # plans and what is in them
    Op(
        "create priority plan",
        "POST",
        "/api/v1/plans",
        ok=201,
        body={
            "priority": "vawg",
            "plan_type": "tactical",
            "period_start": "2026-04-01",
            "period_end": "2027-03-31",
        },
        writes=True,
        **once(CSP_STAFF),
    ),
    Op(
        "add recommendation",
        "POST",
        "/api/v1/plans/{plan}/recommendations",
        ok=201,
        body={"text": "Share risk information", "level": "multi_agency", "actions": [NEW_ACTION]},
        writes=True,
        **both(REVIEW_EDITORS, EVERYONE, CSP_STAFF),
    ),
    Op(
        "add action",
        "POST",
        "/api/v1/plans/{plan}/actions",
        ok=201,
        body={**NEW_ACTION, "recommendation_id": "{rec}"},
        writes=True,
        **both(REVIEW_EDITORS, EVERYONE, CSP_STAFF),
    ),
    Op(
        "record monitoring review",
        "POST",
        "/api/v1/plans/{plan}/reviews",
        body={},
        writes=True,
        **both(REVIEW_EDITORS, EVERYONE, CSP_STAFF),
    ),
    Op(
        "add outcome measure",
        "POST",
        "/api/v1/plans/{priority}/outcome-measures",
        ok=201,
        body={"text": "Fewer young people exploited"},
        writes=True,
        **once(CSP_STAFF, CSP_STAFF),
    ),
    Op(
        "add priority action",
        "POST",
        "/api/v1/plans/{priority}/actions",
        ok=201,
        body={**NEW_ACTION, "outcome_measure_id": "{measure}"},
        writes=True,
        **once(CSP_STAFF, CSP_STAFF),
    ),
    Op(
        "priority plan review",
        "POST",
        "/api/v1/plans/{priority}/reviews",
        body={"yearly": True},
        writes=True,
        **once(CSP_STAFF, CSP_STAFF),
    ),
    # actions: the workflow names who fires what; agency roles only on their own agency's action
    Op(
        "agree police action",
        "POST",
        "/api/v1/actions/{police_proposed}/triggers/agree",
        body={},
        writes=True,
        **both(
            frozenset({"officer", "cspchair", "chair"}),
            SEES_POLICE_ACTION,
            frozenset({"officer", "cspchair"}),
        ),
    ),
    Op(
        "start police action",
        "POST",
        "/api/v1/actions/{police_agreed}/triggers/start",
        body={},
        writes=True,
        **both(frozenset({"officer"}) | POLICE, SEES_POLICE_ACTION, frozenset({"officer"})),
    ),
    Op(
        "start health action",
        "POST",
        "/api/v1/actions/{health_agreed}/triggers/start",
        body={},
        writes=True,
        **both(frozenset({"officer"}) | HEALTH, SEES_HEALTH_ACTION, frozenset({"officer"})),
    ),
    Op(
        "complete health action",
        "POST",
        "/api/v1/actions/{health_agreed}/triggers/complete",
        body={"evidence": "Audit report on file"},
        writes=True,
        **both(frozenset({"officer", "health.manager"}), SEES_HEALTH_ACTION, frozenset({"officer"})),
    ),
    Op(
        "close police action",
        "POST",
        "/api/v1/actions/{police_proposed}/triggers/close_not_done",
        body={"reason": "Superseded by the national guidance"},
        writes=True,
        **both(frozenset({"officer", "cspchair"}), SEES_POLICE_ACTION, frozenset({"officer", "cspchair"})),
    ),
    Op(
        "change target",
        "PUT",
        "/api/v1/actions/{police_proposed}/target",
        body={"target_date": LATER, "reason": "Training postponed"},
        writes=True,
        **both(REVIEW_EDITORS, SEES_POLICE_ACTION, CSP_STAFF),
    ),
    Op(
        "police milestone",
        "POST",
        "/api/v1/actions/{police_proposed}/milestones",
        ok=201,
        body={"text": "Briefing drafted", "achieved_on": "2026-11-24"},
        writes=True,
        **both(REVIEW_EDITORS | POLICE, SEES_POLICE_ACTION, CSP_STAFF),
    ),
    Op(
        "police progress",
        "POST",
        "/api/v1/actions/{police_proposed}/progress",
        ok=201,
        body={"note": "Briefing drafted; copy on file"},
        writes=True,
        **both(REVIEW_EDITORS | POLICE, SEES_POLICE_ACTION, CSP_STAFF),
    ),
    Op(
        "health progress",
        "POST",
        "/api/v1/actions/{health_agreed}/progress",
        ok=201,
        body={"note": "Audit started"},
        writes=True,
        **both(REVIEW_EDITORS | HEALTH, SEES_HEALTH_ACTION, CSP_STAFF),
    ),
    Op(
        "agree priority action",
        "POST",
        "/api/v1/actions/{priority_action}/triggers/agree",
        body={},
        writes=True,
        **once(frozenset({"officer", "cspchair"}), CSP_STAFF),
    ),
    Op(
        "priority progress",
        "POST",
        "/api/v1/actions/{priority_action}/progress",
        ok=201,
        body={"note": "Partners met"},
        writes=True,
        **once(CSP_STAFF, CSP_STAFF),
    ),
]
CREATE_REVIEW_PLAN = Op(
    "create review plan",
    "POST",
    "/api/v1/cases/{ref}/plan",
    ok=201,
    body={},
    writes=True,
    **both(REVIEW_EDITORS, EVERYONE, CSP_STAFF),
)


def expected(op: Op, username: str, case: str) -> int:
    if username in op.allowed[case]:
        return op.ok
    return 403 if username in op.sees[case] else 404


def _action(world: World, agency: str, text: str) -> ActionInput:
    return ActionInput(
        description=text,
        lead_agency_id=world.ref.agencies[agency].id,
        target_date=TODAY + timedelta(days=90),
        owner_title="Head of safeguarding",
    )


def build_plans(world: World) -> Plans:
    ctx, officer = world.ctx, world.ref.actor("officer")
    out = Plans()
    for case in ("A", "B"):
        plan = plan_service.create_review_plan(
            ctx.uow(), actor=officer, clock=ctx.clock, case_id=world.cases[case].id
        )
        rec = plan_service.add_recommendation(
            ctx.uow(),
            actor=officer,
            clock=ctx.clock,
            plan_id=plan.id,
            text=f"Recommendation of review {case}",
            level="multi_agency",
            themes=["risk_assessment"],
            actions=[
                _action(world, "northmoor_police", POLICE_TEXT[case]),
                _action(world, "northmoor_police", f"{POLICE_TEXT[case]} (agreed)"),
                _action(world, "acute_trust", HEALTH_TEXT[case]),
            ],
        )
        out.plan[case], out.rec[case] = plan.id, rec.id
        ids = {a.description: a.id for a in _plan_actions(ctx, plan.id)}
        out.police_proposed[case] = ids[POLICE_TEXT[case]]
        out.police_agreed[case] = ids[f"{POLICE_TEXT[case]} (agreed)"]
        out.health_agreed[case] = ids[HEALTH_TEXT[case]]
        for action_id in (out.police_agreed[case], out.health_agreed[case]):
            action_service.fire_action(
                ctx.uow(), actor=officer, clock=ctx.clock, action_id=action_id, trigger="agree"
            )
    priority = plan_service.create_priority_plan(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        csp_id=world.ref.csp.id,
        priority="county_lines",
        plan_type="strategy",
        period_start=date(2026, 4, 1),
        period_end=date(2029, 3, 31),
    )
    measure = plan_service.add_outcome_measure(
        ctx.uow(), actor=officer, clock=ctx.clock, plan_id=priority.id, text="Fewer children exploited"
    )
    row = plan_service.add_action(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        plan_id=priority.id,
        action=_action(world, "northmoor_police", PRIORITY_TEXT),
        outcome_measure_id=measure.id,
    )
    out.priority, out.measure, out.priority_action = priority.id, measure.id, row.id
    return out


def _plan_actions(ctx: AppContext, plan_id: uuid.UUID) -> list[PlanAction]:
    with ctx.reader() as uow:
        return list(uow.session.exec(select(PlanAction).where(PlanAction.plan_id == plan_id)).all())


def fill(text: str, world: World, plans: Plans | None, case: str) -> str:
    out = text.replace("{ref}", world.cases[case].ref)
    out = out.replace("{police_agency}", str(world.ref.agencies["northmoor_police"].id))
    if plans is not None:
        for name in ("plan", "rec", "police_proposed", "police_agreed", "health_agreed"):
            out = out.replace("{" + name + "}", str(getattr(plans, name)[case]))
        for name in ("priority", "measure", "priority_action"):
            out = out.replace("{" + name + "}", str(getattr(plans, name)))
    return out


def _body(op: Op, world: World, plans: Plans | None, case: str) -> Any:
    if op.body is None:
        return None
    return {
        k: (fill(v, world, plans, case) if isinstance(v, str) else v)
        for k, v in op.body.items()
        if k != "actions"
    } | (
        {"actions": [{k: fill(v, world, plans, case) for k, v in a.items()} for a in op.body["actions"]]}
        if "actions" in op.body
        else {}
    )


@pytest.fixture
def planned(world: World) -> tuple[World, Plans]:
    return world, build_plans(world)


@pytest.fixture
def plan_snapshot(planned: tuple[World, Plans], tmp_path: Path) -> Iterator[Callable[[], TestClient]]:
    """Copies of the database with the plans in it (taken after `planned` wrote them)."""
    yield from database_copies(planned[0], tmp_path / "planned")


def check_no_leak(op: Op, username: str, response: Any, plans: Plans, world: World) -> None:
    """An agency user never sees another agency's actions; only CSP staff see case B's or the
    priority plan's; and the list holds exactly the plans the caller may see."""
    text = response.content.decode("utf-8-sig", errors="replace")
    if username in AGENCIES:
        assert PRIORITY_TEXT not in text, (op.name, username)
        for case in ("A", "B"):
            if username not in POLICE:
                assert POLICE_TEXT[case] not in text, (op.name, username)
            if username not in HEALTH:
                assert HEALTH_TEXT[case] not in text, (op.name, username)
    if username not in CSP_STAFF:
        assert POLICE_TEXT["B"] not in text and HEALTH_TEXT["B"] not in text, (op.name, username)
        assert PRIORITY_TEXT not in text, (op.name, username)
    if op.name == "list plans":
        ids = {item["id"] for item in response.json()["items"]}
        want = {str(plans.plan["A"])}
        if username in CSP_STAFF:
            want |= {str(plans.plan["B"]), str(plans.priority)}
        assert ids == want, (username, ids)


def run_matrix(
    ops: list[Op], world: World, plans: Plans | None, snapshot: Callable[[], TestClient]
) -> tuple[list[str], int]:
    shared = snapshot()
    before = database_state(shared)
    failures: list[str] = []
    cells = 0
    for op in ops:
        for case in op.cases:
            for username in USERS:
                want = expected(op, username, case)
                client = snapshot() if op.writes and want < 300 else shared
                path = fill(op.path, world, plans, case)
                response = client.request(
                    op.method, path, headers=world.headers(username), json=_body(op, world, plans, case)
                )
                cells += 1
                if response.status_code != want:
                    failures.append(
                        f"{op.name} on {case} as {username}: {response.status_code} (want {want}) "
                        f"{response.text[:200]}"
                    )
                    continue
                if response.status_code >= 300:
                    body = response.json()
                    assert set(body) == {"detail"} and body["detail"][0]["code"], body
                elif plans is not None:
                    check_no_leak(op, username, response, plans, world)
    assert database_state(shared) == before, "a refused request wrote something"
    return failures, cells


def test_plans_matrix__exact_allowed_sets_and_no_leaks(
    planned: tuple[World, Plans], plan_snapshot: Callable[[], TestClient]
) -> None:
    world, plans = planned
    failures, cells = run_matrix(OPS, world, plans, plan_snapshot)
    assert not failures, "\n".join(failures)
    assert cells == sum(len(USERS) * len(op.cases) for op in OPS)


def test_create_review_plan_matrix(world: World, tmp_path: Path) -> None:
    snapshots = database_copies(world, tmp_path / "bare")
    snapshot = next(snapshots)
    failures, cells = run_matrix([CREATE_REVIEW_PLAN], world, None, snapshot)
    next(snapshots, None)
    assert not failures, "\n".join(failures)
    assert cells == 2 * len(USERS)


def test_not_signed_in__401_on_every_plans_operation(planned: tuple[World, Plans]) -> None:
    world, plans = planned
    client = world.client()
    for op in [*OPS, CREATE_REVIEW_PLAN]:
        response = client.request(
            op.method, fill(op.path, world, plans, "A"), json=_body(op, world, plans, "A")
        )
        assert response.status_code == 401, (op.name, response.text)
        assert response.headers["www-authenticate"] == "Bearer"

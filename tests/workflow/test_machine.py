"""The shared transitions Machine (dhr_engine/workflow/machine.py): one per workflow version, flat,
no auto transitions, and safe to fire from several threads at once."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from uuid import uuid4

import pytest

from dhr_engine.config import PROJECT_ROOT
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.effects import DeadlineOp
from dhr_engine.domain.roles import Role
from dhr_engine.errors import TransitionNotAllowed
from dhr_engine.workflow.definition import WorkflowDefinition
from dhr_engine.workflow.flow import CaseFlow
from dhr_engine.workflow.loader import load_registry
from dhr_engine.workflow.machine import fire, machine_config, machine_for


def make_definition(version: str) -> WorkflowDefinition:
    return WorkflowDefinition.model_validate(
        {
            "key": "machine_test",
            "version": version,
            "title": "Machine test workflow",
            "initial": "open",
            "states": [
                {"name": "open", "label": "Open"},
                {"name": "working", "label": "Working"},
                {"name": "done", "label": "Done", "tags": ["terminal"]},
            ],
            "transitions": [
                {
                    "trigger": "start",
                    "label": "Start",
                    "source": "open",
                    "dest": "working",
                    "roles": ["csp_officer"],
                    "letters": ["c02_scoping_request"],
                    "deadlines": {"open": ["d_work"]},
                },
                {
                    "trigger": "finish",
                    "label": "Finish",
                    "source": "working",
                    "dest": "done",
                    "roles": ["csp_officer"],
                    "conditions": ["panel_members_assigned", "all_actions_closed"],
                },
            ],
        }
    )


# Kept alive for the whole module: the machine cache is keyed on the definition's identity too.
DEFINITION = make_definition("1")
OTHER_VERSION = make_definition("2")


@dataclass
class FakeCase:
    stage: str
    resume_to: str | None = None


@dataclass
class FakeFacts:
    members: frozenset[str] = frozenset({"panel_member"})
    actions: int = 0

    def member_roles(self) -> frozenset[str]:
        return self.members

    def open_proceedings(self) -> int:
        return 0

    def return_counts(self, kinds: frozenset[str]) -> tuple[int, int]:
        return (0, 0)

    def family_log_kinds(self) -> frozenset[str]:
        return frozenset()

    def open_actions(self) -> int:
        return self.actions


BLOCKED = FakeFacts(members=frozenset(), actions=2)


def make_flow(stage: str, facts: FakeFacts | None = None) -> CaseFlow:
    return CaseFlow(
        FakeCase(stage),
        DEFINITION,
        Actor(user_id=uuid4(), global_roles=frozenset({Role.CSP_OFFICER})),
        facts=facts or FakeFacts(),
        effective_on=date(2026, 11, 25),
    )


def test_machine_for__one_shared_machine_per_workflow_version() -> None:
    machine = machine_for(DEFINITION)
    assert machine_for(DEFINITION) is machine
    assert machine_for(OTHER_VERSION) is not machine
    assert machine_for(OTHER_VERSION) is machine_for(OTHER_VERSION)


def test_machine_for__each_loaded_workflow_version_gets_its_own_machine() -> None:
    registry = load_registry(PROJECT_ROOT / "workflows")
    machines = {d.ident: machine_for(d) for d in registry}
    assert ("dhr", "2016.1") in machines and ("dhr", "2024.draft") in machines
    assert len({id(m) for m in machines.values()}) == len(machines)
    for d in registry:
        assert machine_for(registry.get(*d.ident)) is machines[d.ident]


def test_fire__moves_the_case_and_records_the_effects() -> None:
    flow = make_flow("open")
    assert fire(DEFINITION, flow, "start") is True
    assert flow.case.stage == "working"
    assert [e.kind for e in flow.effects.events] == ["stage_changed"]
    assert flow.effects.events[0].data["from_stage"] == "open"
    assert flow.effects.events[0].data["to_stage"] == "working"
    assert flow.effects.deadline_ops == [DeadlineOp("open", "d_work")]
    assert flow.effects.letters == ["c02_scoping_request"]


def test_fire__the_machine_never_keeps_or_decorates_the_model() -> None:
    flow = make_flow("open")
    fire(DEFINITION, flow, "start")
    machine = machine_for(DEFINITION)
    assert machine.models == []
    for name in ("start", "finish", "is_open", "is_working", "to_done", "trigger", "may_start"):
        assert not hasattr(flow, name), name


def test_fire__unknown_trigger_is_not_allowed() -> None:
    flow = make_flow("open")
    with pytest.raises(TransitionNotAllowed) as caught:
        fire(DEFINITION, flow, "delete_everything")
    assert caught.value.items[0].field == "trigger"
    assert caught.value.items[0].code == "transition_not_allowed"
    assert flow.case.stage == "open"


def test_fire__a_trigger_of_another_stage_is_not_allowed_and_nothing_is_recorded() -> None:
    flow = make_flow("open")
    with pytest.raises(TransitionNotAllowed, match="stage 'open'"):
        fire(DEFINITION, flow, "finish")
    assert flow.case.stage == "open"
    assert flow.effects.events == [] and flow.effects.failed_guards == []


def test_fire__a_failing_guard_leaves_the_stage_unchanged() -> None:
    flow = make_flow("working", BLOCKED)
    assert fire(DEFINITION, flow, "finish") is False
    assert flow.case.stage == "working"
    assert flow.effects.failed_guards == ["panel_members_assigned", "all_actions_closed"]
    assert flow.effects.events == [] and flow.effects.deadline_ops == [] and flow.effects.letters == []


def test_fire__no_auto_to_state_transitions() -> None:
    machine = machine_for(DEFINITION)
    assert set(machine.events) == set(DEFINITION.triggers)
    assert machine_config(DEFINITION)["auto_transitions"] is False
    flow = make_flow("open")
    for state in ("working", "done"):
        with pytest.raises(TransitionNotAllowed):
            fire(DEFINITION, flow, f"to_{state}")
    assert flow.case.stage == "open"


def test_fire__real_workflows_have_exactly_their_declared_triggers() -> None:
    for definition in load_registry(PROJECT_ROOT / "workflows"):
        events = set(machine_for(definition).events)
        assert events == set(definition.triggers), definition.ident
        assert not any(name.startswith("to_") for name in events), definition.ident


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Switch threads as often as the interpreter allows, to shake out shared state."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_shared_machine__many_threads_each_move_only_their_own_cases(busy_switching: None) -> None:
    threads, per_thread = 8, 40
    barrier = threading.Barrier(threads)
    machine = machine_for(DEFINITION)

    def work(n: int) -> list[tuple[CaseFlow, bool, bool]]:
        barrier.wait()
        done = []
        for i in range(per_thread):
            blocked = (n + i) % 3 == 0
            flow = make_flow("open", BLOCKED if blocked else FakeFacts())
            assert machine_for(DEFINITION) is machine
            started = fire(DEFINITION, flow, "start")
            finished = fire(DEFINITION, flow, "finish")
            done.append((flow, blocked, started and finished))
        return done

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = [r for batch in pool.map(work, range(threads)) for r in batch]

    assert len(results) == threads * per_thread
    assert 0 < sum(1 for _, blocked, _ in results if blocked) < len(results)
    for flow, blocked, moved_twice in results:
        if blocked:
            assert moved_twice is False
            assert flow.case.stage == "working"
            assert [e.data["to_stage"] for e in flow.effects.events] == ["working"]
            assert flow.effects.failed_guards == ["panel_members_assigned", "all_actions_closed"]
        else:
            assert moved_twice is True
            assert flow.case.stage == "done"
            assert [e.data["to_stage"] for e in flow.effects.events] == ["working", "done"]
            assert flow.effects.failed_guards == []
    assert machine.models == []

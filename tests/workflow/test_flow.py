"""CaseFlow (dhr_engine/workflow/flow.py) on pure objects: a fake case row, fake facts, no session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

from dhr_engine.config import PROJECT_ROOT
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.effects import AuditDraft, DeadlineOp
from dhr_engine.domain.roles import Role
from dhr_engine.workflow.definition import TransitionDef, WorkflowDefinition
from dhr_engine.workflow.flow import AvailableTrigger, CaseFlow
from dhr_engine.workflow.loader import load_definition

ON = date(2026, 11, 25)

DEFINITION = WorkflowDefinition.model_validate(
    {
        "key": "flow_test",
        "version": "1",
        "title": "CaseFlow test workflow",
        "initial": "notified",
        "states": [
            {"name": "notified", "label": "Notified"},
            {"name": "working", "label": "Working"},
            {"name": "paused", "label": "Paused", "tags": ["clock_stopped"]},
            {"name": "closed", "label": "Closed", "tags": ["terminal"]},
        ],
        "transitions": [
            {
                "trigger": "start",
                "label": "Start the work",
                "source": "notified",
                "dest": "working",
                "roles": ["csp_officer"],
                "letters": ["c02_scoping_request"],
                "deadlines": {"close": ["d_decide"], "cancel": ["d_spare"], "open": ["d_work", "d_chair"]},
            },
            {
                "trigger": "finish",
                "label": "Finish the work",
                "source": "working",
                "dest": "closed",
                "roles": ["independent_chair"],
                "conditions": ["panel_members_assigned", "family_contacted"],
                "requires_reason": True,
                "deadlines": {"close": ["d_work"]},
            },
            {
                "trigger": "pause",
                "label": "Pause",
                "source": ["notified", "working"],
                "dest": "paused",
                "roles": ["csp_officer"],
                "conditions": ["open_proceeding_recorded"],
            },
            {
                "trigger": "resume",
                "label": "Resume to notified",
                "source": "paused",
                "dest": "notified",
                "roles": ["csp_officer"],
                "conditions": ["no_open_proceedings"],
                "resume_to": "notified",
            },
            {
                "trigger": "resume",
                "label": "Resume to working",
                "source": "paused",
                "dest": "working",
                "roles": ["csp_officer"],
                "conditions": ["no_open_proceedings"],
                "resume_to": "working",
            },
        ],
    }
)


def tdef(trigger: str, dest: str | None = None) -> TransitionDef:
    return next(t for t in DEFINITION.transitions if t.trigger == trigger and dest in (None, t.dest))


@dataclass
class FakeCase:
    stage: str
    resume_to: str | None = None


@dataclass
class FakeFacts:
    members: frozenset[str] = frozenset()
    proceedings: int = 0
    family: frozenset[str] = frozenset()

    def member_roles(self) -> frozenset[str]:
        return self.members

    def open_proceedings(self) -> int:
        return self.proceedings

    def return_counts(self, kinds: frozenset[str]) -> tuple[int, int]:
        return (0, 0)

    def family_log_kinds(self) -> frozenset[str]:
        return self.family

    def open_actions(self) -> int:
        return 0


READY = FakeFacts(members=frozenset({"panel_member"}), family=frozenset({"contact"}))


def actor(*roles: Role) -> Actor:
    return Actor(user_id=uuid4(), global_roles=frozenset(roles))


def flow(
    case: FakeCase,
    facts: FakeFacts = READY,
    *roles: Role,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
    definition: WorkflowDefinition = DEFINITION,
) -> CaseFlow:
    return CaseFlow(
        case,
        definition,
        actor(*(roles or (Role.CSP_OFFICER,))),
        facts=facts,
        effective_on=ON,
        reason=reason,
        payload=payload,
    )


def by_trigger(triggers: list[AvailableTrigger]) -> dict[str, AvailableTrigger]:
    return {t.trigger: t for t in triggers}


def test_state__reads_and_writes_the_case_stage() -> None:
    case = FakeCase("notified")
    f = flow(case)
    assert f.state == "notified"
    f.state = "working"
    assert case.stage == "working"
    case.stage = "closed"
    assert f.state == "closed"


def test_new_flow__starts_with_no_effects_and_copies_the_payload() -> None:
    payload = {"evidence": "minutes"}
    f = flow(FakeCase("notified"), payload=payload)
    payload["evidence"] = "changed afterwards"
    assert f.payload == {"evidence": "minutes"}
    assert f.effects.events == [] and f.effects.deadline_ops == []
    assert f.effects.letters == [] and f.effects.failed_guards == []


def test_record__audits_the_move_and_collects_deadlines_and_letters_in_order() -> None:
    f = flow(FakeCase("working"), reason="agreed at panel")
    f.record(tdef("start"), source="notified")
    assert f.effects.events == [
        AuditDraft(
            "stage_changed",
            {
                "trigger": "start",
                "from_stage": "notified",
                "to_stage": "working",
                "reason": "agreed at panel",
            },
        )
    ]
    assert f.effects.deadline_ops == [
        DeadlineOp("close", "d_decide"),
        DeadlineOp("cancel", "d_spare"),
        DeadlineOp("open", "d_work"),
        DeadlineOp("open", "d_chair"),
    ]
    assert f.effects.letters == ["c02_scoping_request"]


def test_record__entering_a_terminal_stage_cancels_every_deadline_last() -> None:
    f = flow(FakeCase("closed"))
    f.record(tdef("finish"), source="working")
    assert f.effects.deadline_ops == [DeadlineOp("close", "d_work"), DeadlineOp("cancel_all")]


def test_record__entering_a_clock_stopped_stage_remembers_where_to_resume_and_pauses() -> None:
    case = FakeCase("paused")
    f = flow(case)
    f.record(tdef("pause"), source="working")
    assert case.resume_to == "working"
    assert f.effects.deadline_ops == [DeadlineOp("pause")]


def test_record__leaving_a_clock_stopped_stage_forgets_resume_to_and_resumes() -> None:
    case = FakeCase("working", resume_to="working")
    f = flow(case)
    f.record(tdef("resume", "working"), source="paused")
    assert case.resume_to is None
    assert f.effects.deadline_ops == [DeadlineOp("resume")]


def test_check__records_every_failing_guard_not_only_the_first() -> None:
    f = flow(FakeCase("working"), FakeFacts())
    assert f.check(tdef("finish")) is False
    assert f.effects.failed_guards == ["panel_members_assigned", "family_contacted"]


def test_check__passes_and_records_nothing_when_the_guards_hold() -> None:
    f = flow(FakeCase("working"), READY)
    assert f.check(tdef("finish")) is True
    assert f.effects.failed_guards == []


def test_check__a_resume_transition_applies_only_to_the_stage_the_pause_left() -> None:
    f = flow(FakeCase("paused", resume_to="working"))
    assert f.applies(tdef("resume", "working")) is True
    assert f.applies(tdef("resume", "notified")) is False
    assert f.check(tdef("resume", "notified")) is False
    assert f.effects.failed_guards == []  # not applying is not a failed guard
    assert f.check(tdef("resume", "working")) is True


def test_available_triggers__permission_and_blocking_guards_for_this_actor() -> None:
    officer = by_trigger(flow(FakeCase("working"), FakeFacts(), Role.CSP_OFFICER).available_triggers())
    assert list(officer) == ["finish", "pause"]
    finish = officer["finish"]
    assert finish.permitted is False
    assert finish.blocked_by == ("panel_members_assigned", "family_contacted")
    assert finish.requires_reason is True and finish.dest == "closed" and finish.label == "Finish the work"
    assert finish.can_fire is False
    assert officer["pause"].permitted is True
    assert officer["pause"].blocked_by == ("open_proceeding_recorded",)
    assert officer["pause"].can_fire is False


def test_available_triggers__can_fire_when_permitted_and_nothing_blocks() -> None:
    chair = by_trigger(flow(FakeCase("working"), READY, Role.INDEPENDENT_CHAIR).available_triggers())
    assert chair["finish"].permitted and chair["finish"].blocked_by == ()
    assert chair["finish"].can_fire is True
    assert chair["pause"].permitted is False and chair["pause"].can_fire is False


def test_available_triggers__does_not_record_failed_guards_or_move_the_case() -> None:
    case = FakeCase("working")
    f = flow(case, FakeFacts())
    f.available_triggers()
    assert f.effects.failed_guards == [] and f.effects.events == []
    assert case.stage == "working"


def test_available_triggers__one_resume_back_to_the_stage_left() -> None:
    triggers = flow(FakeCase("paused", resume_to="notified")).available_triggers()
    assert [(t.trigger, t.dest) for t in triggers] == [("resume", "notified")]


def test_available_triggers__none_from_a_terminal_stage() -> None:
    assert flow(FakeCase("closed")).available_triggers() == []


def test_available_triggers__on_the_real_2016_workflow_after_a_pause() -> None:
    definition = load_definition(PROJECT_ROOT / "workflows" / "dhr_2016.yaml")
    case = FakeCase("paused", resume_to="scoping")
    triggers = flow(case, FakeFacts(proceedings=1), definition=definition).available_triggers()
    assert [(t.trigger, t.dest) for t in triggers] == [("resume_review", "scoping")]
    assert triggers[0].blocked_by == ("no_open_proceedings",)

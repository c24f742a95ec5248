"""Walk a case through the review lifecycle the way users do: reload it, then fire one trigger.

The sequence is the demo's published review (DemoBuilder), with a QA resubmission and closure:
notification to closure in 21 triggers plus members, agency returns and the family log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from dhr_engine.bench.database import BenchDatabase
from dhr_engine.demo.builder import DemoBuilder
from dhr_engine.demo.returns import walk_returns
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import Case

QA_LOOP = ("record_qa_resubmission_required", "resubmit_to_qa")
QA_LOOP_REASON = "Bench: QA Panel asked for the equality analysis"


class ReloadingBuilder(DemoBuilder):
    """DemoBuilder that reads the case afresh before each trigger, as a page or API client would."""

    def __init__(self, db: BenchDatabase) -> None:
        super().__init__(db.ctx, db.ref, db.ctx.clock.today())
        self.writes = 0

    def reload(self, case_id: uuid.UUID) -> Case:
        with self.ctx.reader() as uow:
            return get_case(uow.session, case_id=case_id)

    def fire(self, case: Case, trigger: str, days_ago: int, who: str, reason: str = "") -> None:
        fresh = self.reload(case.id)
        super().fire(fresh, trigger, days_ago, who, reason)
        self.writes += 1

    def member(self, *args: object, **kwargs: object) -> None:
        super().member(*args, **kwargs)  # type: ignore[arg-type]
        self.writes += 1

    def family(self, case: Case, kind: str, days_ago: int) -> None:
        super().family(case, kind, days_ago)
        self.writes += 1

    def returns(self, case: Case, kinds: dict[str, str], stage: str, days_ago: int) -> None:
        walk_returns(self, case, kinds, stage, days_ago)
        self.writes += 1


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[ReloadingBuilder, Case], None]


def _fire(trigger: str, days_ago: int, who: str, reason: str = "") -> Step:
    return Step(trigger, lambda b, c: b.fire(c, trigger, days_ago, who, reason))


START = 700
TO_QA: list[Step] = [
    Step("to_information_gathering", lambda b, c: b.to_information_gathering(c, START)),
    Step(
        "returns",
        lambda b, c: b.returns(
            c,
            {"northmoor_police": "imr", "mental_health": "imr", "recovery": "short_report"},
            "accepted",
            620,
        ),
    ),
    Step("family_first_letter", lambda b, c: b.family(c, "first_letter_sent", 640)),
    _fire("complete_information_gathering", 560, "chair"),
    _fire("start_drafting", 550, "chair"),
    Step("family_draft_shared", lambda b, c: b.family(c, "draft_shared", 480)),
    _fire("share_draft_with_family", 480, "chair"),
    _fire("agree_report_at_panel", 460, "chair"),
    _fire("sign_off_report", 450, "cspchair"),
    _fire("submit_to_qa", 445, "officer"),
]
TO_CLOSURE: list[Step] = [
    _fire("record_qa_resubmission_required", 420, "officer", QA_LOOP_REASON),
    _fire("resubmit_to_qa", 400, "officer"),
    _fire("record_qa_approved_with_amendments", 380, "officer"),
    _fire("complete_amendments", 350, "chair"),
    _fire("send_publication_notices", 330, "officer"),
    _fire("publish_report", 310, "officer"),
    _fire("start_action_plan_monitoring", 300, "officer"),
    _fire("close_review", 100, "cspchair"),
]


def open_case(builder: ReloadingBuilder, label: str) -> Case:
    case = builder.open(label, START)
    builder.writes += 1
    return case


def walk_to_qa(builder: ReloadingBuilder, label: str) -> Case:
    """A new case submitted to Home Office QA: from here the QA loop can be fired for ever."""
    case = open_case(builder, label)
    for step in TO_QA:
        step.run(builder, case)
    return builder.reload(case.id)


def whole_lifecycle(builder: ReloadingBuilder, label: str) -> Case:
    """Notification to closure; returns the closed case."""
    case = walk_to_qa(builder, label)
    for step in TO_CLOSURE:
        step.run(builder, case)
    closed = builder.reload(case.id)
    if closed.stage != "closed":
        raise RuntimeError(f"the lifecycle ended at stage '{closed.stage}', not 'closed'")
    return closed

"""A trigger that can be fired for ever: QA asks for a resubmission, the report is resubmitted.

Each call is one whole fire_trigger: role check, transition, audit events, a deadline opened or
closed, a letter queued in the outbox, one commit.
"""

from __future__ import annotations

import uuid

from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.walk import QA_LOOP, QA_LOOP_REASON, ReloadingBuilder, walk_to_qa
from dhr_engine.cases.service import fire_trigger


class QaLoop:
    """Round-robin over a few cases at QA, firing the next trigger of the loop on each."""

    def __init__(self, db: BenchDatabase, cases: int) -> None:
        self.db = db
        builder = ReloadingBuilder(db)
        self.stages: dict[uuid.UUID, str] = {}
        for n in range(cases):
            case = walk_to_qa(builder, f"QA loop {n + 1}")
            self.stages[case.id] = case.stage
        self.order = list(self.stages)
        self.actor = db.ref.actor("officer")
        self.calls = 0

    def fire(self, n: int) -> None:
        ctx = self.db.ctx
        for _ in range(n):
            case_id = self.order[self.calls % len(self.order)]
            trigger = QA_LOOP[0] if self.stages[case_id] == "qa_submitted" else QA_LOOP[1]
            case = fire_trigger(
                ctx.uow(),
                actor=self.actor,
                clock=ctx.clock,
                trigger=trigger,
                case_id=case_id,
                reason=QA_LOOP_REASON if trigger == QA_LOOP[0] else "",
            )
            self.stages[case_id] = case.stage
            self.calls += 1

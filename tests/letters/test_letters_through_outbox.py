"""A transition's queued letters are drafted by the scheduler's outbox drain, after commit."""

from datetime import date

from sqlmodel import select

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.outbox.service import drain_outbox
from dhr_engine.persistence.tables import OutboxItem
from dhr_engine.persistence.tables_letters import Letter
from tests.scenarios.walk import open_case


def test_drain_outbox__drafts_queued_letters(lite: AppContext, lite_ref: Reference) -> None:
    w = open_case(lite, lite_ref, date(2026, 10, 1))
    w.fire("start_scoping", date(2026, 10, 1), "officer")
    w.fire("submit_decision_briefing", date(2026, 10, 20), "officer")  # queues C03, the decision briefing
    w.fire("decide_to_review", date(2026, 10, 27), "cspchair")  # queues C04 to the Home Office
    result = drain_outbox(lite)
    with lite.reader() as uow:
        items = uow.session.exec(select(OutboxItem).where(OutboxItem.kind == "letter")).all()
        letters = uow.session.exec(select(Letter).where(Letter.case_id == w.case_id)).all()
    assert items and all(i.status in {"done", "failed"} for i in items)
    assert "c04_ho_decision_proceed" in {letter.code for letter in letters}
    assert result.done >= 1
    failed = [i for i in items if i.status == "failed"]
    # The briefing needs facts the case record does not hold: it waits for an officer, naming them.
    assert {i.topic for i in failed} >= {"c03_decision_briefing"}
    assert all(
        "needs input" in i.last_error and "summary of facts" in i.last_error
        for i in failed
        if i.topic == "c03_decision_briefing"
    )

from datetime import date

from dhr_engine.context import AppContext
from dhr_engine.demo import Reference
from dhr_engine.services import cases


def test_open_case__decision_deadline_one_month(ctx: AppContext, ref: Reference) -> None:
    case = cases.open_case(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, notified_on=date(2026, 10, 31)
    )
    with ctx.reader() as uow:
        from dhr_engine.services.deadlines import list_for_case

        rows = list_for_case(uow.session, case.id)
    assert [(r.key, r.statutory_due) for r in rows] == [("csp_decision", date(2026, 11, 30))]

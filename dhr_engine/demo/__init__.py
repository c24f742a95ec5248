"""Demo data: a fictional CSP, ten agencies, a user for every role, cases across the stages, their
returns and action plans, the letters they queued and one deadline sweep.

The demo spans every domain, so it sits above them all (below the composition root): `builder`
holds the reference data and the DemoBuilder, `cases` the demo cases, `returns` and `plans` what
those features add. `load_demo` runs them in order, explicitly.
"""

from __future__ import annotations

from dhr_engine.context import AppContext
from dhr_engine.deadlines.scheduled import sweep_all
from dhr_engine.demo import plans, returns
from dhr_engine.demo.builder import Reference, seed_contacts
from dhr_engine.demo.cases import seed_demo
from dhr_engine.letters.service import draft_queued_letters


def load_demo(ctx: AppContext) -> Reference:
    """Load the whole demo (nothing is added twice: a database with cases keeps what it has)."""
    ref, created = seed_demo(ctx)
    if created:
        today = ctx.clock.today()
        plans.extend_demo(ctx, ref, today)
        returns.extend_demo(ctx, ref, today)
        # What the scheduler's outbox drain would do next: draft the letters the demo's steps
        # queued (those that need facts the demo does not hold wait in the register for an officer).
        draft_queued_letters(ctx, limit=1000)
        # And one deadline sweep, so reminders and escalations of the demo's late deadlines exist.
        sweep_all(ctx)
        # The agencies' named DHR contacts: told of the requests made from now on.
        with ctx.uow() as uow:
            seed_contacts(uow.session, ref, ctx.clock.now())
            uow.commit()
    return ref

"""Metric 7: on the national-scale data set, list a user's cases and open the largest case.

Both go through the JSON API's own route functions (without HTTP): the same queries, access
checks and serialising work a request does. The floor is one primary-key read of one case.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from dhr_engine.api.deps import PageParams, load_case_access
from dhr_engine.auth.policy import Action
from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.results import MetricResult, Target
from dhr_engine.bench.scale_data import largest_case_ref
from dhr_engine.bench.sizes import Sizes
from dhr_engine.bench.timing import median_seconds
from dhr_engine.cases import api as case_routes
from dhr_engine.domain.actor import Actor
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import Case

TARGET = Target(on="figure", direction="lower", value=50.0)
FLOOR_NAME = "one-case primary-key read"
PAGE = PageParams(limit=50, offset=0)


def list_cases(db: BenchDatabase, actor: Actor) -> Callable[[], object]:
    def work() -> object:
        return case_routes.list_cases(db.ctx, actor, PAGE)

    return work


def open_case(db: BenchDatabase, actor: Actor, ref: str) -> Callable[[], object]:
    """What opening a case fetches: the case, the first page of its timeline, its deadlines."""

    def work() -> object:
        ctx = db.ctx
        case = case_routes.read_case(ctx, load_case_access(ctx, actor, ref, Action.CASE_VIEW))
        timeline = case_routes.timeline(ctx, load_case_access(ctx, actor, ref, Action.AUDIT_VIEW), PAGE)
        deadlines = case_routes.deadlines(ctx, load_case_access(ctx, actor, ref, Action.DEADLINES_VIEW), PAGE)
        return case, timeline, deadlines

    return work


def floor(db: BenchDatabase, case_id: uuid.UUID) -> Callable[[], object]:
    def work() -> Case:
        with db.ctx.reader() as uow:
            return get_case(uow.session, case_id=case_id)

    return work


def run(db: BenchDatabase, sizes: Sizes) -> list[MetricResult]:
    ref = largest_case_ref(db)
    with db.ctx.reader() as uow:
        largest = get_case(uow.session, ref=ref)
    rounds = sizes.query_rounds
    floor_ms = median_seconds(floor(db, largest.id), rounds) * 1000
    chair, officer = db.ref.actor("chair"), db.ref.actor("officer")
    measured = [
        ("list cases: independent chair (member of 1 case in 100)", list_cases(db, chair), {}),
        ("list cases: CSP officer (every case of the partnership)", list_cases(db, officer), {}),
        (
            f"open the largest case ({largest.audit_count:,} events): case, timeline page, deadlines",
            open_case(db, officer, ref),
            {"ref": ref, "events": largest.audit_count},
        ),
    ]
    results = []
    for name, work, detail in measured:
        figure_ms = median_seconds(work, rounds) * 1000
        results.append(
            MetricResult.measured(
                "scale",
                name,
                figure_ms,
                "ms",
                baseline=floor_ms,
                baseline_name=FLOOR_NAME,
                target=TARGET,
                rounds=rounds,
                detail={**detail, "cases": sizes.scale_cases, "page": PAGE.limit},
            )
        )
    return results

"""The yearly oversight figures and the lessons across reviews (themes and repeated
recommendations), with their exports: for CSP staff of the partnership."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from dhr_engine.api.deps import API_PREFIX, ActorDep, CtxDep, PageDep, paginate_list
from dhr_engine.api.paging import Page
from dhr_engine.plans import export, lessons
from dhr_engine.plans.api.common import (
    FILE_RESPONSES,
    CspQuery,
    FormatQuery,
    YearPath,
    download,
    oversight_figures_for,
    oversight_out,
    repeat_out,
    repeat_pairs,
    theme_rows,
)
from dhr_engine.plans.schemas import (
    OversightOut,
    RepeatOut,
    ThemeOut,
)

router = APIRouter(prefix=API_PREFIX)


# --- oversight and lessons -----------------------------------------------------------------------


@router.get("/oversight/{year}", response_model=OversightOut, tags=["oversight"], summary="Oversight figures")
def oversight_figures(
    ctx: CtxDep, actor: ActorDep, year: YearPath, csp_id: CspQuery = None
) -> dict[str, Any]:
    """The partnership's figures for one calendar year: reviews, timeliness, pauses, open and
    overdue actions by lead agency (CSP staff; every definition is in plans/oversight.py)."""
    return oversight_out(oversight_figures_for(ctx, actor, year, csp_id))


@router.get(
    "/oversight/{year}/export",
    response_class=Response,
    responses=FILE_RESPONSES,
    tags=["oversight"],
    summary="Export the oversight figures (CSV or XLSX)",
)
def export_oversight(
    ctx: CtxDep, actor: ActorDep, year: YearPath, format: FormatQuery = "xlsx", csp_id: CspQuery = None
) -> Response:
    """The year's figures as a table of section, measure and value (CSP staff)."""
    figures = oversight_figures_for(ctx, actor, year, csp_id)
    return download([export.oversight_sheet(figures)], format, f"oversight-{year}")


@router.get(
    "/lessons/themes", response_model=Page[ThemeOut], tags=["oversight"], summary="Themes across reviews"
)
def themes(ctx: CtxDep, actor: ActorDep, page: PageDep, csp_id: CspQuery = None) -> dict[str, Any]:
    """Every theme of the taxonomy: how many recommendations and reviews raised it (CSP staff)."""
    rows = theme_rows(ctx, actor, csp_id)
    return paginate_list([r.__dict__ for r in rows], page)


@router.get(
    "/lessons/themes/export",
    response_class=Response,
    responses=FILE_RESPONSES,
    tags=["oversight"],
    summary="Export the themes (CSV or XLSX)",
)
def export_themes(
    ctx: CtxDep, actor: ActorDep, format: FormatQuery = "xlsx", csp_id: CspQuery = None
) -> Response:
    """The themes across reviews as a table (CSP staff)."""
    return download([export.themes_sheet(theme_rows(ctx, actor, csp_id))], format, "themes")


ThresholdQuery = Annotated[
    float, Query(ge=0, le=1, description="The least similarity of wording (Dice coefficient, 0 to 1)")
]


@router.get(
    "/lessons/repeats", response_model=Page[RepeatOut], tags=["oversight"], summary="Repeated recommendations"
)
def repeats(
    ctx: CtxDep,
    actor: ActorDep,
    page: PageDep,
    threshold: ThresholdQuery = lessons.REPEAT_THRESHOLD,
    csp_id: CspQuery = None,
) -> dict[str, Any]:
    """Pairs of recommendations of different reviews that share a theme and are worded alike."""
    return paginate_list([repeat_out(p) for p in repeat_pairs(ctx, actor, csp_id, threshold)], page)


@router.get(
    "/lessons/repeats/export",
    response_class=Response,
    responses=FILE_RESPONSES,
    tags=["oversight"],
    summary="Export the repeated recommendations (CSV or XLSX)",
)
def export_repeats(
    ctx: CtxDep,
    actor: ActorDep,
    format: FormatQuery = "xlsx",
    threshold: ThresholdQuery = lessons.REPEAT_THRESHOLD,
    csp_id: CspQuery = None,
) -> Response:
    """The repeated recommendations as a table (CSP staff). Refused (409, restricted_identity,
    naming each cell) while a recommendation holds a real name or date of birth of the reviews'
    people."""
    sheets = [export.repeats_sheet(repeat_pairs(ctx, actor, csp_id, threshold))]
    with ctx.reader() as uow:
        export.refuse_identities(uow.session, sheets)  # the file may leave the partnership
    return download(sheets, format, "repeated-recommendations")

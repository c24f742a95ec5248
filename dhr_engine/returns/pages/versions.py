"""Submitted versions of a return, the comparison of two versions, and the chair's merged
multi-agency chronology (filter by agency and period; gaps and same-day contacts highlighted;
export to Word or CSV)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Depends, Request
from sqlmodel import col, select
from starlette.responses import Response

from dhr_engine.audit.reads import Interface, ReadKind, record_read
from dhr_engine.errors import ValidationFailed
from dhr_engine.persistence.tables import Agency, ReturnRequest
from dhr_engine.returns import chronology as chronology_service
from dhr_engine.returns.compare import compare_versions, get_version
from dhr_engine.returns.export import to_csv, to_docx
from dhr_engine.returns.merged import DEFAULT_GAP_DAYS, MergedChronology, merged_chronology
from dhr_engine.returns.queries import load_request_view
from dhr_engine.web import access
from dhr_engine.web.deps import Page, WebRoute, signed_in
from dhr_engine.web.forms import FormState

router = APIRouter(route_class=WebRoute)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _record(page: Page, kind: ReadKind, case_id: uuid.UUID, record_id: uuid.UUID | None = None) -> None:
    """Record a read of a return or the merged chronology (after the access policy allowed it)."""
    record_read(
        page.ctx,
        actor=page.me.actor,
        interface=Interface.WEB,
        kind=kind,
        case_id=case_id,
        record_id=record_id,
    )


@router.get("/returns/{request_id}/versions/{number}")
def version_page(request_id: uuid.UUID, number: int, page: Page = Depends(signed_in)) -> Response:
    with page.ctx.reader() as uow:
        view = load_request_view(uow, page.me.actor, request_id, page.ctx.clock.today())
        version = get_version(uow.session, page.me.actor, request_id, number)
        entries = (
            chronology_service.list_entries(uow.session, page.me.actor, request_id, version_number=number)
            if view.has_chronology
            else []
        )
    _record(page, ReadKind.RETURN_VERSION, view.case.id, request_id)
    return page.render(
        "web/returns/version.html",
        {
            "title": f"Version {number}: {view.kind_label} from {view.agency}",
            "v": view,
            "case": view.case,
            "version": version,
            "entries": entries,
        },
    )


@router.get("/returns/{request_id}/compare")
def compare(
    request_id: uuid.UUID, older: int = 0, newer: int = 0, page: Page = Depends(signed_in)
) -> Response:
    with page.ctx.reader() as uow:
        view = load_request_view(uow, page.me.actor, request_id, page.ctx.clock.today())
        numbers = [v.number for v in view.versions]
        if len(numbers) < 2:
            raise ValidationFailed("there is only one version: nothing to compare yet", field="older")
        older = older or numbers[-2]
        newer = newer or numbers[-1]
        result = compare_versions(uow.session, page.me.actor, request_id, older, newer)
    _record(page, ReadKind.RETURN_VERSION, view.case.id, request_id)
    return page.render(
        "web/returns/compare.html",
        {
            "title": f"Compare versions {older} and {newer}",
            "v": view,
            "case": view.case,
            "cmp": result,
            "numbers": numbers,
            "older": older,
            "newer": newer,
        },
    )


# --- the merged chronology -------------------------------------------------------------------------


@dataclass(frozen=True)
class MergedQuery:
    agency_ids: list[uuid.UUID] | None
    start: date | None
    end: date | None
    gap_days: int
    form: FormState
    query_string: str


def _query(request: Request) -> MergedQuery:
    params = request.query_params
    form = FormState(values={k: v for k, v in params.multi_items() if k != "agency"})
    ids: list[uuid.UUID] = []
    for text in params.getlist("agency"):
        try:
            ids.append(uuid.UUID(text))
        except ValueError:
            form.add("agency", "Choose agencies from the list")
    start = form.date_value("start", label="the start of the period")
    end = form.date_value("end", label="the end of the period")
    gap_text = form.value("gap_days", str(DEFAULT_GAP_DAYS)).strip()
    gap = DEFAULT_GAP_DAYS
    if gap_text:
        if gap_text.isdigit() and 1 <= int(gap_text) <= 3650:
            gap = int(gap_text)
        else:
            form.add("gap_days", "Enter a number of days from 1 to 3650")
    if start and end and end < start:
        form.add("end", "The end of the period must be on or after its start")
    return MergedQuery(ids or None, start, end, gap, form, request.url.query)


def _merged(page: Page, ref: str, q: MergedQuery) -> tuple[MergedChronology, list[Agency], uuid.UUID]:
    with page.ctx.reader() as uow:
        case, _acting = access.open_case(uow.session, page.me, ref)
        merged = merged_chronology(
            uow.session,
            page.me.actor,
            case,
            agency_ids=q.agency_ids if q.form.ok else None,
            start=q.start if q.form.ok else None,
            end=q.end if q.form.ok else None,
            gap_days=q.gap_days if q.form.ok else DEFAULT_GAP_DAYS,
        )
        agency_ids = uow.session.exec(
            select(ReturnRequest.agency_id).where(ReturnRequest.case_id == case.id).distinct()
        ).all()
        agencies = list(
            uow.session.exec(
                select(Agency).where(col(Agency.id).in_(list(agency_ids))).order_by(col(Agency.name))
            ).all()
        )
    return merged, agencies, case.id


@router.get("/cases/{ref}/chronology")
def merged_page(ref: str, request: Request, page: Page = Depends(signed_in)) -> Response:
    q = _query(request)
    merged, agencies, case_id = _merged(page, ref, q)
    _record(page, ReadKind.MERGED_CHRONOLOGY, case_id)
    chosen = {str(a) for a in q.agency_ids or []}
    return page.render(
        "web/returns/merged.html",
        {
            "title": f"Merged chronology: {ref}",
            "case_ref": ref,
            "m": merged,
            "agencies": agencies,
            "chosen": chosen,
            "form": q.form,
            "query": q.query_string,
        },
        status=200 if q.form.ok else 400,
    )


@router.get("/cases/{ref}/chronology.{fmt}")
def merged_export(ref: str, fmt: str, request: Request, page: Page = Depends(signed_in)) -> Response:
    q = _query(request)
    if not q.form.ok:
        raise ValidationFailed("; ".join(q.form.errors.values()), field="query")
    merged, _agencies, case_id = _merged(page, ref, q)
    today = page.ctx.clock.today()
    name = f"{ref}-merged-chronology-{today.isoformat()}"
    if fmt == "csv":
        _record(page, ReadKind.MERGED_CHRONOLOGY_EXPORT, case_id)
        return Response(
            to_csv(merged),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "docx":
        data = to_docx(merged, generated_on=today, marking=page.ctx.settings.protective_marking)
        _record(page, ReadKind.MERGED_CHRONOLOGY_EXPORT, case_id)
        return Response(
            data, media_type=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}.docx"'}
        )
    raise ValidationFailed("export as csv or docx", field="format")

"""The chair's merged multi-agency chronology: every agency's signed-off entries in time order.

It reads the entries frozen in the newest signed-off version of each request (what each agency's
senior manager has put their name to), filters by agency and period, and highlights
- same-day contacts: a day on which two or more agencies had contact;
- gaps: stretches of more than `gap_days` days with no recorded contact by any agency.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time

from sqlmodel import Session, col, select

from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.errors import PermissionDenied, ValidationFailed
from dhr_engine.persistence.tables import Agency, Case, ReturnRequest
from dhr_engine.persistence.tables_returns import ChronologyEntry, ReturnVersion
from dhr_engine.returns.access import case_actor, is_case_staff

DEFAULT_GAP_DAYS = 90
PRECISION_ORDER = {"year": 0, "month": 1, "day": 2, "minute": 3}


def period_end(entry: ChronologyEntry) -> date:
    """The last day an entry may refer to (its month or year when it is not given to the day)."""
    day = entry.occurred_on
    if entry.precision == "year":
        return date(day.year, 12, 31)
    if entry.precision == "month":
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day


def describe_when(entry: ChronologyEntry) -> str:
    """'14 March 2025 at 09:05', '14 March 2025', 'March 2025' or '2025'."""
    day = entry.occurred_on
    if entry.precision == "year":
        return str(day.year)
    if entry.precision == "month":
        return day.strftime("%B %Y")
    if entry.precision == "minute" and entry.occurred_time is not None:
        return f"{format_date(day)} at {entry.occurred_time.strftime('%H:%M')}"
    return format_date(day)


@dataclass(frozen=True)
class Gap:
    after: date  # the last day covered before the gap
    before: date  # the first day covered after it
    days: int

    def describe(self) -> str:
        return (
            f"No recorded contact by any agency for {self.days} days "
            f"(from {format_date(self.after)} to {format_date(self.before)})"
        )


@dataclass(frozen=True)
class MergedRow:
    entry: ChronologyEntry
    agency: str
    return_kind: str
    version: int
    same_day_with: tuple[str, ...]  # the other agencies with contact on the same day
    gap_before: Gap | None

    @property
    def when(self) -> str:
        return describe_when(self.entry)


@dataclass(frozen=True)
class MergedChronology:
    case_ref: str
    case_title: str
    rows: list[MergedRow]
    agencies: list[str]  # the agencies shown
    start: date | None
    end: date | None
    gap_days: int

    @property
    def gaps(self) -> list[Gap]:
        return [r.gap_before for r in self.rows if r.gap_before is not None]

    @property
    def same_days(self) -> list[date]:
        return sorted({r.entry.occurred_on for r in self.rows if r.same_day_with})

    def describe_filter(self) -> str:
        parts = [f"Agencies: {', '.join(self.agencies) if self.agencies else 'none with signed-off entries'}"]
        if self.start or self.end:
            since = format_date(self.start) if self.start else "the first entry"
            until = format_date(self.end) if self.end else "the last entry"
            parts.append(f"Period: {since} to {until}")
        else:
            parts.append("Period: every entry")
        parts.append(f"Gaps shown: more than {self.gap_days} days without recorded contact")
        return ". ".join(parts) + "."


def _sort_key(entry: ChronologyEntry, agency: str) -> tuple[date, int, time, str, int]:
    return (
        entry.occurred_on,
        PRECISION_ORDER.get(entry.precision, 2),
        entry.occurred_time or time(0),
        agency,
        entry.position,
    )


def signed_off_versions(session: Session, case_id: uuid.UUID) -> dict[uuid.UUID, ReturnVersion]:
    """The newest signed-off version of each request of the case, by request id."""
    rows = session.exec(
        select(ReturnVersion).where(
            ReturnVersion.case_id == case_id, col(ReturnVersion.signed_off_on).is_not(None)
        )
    ).all()
    newest: dict[uuid.UUID, ReturnVersion] = {}
    for v in rows:
        if v.request_id not in newest or v.number > newest[v.request_id].number:
            newest[v.request_id] = v
    return newest


def merged_chronology(
    session: Session,
    actor: Actor,
    case: Case,
    *,
    agency_ids: Collection[uuid.UUID] | None = None,
    start: date | None = None,
    end: date | None = None,
    gap_days: int = DEFAULT_GAP_DAYS,
) -> MergedChronology:
    """Every agency's signed-off entries of the case, in time order, with gaps and same-day contacts."""
    acting = case_actor(session, actor, case)
    if not is_case_staff(acting):
        raise PermissionDenied(
            "the merged chronology is for the chair, the panel and the CSP; agencies see their own",
            field="role",
        )
    if start and end and end < start:
        raise ValidationFailed("the period ends before it starts", field="end")
    if not 1 <= gap_days <= 3650:
        raise ValidationFailed("a gap is 1 to 3650 days", field="gap_days")
    versions = signed_off_versions(session, case.id)
    kinds = dict(
        session.exec(
            select(ReturnRequest.id, ReturnRequest.kind).where(ReturnRequest.case_id == case.id)
        ).all()
    )
    names = {a.id: a.name for a in session.exec(select(Agency)).all()}
    entries: list[ChronologyEntry] = []
    if versions:
        query = select(ChronologyEntry).where(
            col(ChronologyEntry.version_id).in_([v.id for v in versions.values()])
        )
        if agency_ids is not None:
            query = query.where(col(ChronologyEntry.agency_id).in_(list(agency_ids)))
        entries = list(session.exec(query).all())
    if start:
        entries = [e for e in entries if period_end(e) >= start]
    if end:
        entries = [e for e in entries if e.occurred_on <= end]
    entries.sort(key=lambda e: _sort_key(e, names.get(e.agency_id, "")))
    by_day: dict[date, set[str]] = defaultdict(set)
    for e in entries:
        if e.precision in {"day", "minute"}:
            by_day[e.occurred_on].add(names.get(e.agency_id, ""))
    version_of = {v.id: v for v in versions.values()}
    rows: list[MergedRow] = []
    covered_until: date | None = None
    for e in entries:
        agency = names.get(e.agency_id, "")
        gap = None
        if covered_until is not None and (e.occurred_on - covered_until).days > gap_days:
            gap = Gap(covered_until, e.occurred_on, (e.occurred_on - covered_until).days)
        covered_until = max(covered_until or period_end(e), period_end(e))
        others: tuple[str, ...] = ()
        if e.precision in {"day", "minute"} and len(by_day[e.occurred_on]) > 1:
            others = tuple(sorted(by_day[e.occurred_on] - {agency}))
        version = version_of[e.version_id] if e.version_id else None
        rows.append(
            MergedRow(
                entry=e,
                agency=agency,
                return_kind=kinds.get(version.request_id, "") if version else "",
                version=version.number if version else 0,
                same_day_with=others,
                gap_before=gap,
            )
        )
    return MergedChronology(
        case_ref=case.ref,
        case_title=case.title,
        rows=rows,
        agencies=sorted({r.agency for r in rows}),
        start=start,
        end=end,
        gap_days=gap_days,
    )

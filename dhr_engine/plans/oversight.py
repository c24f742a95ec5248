"""Oversight figures per CSP and calendar year, from audit events, deadline rows and proceedings.

How each figure is counted (written down so a test can check it by hand):
- notified: cases whose notification date falls in the year.
- decided: decisions (decide_to_review or decide_no_review, first one per case) made in the year.
- completed: reviews whose report the CSP signed off (sign_off_report) in the year.
- published: reviews published (publish_report) in the year.
- Timeliness, for the events of the year:
  notification -> decision (target: the case's first `csp_decision` deadline, one calendar month),
  decision -> completion (target: its first `review_completion` deadline, six months plus any
  time paused), completion -> publication (target: the first `publication` deadline, 28 days
  after the pre-publication notices). Days are calendar days; on time means the event happened
  on or before the deadline row's adjusted due date; share on time is on time / events, in %.
- Time paused by reason: every pause (stage_changed into and out of `paused`) runs from the day
  it started to the day it ended (or the as-at date); its days inside the year are credited to
  the kind of the parallel proceeding that caused it: the one open (and pausing) on the pause's
  first day, the earliest started if several; "other" if none is recorded.
- Open and overdue actions by lead agency, as at the end of the year (or today, for the current
  year): actions of the CSP's plans added on or before that day and not yet completed or closed
  on it; overdue when their target date is before it.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from dhr_engine.persistence.tables import Agency, AuditEvent, Case, Csp, Deadline, ParallelProceeding
from dhr_engine.persistence.tables_plans import Plan, PlanAction

DECISION_TRIGGERS = ("decide_to_review", "decide_no_review")
PROCEED_TRIGGERS = ("decide_to_review", "record_sos_direction")
PAUSED_STAGE = "paused"
Span = tuple[date, date, date | None]  # start, end, due date of the target


@dataclass(frozen=True)
class StageTiming:
    key: str
    label: str
    target: str
    events: int
    mean_days: float | None
    median_days: float | None
    on_time: int

    @property
    def share_on_time(self) -> float | None:
        return round(100 * self.on_time / self.events, 1) if self.events else None


@dataclass(frozen=True)
class AgencyActions:
    agency: str
    open: int
    overdue: int


@dataclass
class OversightFigures:
    csp: str
    year: int
    as_of: date
    notified: int = 0
    decided: int = 0
    decided_to_review: int = 0
    decided_no_review: int = 0
    completed: int = 0
    published: int = 0
    timings: list[StageTiming] = field(default_factory=list)
    paused_days: dict[str, int] = field(default_factory=dict)
    paused_cases: int = 0
    actions: list[AgencyActions] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, object]]:
        """(section, measure, value): the flat form of the figures for CSV and XLSX."""
        out: list[tuple[str, str, object]] = [
            ("Reviews", "Notifications received", self.notified),
            ("Reviews", "Decisions made", self.decided),
            ("Reviews", "Decisions to hold a review", self.decided_to_review),
            ("Reviews", "Decisions not to hold a review", self.decided_no_review),
            ("Reviews", "Reviews completed (signed off)", self.completed),
            ("Reviews", "Reviews published", self.published),
        ]
        for t in self.timings:
            out += [
                ("Timeliness", f"{t.label}: events", t.events),
                ("Timeliness", f"{t.label}: mean days", t.mean_days),
                ("Timeliness", f"{t.label}: median days", t.median_days),
                ("Timeliness", f"{t.label}: target", t.target),
                ("Timeliness", f"{t.label}: on time", t.on_time),
                ("Timeliness", f"{t.label}: share on time (%)", t.share_on_time),
            ]
        out.append(("Pauses", "Reviews paused in the year", self.paused_cases))
        out += [
            ("Pauses", f"Days paused: {reason.replace('_', ' ')}", d)
            for reason, d in self.paused_days.items()
        ]
        for a in self.actions:
            out += [("Actions", f"{a.agency}: open", a.open), ("Actions", f"{a.agency}: overdue", a.overdue)]
        return out


@dataclass
class _CaseDates:
    case: Case
    first: dict[str, date] = field(default_factory=dict)  # trigger -> first effective date
    pauses: list[tuple[date, date | None]] = field(default_factory=list)


def _case_dates(session: Session, cases: list[Case]) -> dict[uuid.UUID, _CaseDates]:
    out = {c.id: _CaseDates(c) for c in cases}
    if not out:
        return out
    events = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.case_id).in_(list(out)), AuditEvent.kind == "stage_changed")
        .order_by(col(AuditEvent.case_id), col(AuditEvent.seq))
    ).all()
    for event in events:
        dates = out[event.case_id]
        trigger = str(event.data.get("trigger", ""))
        dates.first.setdefault(trigger, event.effective_on)
        if event.data.get("to_stage") == PAUSED_STAGE:
            dates.pauses.append((event.effective_on, None))
        elif event.data.get("from_stage") == PAUSED_STAGE and dates.pauses and dates.pauses[-1][1] is None:
            dates.pauses[-1] = (dates.pauses[-1][0], event.effective_on)
    return out


def _first_deadlines(session: Session, case_ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, str], Deadline]:
    rows = session.exec(
        select(Deadline).where(col(Deadline.case_id).in_(case_ids)).order_by(col(Deadline.opened_at))
    ).all()
    first: dict[tuple[uuid.UUID, str], Deadline] = {}
    for row in rows:
        first.setdefault((row.case_id, row.key), row)
    return first


def _timing(key: str, label: str, target: str, spans: list[Span]) -> StageTiming:
    """spans: (start, end, due) of each event in the year."""
    days = [(end - start).days for start, end, _due in spans]
    return StageTiming(
        key=key,
        label=label,
        target=target,
        events=len(spans),
        mean_days=round(statistics.fmean(days), 1) if days else None,
        median_days=float(statistics.median(days)) if days else None,
        on_time=sum(1 for _s, end, due in spans if due is not None and end <= due),
    )


def _overlap(start: date, end: date, lo: date, hi: date) -> int:
    """Days of [start, end) inside [lo, hi)."""
    return max(0, (min(end, hi) - max(start, lo)).days)


def _pause_reason(proceedings: list[ParallelProceeding], start: date) -> str:
    live = [
        p
        for p in proceedings
        if p.pauses_review and p.started_on <= start and (p.concluded_on is None or p.concluded_on >= start)
    ]
    return min(live, key=lambda p: p.started_on).kind if live else "other"


def oversight_figures(session: Session, csp_id: uuid.UUID, year: int, today: date) -> OversightFigures:
    """Compute the figures of one CSP for one calendar year (see the module docstring)."""
    csp = session.get(Csp, csp_id)
    lo, hi = date(year, 1, 1), date(year + 1, 1, 1)
    as_of = min(today, date(year, 12, 31))
    figures = OversightFigures(csp=csp.name if csp else "", year=year, as_of=as_of)
    cases = list(session.exec(select(Case).where(Case.csp_id == csp_id)).all())
    dates = _case_dates(session, cases)
    due = _first_deadlines(session, [c.id for c in cases])
    decision_spans: list[Span] = []
    completion_spans: list[Span] = []
    publication_spans: list[Span] = []
    proceedings_by_case: dict[uuid.UUID, list[ParallelProceeding]] = defaultdict(list)
    for p in session.exec(
        select(ParallelProceeding).where(col(ParallelProceeding.case_id).in_(list(dates)))
    ).all():
        proceedings_by_case[p.case_id].append(p)
    paused: Counter[str] = Counter()
    paused_cases: set[uuid.UUID] = set()
    for case_id, d in dates.items():
        case = d.case
        if lo <= case.notified_on < hi:
            figures.notified += 1
        decided = sorted((d.first[t], t) for t in DECISION_TRIGGERS if t in d.first)
        decision = (decided[0][1], decided[0][0]) if decided else None
        if decision and lo <= decision[1] < hi:
            figures.decided += 1
            if decision[0] == "decide_to_review":
                figures.decided_to_review += 1
            else:
                figures.decided_no_review += 1
            row = due.get((case_id, "csp_decision"))
            decision_spans.append((case.notified_on, decision[1], row.adjusted_due if row else None))
        proceed = min((d.first[t] for t in PROCEED_TRIGGERS if t in d.first), default=None)
        completed = d.first.get("sign_off_report")
        if completed and lo <= completed < hi and proceed:
            figures.completed += 1
            row = due.get((case_id, "review_completion"))
            completion_spans.append((proceed, completed, row.adjusted_due if row else None))
        published = d.first.get("publish_report")
        if published and lo <= published < hi:
            figures.published += 1
            row = due.get((case_id, "publication"))
            if completed:
                publication_spans.append((completed, published, row.adjusted_due if row else None))
        for start, end in d.pauses:
            days = _overlap(start, end or min(today, hi), lo, hi)
            if days:
                paused[_pause_reason(proceedings_by_case[case_id], start)] += days
                paused_cases.add(case_id)
    figures.timings = [
        _timing("decision", "Notification to decision", "1 calendar month", decision_spans),
        _timing(
            "completion", "Decision to completion", "6 calendar months plus time paused", completion_spans
        ),
        _timing(
            "publication",
            "Completion to publication",
            "28 days after the pre-publication notices",
            publication_spans,
        ),
    ]
    figures.paused_days = dict(sorted(paused.items()))
    figures.paused_cases = len(paused_cases)
    figures.actions = _actions_by_agency(session, csp_id, as_of)
    return figures


def _actions_by_agency(session: Session, csp_id: uuid.UUID, as_of: date) -> list[AgencyActions]:
    agencies = {a.id: a.name for a in session.exec(select(Agency)).all()}
    rows = session.exec(
        select(PlanAction).join(Plan, col(Plan.id) == col(PlanAction.plan_id)).where(Plan.csp_id == csp_id)
    ).all()
    open_: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    for action in rows:
        if action.created_on > as_of or (action.ended_on is not None and action.ended_on <= as_of):
            continue
        name = (
            agencies.get(action.lead_agency_id, "No lead agency")
            if action.lead_agency_id
            else "No lead agency"
        )
        open_[name] += 1
        if action.target_date < as_of:
            overdue[name] += 1
    return [AgencyActions(name, open_[name], overdue[name]) for name in sorted(open_)]

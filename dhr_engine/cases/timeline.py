"""The picture of a case's life as inline SVG: stages, pauses, deadlines met and missed, today.

Python works out the geometry; templates/web/cases/_timeline.html draws it. The same facts are in
the event table beside the picture, so the picture is never the only way to read them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from dhr_engine.domain.calendar import format_date
from dhr_engine.persistence.tables import AuditEvent, Case, Deadline
from dhr_engine.workflow.definition import WorkflowDefinition

WIDTH = 960
LABEL_WIDTH = 250
RIGHT_PAD = 20
STAGE_Y = 40
STAGE_H = 34
ROW_H = 30
TOP_AXIS = 24


@dataclass(frozen=True)
class StageBar:
    x: float
    width: float
    label: str
    start: date
    end: date | None
    paused: bool
    shade: int  # alternate two shades so neighbours stand apart

    @property
    def title(self) -> str:
        until = format_date(self.end) if self.end else "now"
        return f"{self.label}: {format_date(self.start)} to {until}"


@dataclass(frozen=True)
class DeadlineRow:
    y: float
    label: str
    x_start: float
    x_due: float
    x_end: float  # where the line stops: closed date, or today when still open
    outcome: str  # met | missed | overdue | open | cancelled | paused
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    label_width: int
    stage_y: int
    stage_h: int
    stages: list[StageBar]
    deadlines: list[DeadlineRow]
    ticks: list[Tick]
    today_x: float
    summary: str


OUTCOME_WORDS = {
    "met": "met on time",
    "missed": "met late (missed)",
    "overdue": "overdue",
    "open": "open",
    "cancelled": "cancelled",
    "paused": "paused",
}


def humanise_code(code: str) -> str:
    words = code.replace("_", " ")
    return words[:1].upper() + words[1:]


def _outcome(row: Deadline, today: date) -> str:
    if row.status == "met":
        return "met"
    if row.status == "met_late":
        return "missed"
    if row.status == "cancelled":
        return "cancelled"
    if row.paused_since is not None:
        return "paused"
    return "overdue" if row.adjusted_due < today else "open"


def _stage_periods(case: Case, events: list[AuditEvent], today: date) -> list[tuple[str, date, date | None]]:
    periods: list[tuple[str, date, date | None]] = []
    stage, start = None, case.notified_on
    for event in events:
        if event.kind == "case_opened":
            stage, start = str(event.data.get("stage", "")), event.effective_on
        elif event.kind == "stage_changed":
            if stage is not None:
                periods.append((stage, start, event.effective_on))
            stage, start = str(event.data.get("to_stage", "")), event.effective_on
    if stage is None:
        stage = case.stage
    periods.append((stage, start, case.closed_on))
    return periods


def _month_ticks(first: date, last: date, to_x: object) -> list[Tick]:
    span = (last - first).days
    step = 1 if span <= 200 else 2 if span <= 400 else 3 if span <= 800 else 6
    ticks = []
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first and (month.month - 1) % step == 0:
            ticks.append(Tick(to_x(month), month.strftime("%b %Y")))  # type: ignore[operator]
        month = date(month.year + (month.month // 12), month.month % 12 + 1, 1)
    return ticks


def build_timeline(
    case: Case,
    definition: WorkflowDefinition,
    events: list[AuditEvent],
    deadlines: list[Deadline],
    today: date,
    titles: Mapping[uuid.UUID, str] | None = None,
) -> Timeline:
    """Lay out the case's stages and deadlines on one time axis (`titles`: a deadline's name where
    it is not its label, as a return's that names its agency)."""
    ends = [today, case.notified_on]
    ends.extend(d.adjusted_due for d in deadlines)
    first = case.notified_on - timedelta(days=3)
    last = max(ends) + timedelta(days=7)
    span = max((last - first).days, 1)
    plot = WIDTH - LABEL_WIDTH - RIGHT_PAD

    def to_x(day: date) -> float:
        return round(LABEL_WIDTH + plot * (day - first).days / span, 1)

    stopped = definition.tagged("clock_stopped")
    stages = []
    for i, (stage, start, end) in enumerate(_stage_periods(case, events, today)):
        stop = end or today
        label = definition.state(stage).label if stage in definition.state_map else humanise_code(stage)
        stages.append(
            StageBar(
                x=to_x(start),
                width=max(to_x(stop) - to_x(start), 3.0),
                label=label,
                start=start,
                end=end,
                paused=stage in stopped,
                shade=i % 2,
            )
        )
    rows = []
    y = STAGE_Y + STAGE_H + 16
    for row in sorted(deadlines, key=lambda d: (d.anchor_on, d.adjusted_due)):
        outcome = _outcome(row, today)
        end = row.closed_on or today
        named = (titles or {}).get(row.id, row.label)
        title = f"{named}: due {format_date(row.adjusted_due)}, {OUTCOME_WORDS[outcome]}" + (
            f" (closed {format_date(row.closed_on)})" if row.closed_on else ""
        )
        rows.append(
            DeadlineRow(
                y=y,
                label=named,
                x_start=to_x(row.anchor_on),
                x_due=to_x(row.adjusted_due),
                x_end=to_x(end),
                outcome=outcome,
                title=title,
            )
        )
        y += ROW_H
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    summary = f"{len(stages)} stages from {format_date(case.notified_on)} to today; {len(rows)} deadlines" + (
        ": " + ", ".join(f"{n} {OUTCOME_WORDS[k]}" for k, n in sorted(counts.items())) if counts else ""
    )
    return Timeline(
        width=WIDTH,
        height=int(y + 10),
        label_width=LABEL_WIDTH,
        stage_y=STAGE_Y,
        stage_h=STAGE_H,
        stages=stages,
        deadlines=rows,
        ticks=_month_ticks(first, last, to_x),
        today_x=to_x(today),
        summary=summary,
    )

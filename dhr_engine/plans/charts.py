"""Charts for board papers (PNG and SVG), drawn on matplotlib's Agg canvas (no display needed).

The object-oriented API (Figure + FigureCanvasAgg) is used rather than pyplot, so no global
figure state is kept and drawing is safe from a web worker or the scheduler.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dhr_engine.plans.lessons import ThemeRow
from dhr_engine.plans.oversight import OversightFigures
from dhr_engine.plans.queries import ActionRow

RAG_COLOURS = {"red": "#d4351c", "amber": "#ffdd00", "green": "#00703c", "blue": "#1d70b8"}
CHART_FORMATS = ("png", "svg")


def _save(fig: Figure, out_dir: Path, name: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in CHART_FORMATS:
        path = out_dir / f"{name}.{fmt}"
        fig.savefig(path, format=fmt, bbox_inches="tight", metadata={"Date": None} if fmt == "svg" else None)
        paths.append(path)
    return paths


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _bar(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str) -> Figure:
    fig, ax = _figure(8, 4.5)
    bars = ax.bar(list(labels), list(values), color="#1d70b8")
    ax.bar_label(bars, fmt="%g")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=20)
    return fig


def oversight_charts(figures: OversightFigures, out_dir: Path) -> list[Path]:
    """One chart for each group of oversight figures."""
    year = figures.year
    paths = _save(
        _bar(
            ["Notified", "Decided", "Completed", "Published"],
            [figures.notified, figures.decided, figures.completed, figures.published],
            f"Reviews in {year}",
            "Reviews",
        ),
        out_dir,
        f"reviews-{year}",
    )
    timings = figures.timings
    paths += _save(
        _bar(
            [t.label for t in timings],
            [t.median_days or 0 for t in timings],
            f"Median days in {year}",
            "Days",
        ),
        out_dir,
        f"durations-{year}",
    )
    paths += _save(
        _bar(
            [t.label for t in timings],
            [t.share_on_time or 0 for t in timings],
            f"Share on time in {year}",
            "Per cent on time",
        ),
        out_dir,
        f"on-time-{year}",
    )
    reasons = figures.paused_days or {"none": 0}
    paths += _save(
        _bar(
            [r.replace("_", " ") for r in reasons],
            list(reasons.values()),
            f"Days paused by reason in {year}",
            "Days",
        ),
        out_dir,
        f"pauses-{year}",
    )
    fig, ax = _figure(8, max(3.0, 0.5 * len(figures.actions) + 1.5))
    names = [a.agency for a in figures.actions] or ["none"]
    ax.barh(names, [a.open for a in figures.actions] or [0], color="#1d70b8", label="Open")
    ax.barh(names, [a.overdue for a in figures.actions] or [0], color="#d4351c", label="Overdue")
    ax.set_title(f"Open and overdue actions by lead agency, {figures.as_of.isoformat()}")
    ax.set_xlabel("Actions")
    ax.legend()
    paths += _save(fig, out_dir, f"actions-{year}")
    return paths


def rag_chart(rows: Sequence[ActionRow], out_dir: Path, name: str = "rag") -> list[Path]:
    """Actions of each plan by RAG rating, stacked."""
    plans = sorted({r.plan_title for r in rows})
    counts = {p: Counter(r.rag for r in rows if r.plan_title == p) for p in plans}
    fig, ax = _figure(9, max(3.0, 0.45 * len(plans) + 1.5))
    left = [0] * len(plans)
    for rag, colour in RAG_COLOURS.items():
        values = [counts[p][rag] for p in plans]
        ax.barh(plans, values, left=left, color=colour, label=rag.capitalize())
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_title("Actions by RAG rating")
    ax.set_xlabel("Actions")
    ax.legend()
    return _save(fig, out_dir, name)


def themes_chart(rows: Sequence[ThemeRow], out_dir: Path) -> list[Path]:
    """Reviews raising each theme (themes raised at least once)."""
    used = [r for r in rows if r.recommendations]
    fig, ax = _figure(8, max(3.0, 0.45 * len(used) + 1.5))
    ax.barh([r.label for r in used][::-1], [r.reviews for r in used][::-1], color="#1d70b8")
    ax.set_title("Themes of recommendations across reviews")
    ax.set_xlabel("Reviews")
    return _save(fig, out_dir, "themes")

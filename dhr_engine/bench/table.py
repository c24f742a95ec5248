"""The results as a rich table and as the Markdown table docs/performance.md shows."""

from __future__ import annotations

from rich.table import Table

from dhr_engine.bench.results import MetricResult


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def met_mark(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[met]


def _notes(results: list[MetricResult]) -> dict[str, int]:
    names: dict[str, int] = {}
    for r in results:
        if r.baseline_name and r.baseline_name not in names:
            names[r.baseline_name] = len(names) + 1
    return names


def rows(results: list[MetricResult]) -> list[list[str]]:
    notes = _notes(results)
    return [
        [
            f"{r.metric}: {r.name}",
            number(r.figure, r.unit),
            f"{number(r.baseline, r.unit)} [{notes[r.baseline_name]}]" if r.baseline is not None else "-",
            number(r.ratio) + "x" if r.ratio is not None else "-",
            r.target or "-",
            met_mark(r.met),
        ]
        for r in results
    ]


def baseline_notes(results: list[MetricResult]) -> list[str]:
    return [f"[{n}] {name}" for name, n in _notes(results).items()]


HEADERS = ["measure", "figure", "baseline", "ratio", "target", "met"]


def rich_table(results: list[MetricResult], title: str) -> Table:
    table = Table(title=title)
    table.add_column(HEADERS[0], ratio=3, overflow="fold")
    for header in HEADERS[1:]:
        table.add_column(header, no_wrap=True)
    for row in rows(results):
        table.add_row(*row, style="red" if row[-1] == "NO" else None)
    return table


def markdown_table(results: list[MetricResult]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows(results)]
    lines += ["", *(f"{note}  " for note in baseline_notes(results))]
    return "\n".join(lines)

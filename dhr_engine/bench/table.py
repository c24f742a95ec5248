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


def rows(results: list[MetricResult]) -> list[list[str]]:
    return [
        [
            r.metric,
            r.name,
            number(r.figure, r.unit),
            f"{number(r.baseline, r.unit)} ({r.baseline_name})" if r.baseline is not None else "-",
            number(r.ratio) + "x" if r.ratio is not None else "-",
            r.target or "-",
            met_mark(r.met),
        ]
        for r in results
    ]


HEADERS = ["metric", "measure", "figure", "baseline (same run)", "ratio", "target", "met"]


def rich_table(results: list[MetricResult], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in rows(results):
        style = "red" if row[-1] == "NO" else None
        table.add_row(*row, style=style)
    return table


def markdown_table(results: list[MetricResult]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows(results)]
    return "\n".join(lines)

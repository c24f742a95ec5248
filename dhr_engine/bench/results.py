"""What a metric reports: the figure, its same-run baseline, their ratio and the target."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class Target:
    """A target on the ratio or on the figure itself, e.g. ratio >= 0.5 or figure <= 50 ms."""

    on: Literal["ratio", "figure"]
    direction: Direction
    value: float

    def describe(self, unit: str) -> str:
        sign = ">=" if self.direction == "higher" else "<="
        suffix = "x" if self.on == "ratio" else f" {unit}"
        return f"{self.on} {sign} {self.value:g}{suffix}"

    def met(self, figure: float, ratio: float | None) -> bool | None:
        value = ratio if self.on == "ratio" else figure
        if value is None:
            return None
        return value >= self.value if self.direction == "higher" else value <= self.value


@dataclass
class MetricResult:
    """One line of the table: a median figure against a baseline measured in the same run."""

    metric: str  # the metric group, e.g. "fire_trigger"
    name: str  # this line, e.g. "fire_trigger per second"
    figure: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    rounds: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def measured(
        cls,
        metric: str,
        name: str,
        figure: float,
        unit: str,
        *,
        baseline: float | None = None,
        baseline_name: str = "",
        target: Target | None = None,
        rounds: int = 0,
        detail: dict[str, Any] | None = None,
    ) -> MetricResult:
        """Work out the ratio (figure / baseline) and whether the target is met."""
        ratio = figure / baseline if baseline else None
        return cls(
            metric=metric,
            name=name,
            figure=figure,
            unit=unit,
            baseline=baseline,
            baseline_name=baseline_name,
            ratio=ratio,
            target=target.describe(unit) if target else "",
            met=target.met(figure, ratio) if target else None,
            rounds=rounds,
            detail=detail or {},
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

"""Summaries every benchmark reports the same way: percentiles of samples, and medians of runs with their spread."""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass


def percentile(values: Iterable[float], percent: float) -> float:
    """Nearest-rank percentile (no interpolation: the value is one that was measured). NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return float(ordered[index])


@dataclass(frozen=True)
class Spread:
    """The median of repeated runs and the lowest and highest run, so a reader sees how much runs disagree."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, runs: Iterable[float]) -> "Spread":
        values = [value for value in runs if value == value]  # NaN: a run that measured nothing
        if not values:
            return cls(float("nan"), float("nan"), float("nan"))
        return cls(statistics.median(values), min(values), max(values))

    def format(self, spec: str = ".1f") -> str:
        """``12.3 (11.9–13.0)``; just the median when every run agreed; ``n/a`` when nothing was measured."""
        if self.median != self.median:
            return "n/a"
        if self.low == self.high:
            return format(self.median, spec)
        return f"{format(self.median, spec)} ({format(self.low, spec)}–{format(self.high, spec)})"


def ratio(value: float, baseline: float) -> str:
    """``0.42×``, or ``n/a`` when the baseline is zero or unknown."""
    if not baseline or baseline != baseline or value != value:
        return "n/a"
    return f"{value / baseline:.2f}×"

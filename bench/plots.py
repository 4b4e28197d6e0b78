"""PNG plots for the report, drawn with matplotlib's Agg backend (no display needed)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

DPI = 110


def figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, Axes]:
    """A new figure with one set of axes and a light grid."""
    fig, axes = plt.subplots(figsize=(width, height))
    axes.grid(True, alpha=0.3)
    return fig, axes


def panels(count: int, width: float = 11.0, height: float = 3.4) -> tuple[Figure, list[Axes]]:
    """A new figure with ``count`` side-by-side axes."""
    fig, axes = plt.subplots(1, count, figsize=(width, height))
    axes = list(axes) if count > 1 else [axes]
    for each in axes:
        each.grid(True, alpha=0.3)
    return fig, axes


def thousands(axes: Axes) -> None:
    """Label the x axis 0, 50k, 100k … instead of crowding it with six-digit numbers."""
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:,.0f}k" if value else "0"))


def save(fig: Figure, out_dir: Path, name: str) -> str:
    """Write ``out_dir/name`` and close the figure; return the file name, for a Markdown image link."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out_dir / name, dpi=DPI)
    plt.close(fig)
    return name


def spread_bars(axes, labels: list[str], spreads: list, xlabel: str) -> None:
    """Horizontal bars at the medians, with whiskers from the lowest to the highest run, each labelled."""
    medians = [spread.median for spread in spreads]
    errors = [
        [spread.median - spread.low for spread in spreads],
        [spread.high - spread.median for spread in spreads],
    ]
    positions = range(len(labels))
    axes.barh(positions, medians, xerr=errors, capsize=4, color="#4c72b0", alpha=0.85)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    for position, spread in zip(positions, spreads, strict=True):
        label = f"  {spread.median:,.0f}" if spread.median >= 100 else f"  {spread.median:.3g}"
        axes.annotate(label, (max(spread.high, spread.median), position), va="center", fontsize=8)
    axes.set_xlim(right=max(max(spread.high, spread.median) for spread in spreads) * 1.25)

"""Sanctions imposed and lifted per month as an inline SVG bar chart: geometry only, no library."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reprieve.services.dashboard import MonthActivity

WIDTH, HEIGHT = 720, 220
LEFT, BOTTOM, TOP = 36, 28, 10


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]  #: y, label of the value axis
    months: list[tuple[float, str]]  #: x, label of every few months
    baseline: float


def monthly_chart(rows: Sequence[MonthActivity], names: dict[str, str] | None = None) -> Chart:
    """Two bars per month (imposed, lifted), scaled to the busiest month; ``names`` says each
    series in the page's language, for the bars' titles."""
    names = names or {}
    peak = max([1, *(max(r.imposed, r.lifted) for r in rows)])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / max(1, len(rows))
    bar_w = max(1.0, step * 0.4)
    bars: list[Bar] = []
    months: list[tuple[float, str]] = []
    every = max(1, len(rows) // 8)
    for i, row in enumerate(rows):
        x = LEFT + i * step + step * 0.1
        for offset, series, count in ((0.0, "imposed", row.imposed), (bar_w, "lifted", row.lifted)):
            h = plot_h * count / peak
            bars.append(
                Bar(
                    round(x + offset, 1),
                    round(TOP + plot_h - h, 1),
                    round(bar_w, 1),
                    round(h, 1),
                    series,
                    f"{row.month}: {count} {names.get(series, series)}",
                )
            )
        if i % every == 0:
            months.append((round(x, 1), row.month))
    ticks = [(round(TOP + plot_h - plot_h * f, 1), str(round(peak * f))) for f in (0, 0.5, 1)]
    return Chart(WIDTH, HEIGHT, bars, ticks, months, TOP + plot_h)

"""Bar charts as plain data the ``chart`` macro of ``templates/charts.html`` draws as server-rendered SVG.

Why hand-written SVG from a Jinja template rather than matplotlib or pygal: the page's charts are a handful of bar
charts, and a template keeps them the page's own markup: no new dependency (matplotlib alone is tens of MB with
numpy), no JavaScript, nothing but presentation attributes (the page's Content-Security-Policy allows no inline
style), and the accessible parts a library would leave to us anyway: ``role="img"`` with a ``<title>`` and
``<desc>``, each bar's value in its own ``<title>``, and the same numbers in a table beside the chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: The drawing's size and the room kept for the axes' ticks and labels (SVG user units).
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 72
#: Bar colours by series (contrast ≥ 3:1 against the white background).
COLOURS = ("#1f73b7", "#c72a1c", "#037f52", "#5f3b9c")
#: At most this many labels under the x axis (the table has them all).
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Series:
    """One row of numbers of a chart, one per label."""

    name: str
    values: list[float]


@dataclass(frozen=True)
class Chart:
    """A bar chart: a title, what it shows, axis labels, one bar (per series) per label."""

    id: str
    title: str
    description: str
    x_label: str
    y_label: str
    labels: list[str]
    series: list[Series]
    #: Said instead of the chart when it has nothing to draw, or beside it.
    note: str | None = None
    #: The x labels drawn under the axis (default: the labels).
    short_labels: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.labels

    def layout(self) -> Layout:
        return layout(self)

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        """The data table's rows: each label with its value in every series."""
        return [(label, [number(series.values[index]) for series in self.series])
                for index, label in enumerate(self.labels)]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    text: str


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class Layout:
    """Where everything of a chart is drawn."""

    width: int
    height: int
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    left: int = LEFT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT
    legend: list[tuple[str, str]] = field(default_factory=list)


def nice_step(maximum: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) that divides ``0..maximum`` into about ``ticks`` parts."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(factor * power for factor in (1, 2, 5, 10) if factor * power >= raw)
    return max(step, 1) if maximum >= 1 else step


def number(value: float) -> str:
    """A value as the table and the bars' titles show it: whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def layout(chart: Chart) -> Layout:
    """The bars, ticks and legend of ``chart`` (grouped bars when it has several series)."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max((value for series in chart.series for value in series.values), default=0)
    step = nice_step(peak)
    top_value = max(step, math.ceil(peak / step) * step)
    count = max(1, len(chart.labels))
    slot = plot_width / count
    gap = min(slot * 0.2, 8)
    bar_width = max((slot - gap) / max(1, len(chart.series)), 0.5)
    bars = []
    for number_of_series, series in enumerate(chart.series):
        colour = COLOURS[number_of_series % len(COLOURS)]
        for index, value in enumerate(series.values):
            height = plot_height * value / top_value
            bars.append(Bar(x=LEFT + index * slot + gap / 2 + number_of_series * bar_width,
                            y=TOP + plot_height - height, width=bar_width, height=height, colour=colour,
                            text=f"{chart.labels[index]}: {number(value)} {series.name}"))
    y_ticks = [Tick(TOP + plot_height - plot_height * k * step / top_value, number(k * step))
               for k in range(int(round(top_value / step)) + 1)]
    shown = chart.short_labels or chart.labels
    every = max(1, math.ceil(len(shown) / MAX_X_LABELS))
    x_ticks = [Tick(LEFT + index * slot + slot / 2, text) for index, text in enumerate(shown) if index % every == 0]
    legend = [(series.name, COLOURS[n % len(COLOURS)]) for n, series in enumerate(chart.series)] \
        if len(chart.series) > 1 else []
    return Layout(WIDTH, HEIGHT, bars, y_ticks, x_ticks, legend=legend)

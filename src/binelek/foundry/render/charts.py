"""A small SVG chart renderer for printed dashboards: line, bar, stacked bar and pie.

WeasyPrint draws inline SVG, so a chart is a string of SVG elements with explicit pixel geometry;
nothing runs in a browser. Values come in as floats (None for a missing point); labels are escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = (
    "#4f46e5",
    "#0ea5e9",
    "#10b981",
    "#f59e0b",
    "#ef4444",
    "#8b5cf6",
    "#14b8a6",
    "#f97316",
    "#64748b",
    "#ec4899",
)
AXIS_COLOR = "#94a3b8"
GRID_COLOR = "#e2e8f0"
TEXT_COLOR = "#475569"
FONT = "DejaVu Sans, sans-serif"
TICK_COUNT = 5
MAX_X_LABELS = 12
LEGEND_ROW = 14
CHAR_WIDTH = 5.4  # an average DejaVu Sans character at 9 px

TickFormat = Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: list[float | None]


@dataclass(frozen=True, slots=True)
class Box:
    """The plot area inside the chart, in pixels."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def nice_ticks(low: float, high: float, count: int = TICK_COUNT) -> list[float]:
    """Round tick values covering [low, high] and zero, in steps of 1, 2, 2.5 or 5 times a power of ten."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1.0
    raw_step = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    first = math.floor(low / step + 1e-9)
    ticks = [round(first * step, 10)]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(round((first + len(ticks)) * step, 10))
    return ticks


def _svg(width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}">' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, label: str, *, anchor: str = "middle", size: int = 9) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{TEXT_COLOR}" '
        f'text-anchor="{anchor}">{escape(label)}</text>'
    )


def _truncate(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: max(limit - 1, 1)] + "…"


def _legend(series_names: Sequence[str], width: int, y: float) -> list[str]:
    parts = []
    x = 8.0
    for index, name in enumerate(series_names):
        label = _truncate(name, 24)
        item_width = 16 + len(label) * 5.6
        if x + item_width > width and x > 8:
            x, y = 8.0, y + LEGEND_ROW
        parts.append(f'<rect x="{x:.1f}" y="{y - 8:.1f}" width="9" height="9" fill="{color(index)}"/>')
        parts.append(_text(x + 13, y, label, anchor="start"))
        x += item_width + 10
    return parts


def _legend_height(series_names: Sequence[str], width: int) -> float:
    if len(series_names) < 2:
        return 0.0
    rows, x = 1, 8.0
    for name in series_names:
        item_width = 16 + len(_truncate(name, 24)) * 5.6
        if x + item_width > width and x > 8:
            rows, x = rows + 1, 8.0
        x += item_width + 10
    return rows * LEGEND_ROW + 4


def _axes(box: Box, ticks: list[float], scale: Callable[[float], float], fmt: TickFormat) -> list[str]:
    parts = []
    for tick in ticks:
        y = scale(tick)
        stroke = AXIS_COLOR if tick == 0 else GRID_COLOR
        parts.append(
            f'<line x1="{box.left:.1f}" y1="{y:.1f}" x2="{box.right:.1f}" y2="{y:.1f}" '
            f'stroke="{stroke}" stroke-width="0.7"/>'
        )
        parts.append(_text(box.left - 4, y + 3, fmt(tick), anchor="end", size=8))
    return parts


def _x_labels(box: Box, categories: Sequence[str], centers: list[float]) -> list[str]:
    every = max(1, math.ceil(len(categories) / MAX_X_LABELS))
    room = int(box.width / max(1, min(len(categories), MAX_X_LABELS)) / 5)
    return [
        _text(centers[index], box.bottom + 12, _truncate(label, max(room, 4)), size=8)
        for index, label in enumerate(categories)
        if index % every == 0
    ]


def _plot_box(width: int, height: int, series_names: Sequence[str], label_width: float) -> Box:
    legend = _legend_height(series_names, width)
    # Room on the right for half of the last category's label, centred on the edge.
    return Box(left=label_width, top=8 + legend, right=width - 16, bottom=height - 18)


def _value_scale(box: Box, ticks: list[float]) -> Callable[[float], float]:
    low, high = ticks[0], ticks[-1]

    def scale(value: float) -> float:
        return box.bottom - (value - low) / (high - low) * box.height

    return scale


def _label_width(ticks: list[float], fmt: TickFormat) -> float:
    return 10 + max(len(fmt(tick)) for tick in ticks) * 5.2


def line_chart(
    categories: Sequence[str], series: Sequence[Series], *, width: int, height: int, fmt: TickFormat
) -> str:
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values:
        return empty_chart(width, height)
    ticks = nice_ticks(min(values), max(values))
    names = [s.name for s in series]
    box = _plot_box(width, height, names, _label_width(ticks, fmt))
    scale = _value_scale(box, ticks)
    step = box.width / max(len(categories) - 1, 1)
    xs = [
        box.left + index * step if len(categories) > 1 else box.left + box.width / 2
        for index in range(len(categories))
    ]
    body = _axes(box, ticks, scale, fmt) + _x_labels(box, categories, xs)
    for index, line in enumerate(series):
        body.extend(_polyline(xs, [None if v is None else scale(v) for v in line.values], color(index)))
    if len(series) > 1:
        body.extend(_legend(names, width, 14))
    return _svg(width, height, body)


def _polyline(xs: list[float], ys: list[float | None], stroke: str) -> list[str]:
    """Connected runs of points; a missing value breaks the line, a lone point is a dot."""
    parts, run = [], []
    for x, y in [*zip(xs, ys, strict=False), (0.0, None)]:
        if y is not None:
            run.append((x, y))
            continue
        if len(run) == 1:
            parts.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="2" fill="{stroke}"/>')
        elif run:
            points = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{stroke}" stroke-width="1.8" '
                'stroke-linejoin="round"/>'
            )
        run = []
    return parts


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int,
    height: int,
    fmt: TickFormat,
    stacked: bool = False,
) -> str:
    if not categories or not any(v is not None for s in series for v in s.values):
        return empty_chart(width, height)
    low, high = _bar_extent(series, len(categories), stacked)
    ticks = nice_ticks(low, high)
    names = [s.name for s in series]
    box = _plot_box(width, height, names, _label_width(ticks, fmt))
    scale = _value_scale(box, ticks)
    slot = box.width / len(categories)
    centers = [box.left + slot * (index + 0.5) for index in range(len(categories))]
    body = _axes(box, ticks, scale, fmt) + _x_labels(box, categories, centers)
    for category in range(len(categories)):
        body.extend(_bars_at(category, series, box.left + slot * category, slot, scale, stacked))
    if len(series) > 1:
        body.extend(_legend(names, width, 14))
    return _svg(width, height, body)


def _bar_extent(series: Sequence[Series], count: int, stacked: bool) -> tuple[float, float]:
    if not stacked:
        values = [v for s in series for v in s.values if v is not None]
        return min(values), max(values)
    highs, lows = [], []
    for index in range(count):
        column = [s.values[index] or 0.0 for s in series if index < len(s.values)]
        highs.append(sum(v for v in column if v > 0))
        lows.append(sum(v for v in column if v < 0))
    return min(lows), max(highs)


def _bars_at(
    category: int,
    series: Sequence[Series],
    slot_left: float,
    slot: float,
    scale: Callable[[float], float],
    stacked: bool,
) -> list[str]:
    padding = slot * 0.15
    inner = slot - 2 * padding
    parts = []
    positive = negative = 0.0
    bar_width = inner if stacked else inner / len(series)
    for index, line in enumerate(series):
        value = line.values[category] if category < len(line.values) else None
        if value is None or value == 0:
            continue
        if stacked:
            base = positive if value > 0 else negative
            top, bottom = scale(base + value), scale(base)
            if value > 0:
                positive += value
            else:
                negative += value
            x = slot_left + padding
        else:
            top, bottom = scale(value), scale(0.0)
            x = slot_left + padding + index * bar_width
        y, height = min(top, bottom), abs(bottom - top)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_width - 1, 1):.1f}" '
            f'height="{max(height, 0.5):.1f}" fill="{color(index)}"/>'
        )
    return parts


def pie_chart(slices: Sequence[tuple[str, float]], *, width: int, height: int, fmt: TickFormat) -> str:
    """A pie of the positive slices, with a legend of labels, values and shares on the right."""
    shown = [(label, value) for label, value in slices if value > 0]
    total = sum(value for _, value in shown)
    if not shown or total <= 0:
        return empty_chart(width, height)
    radius = max(min(height / 2 - 10, width / 4), 10)
    cx, cy = radius + 10, height / 2
    body = []
    angle = -math.pi / 2
    for index, (_, value) in enumerate(shown):
        sweep = value / total * 2 * math.pi
        body.append(_slice(cx, cy, radius, angle, sweep, color(index)))
        angle += sweep
    legend_x = cx + radius + 16
    room = max(int((width - legend_x - 16) / CHAR_WIDTH), 6)  # characters that fit beside the pie
    # Label and amount on one line when both fit, else the amount on a second line.
    lines = 1 if all(len(label) + len(fmt(value)) + 9 <= room for label, value in shown) else 2
    row = min(LEGEND_ROW * lines, (height - 10) / len(shown))
    for index, (label, value) in enumerate(shown):
        y = 12 + index * row
        amount = f"{fmt(value)} ({value / total * 100:.0f}%)"
        body.append(f'<rect x="{legend_x:.1f}" y="{y - 8:.1f}" width="9" height="9" fill="{color(index)}"/>')
        if lines == 1:
            body.append(_text(legend_x + 13, y, f"{label}  {amount}", anchor="start"))
            continue
        body.append(_text(legend_x + 13, y, _truncate(label, room), anchor="start"))
        body.append(_text(legend_x + 13, y + LEGEND_ROW - 3, amount, anchor="start", size=8))
    return _svg(width, height, body)


def _slice(cx: float, cy: float, radius: float, start: float, sweep: float, fill: str) -> str:
    if sweep >= 2 * math.pi - 1e-9:
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{fill}"/>'
    x1, y1 = cx + radius * math.cos(start), cy + radius * math.sin(start)
    x2, y2 = cx + radius * math.cos(start + sweep), cy + radius * math.sin(start + sweep)
    large = 1 if sweep > math.pi else 0
    return (
        f'<path d="M{cx:.1f},{cy:.1f} L{x1:.2f},{y1:.2f} A{radius:.1f},{radius:.1f} 0 {large} 1 '
        f'{x2:.2f},{y2:.2f} Z" fill="{fill}" stroke="#ffffff" stroke-width="1"/>'
    )


def empty_chart(width: int, height: int) -> str:
    return _svg(width, height, [_text(width / 2, height / 2, "No data for this period", size=10)])

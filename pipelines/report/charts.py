"""Bar and line charts as inline SVG: a title, labelled axes with units, a legend, nothing fetched.

Small and deterministic on purpose: the report stays one light, self-contained file (a month's
report is a few hundred kilobytes), prints sharply at any size, and needs no plotting library.
Text is escaped here; tick labels come formatted from the caller (Babel, in the reader's locale).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from html import escape

# Okabe–Ito: told apart with every common colour-vision deficiency, and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
WIDTH, HEIGHT = 600, 340
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 92, 12, 70, 70


@dataclasses.dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no value (drawn as a gap, or "–" under a bar)


@dataclasses.dataclass(frozen=True)
class Axis:
    label: str  # what and in which unit, e.g. "ROI (%)"
    tick: Callable[[float], str]  # formats a tick label
    value: Callable[[float], str] | None = None  # formats a bar's own value (default: as a tick)

    def value_text(self, value: float) -> str:
        return (self.value or self.tick)(value)


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], x_label: str, y: Axis) -> str:
    """Grouped bars: one group per category, one bar per series, each labelled with its value."""
    values = [value for one in series for value in one.values if value is not None]
    ticks = nice_ticks(min(values, default=0.0), max(values, default=0.0))
    plot = _Plot(ticks)
    group_width = plot.width / max(len(categories), 1)
    bar_width = min(48.0, group_width * 0.7 / max(len(series), 1))
    parts = [*_frame(title, series, x_label, y, plot, ticks)]
    for index, category in enumerate(categories):
        group_left = MARGIN_LEFT + index * group_width + (group_width - bar_width * len(series)) / 2
        for number, one in enumerate(series):
            value = one.values[index]
            x = group_left + number * bar_width
            if value is None:
                parts.append(_text(x + bar_width / 2, plot.y(0) - 5, "–", anchor="middle", size=13))
                continue
            top, bottom = sorted((plot.y(value), plot.y(0)))
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{top:.1f}" width="{bar_width - 2:.1f}" height="{max(bottom - top, 0.5):.1f}" '
                f'fill="{PALETTE[number % len(PALETTE)]}"><title>{escape(f"{category}, {one.name}: {y.value_text(value)}")}</title></rect>'
            )
            label_y = top - 5 if value >= 0 else bottom + 14
            parts.append(_text(x + bar_width / 2, label_y, y.value_text(value), anchor="middle", size=12))
        parts.append(
            _text(MARGIN_LEFT + (index + 0.5) * group_width, plot.bottom + 19, category, anchor="middle", size=13)
        )
    return _svg(title, parts)


def line_chart(title: str, x_ticks: Sequence[str], series: Sequence[Series], x_label: str, y: Axis) -> str:
    """Lines over evenly spaced points (days): a gap where a value is None."""
    values = [value for one in series for value in one.values if value is not None]
    ticks = nice_ticks(min(values, default=0.0), max(values, default=0.0))
    plot = _Plot(ticks)
    count = len(x_ticks)
    step = plot.width / max(count - 1, 1)

    def x_of(index: int) -> float:
        return MARGIN_LEFT + (index * step if count > 1 else plot.width / 2)

    parts = [*_frame(title, series, x_label, y, plot, ticks)]
    every = max(1, math.ceil(count / 7))  # at most about seven dates under the axis
    for index in range(0, count, every):
        parts.append(
            f'<line x1="{x_of(index):.1f}" x2="{x_of(index):.1f}" y1="{plot.bottom}" y2="{plot.bottom + 4}" stroke="#666"/>'
        )
        parts.append(_text(x_of(index), plot.bottom + 19, x_ticks[index], anchor="middle", size=12))
    for number, one in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        dash = ' stroke-dasharray="6 3"' if number % 2 else ""
        for run in _runs(one.values):
            points = " ".join(f"{x_of(index):.1f},{plot.y(value):.1f}" for index, value in run)
            if len(run) == 1:
                index, value = run[0]
                parts.append(f'<circle cx="{x_of(index):.1f}" cy="{plot.y(value):.1f}" r="3" fill="{colour}"/>')
            else:
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
    return _svg(title, parts)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 × 10ⁿ apart) covering low..high and always 0."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw_step = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= raw_step)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [tick * step for tick in range(first, last + 1)]


class _Plot:
    """The plotting area and the value → y mapping of a chart."""

    def __init__(self, ticks: list[float]) -> None:
        self.low, self.high = ticks[0], ticks[-1]
        self.top, self.bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
        self.width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.bottom - share * (self.bottom - self.top)


def _frame(title: str, series: Sequence[Series], x_label: str, y: Axis, plot: _Plot, ticks: list[float]) -> list[str]:
    """Title, legend, grid lines with tick labels, axis lines and axis labels."""
    parts = [_text(WIDTH / 2, 22, title, anchor="middle", size=17, weight="bold")]
    legend_x = MARGIN_LEFT
    for number, one in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        parts.append(f'<rect x="{legend_x}" y="36" width="14" height="14" fill="{colour}"/>')
        parts.append(_text(legend_x + 19, 48, one.name, size=13))
        legend_x += 36 + 8 * len(one.name)
    for tick in ticks:
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{plot.y(tick):.1f}" y2="{plot.y(tick):.1f}" '
            f'stroke="{"#666" if tick == 0 else "#ddd"}" stroke-width="1"/>'
        )
        parts.append(_text(MARGIN_LEFT - 6, plot.y(tick) + 4, y.tick(tick), anchor="end", size=12))
    parts.append(f'<line x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT}" y1="{plot.top}" y2="{plot.bottom}" stroke="#666"/>')
    parts.append(_text(MARGIN_LEFT + plot.width / 2, HEIGHT - 12, x_label, anchor="middle", size=13))
    centre = (plot.top + plot.bottom) / 2
    parts.append(_text(18, centre, y.label, anchor="middle", size=13, rotate=(18, centre)))
    return parts


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive non-None values with their positions."""
    runs: list[list[tuple[int, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((index, float(value)))
    return [run for run in runs if run]


def _text(
    x: float, y: float, content: str, anchor: str = "start", size: int = 11, weight: str = "normal", rotate=None
) -> str:
    transform = f' transform="rotate(-90 {rotate[0]:.1f} {rotate[1]:.1f})"' if rotate else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" font-weight="{weight}"'
        f"{transform}>{escape(content)}</text>"
    )


def _svg(title: str, parts: list[str]) -> str:
    body = "\n".join(parts)
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart"><title>{escape(title)}</title>\n{body}\n</svg>'
    )

"""Bar and line charts as inline SVG, drawn by matplotlib: a title, labelled axes, a legend, nothing fetched.

matplotlib chooses the ticks and lays out every text with the font's own metrics (DejaVu Sans, which
it ships, so the layout is the same on every machine); we only say what to draw. The output stays
one light, self-contained <svg> per chart: text kept as text (searchable, sharp in print), no
scripts, no fonts or URLs, the same bytes for the same input. Numbers come formatted by the
caller's callables (Babel, in the reader's locale); matplotlib escapes every text it writes.

matplotlib is imported inside the functions: it costs about a second, which only a report should pay.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import re
from collections.abc import Callable, Sequence
from html import escape
from itertools import combinations
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib itself loads only when a chart is drawn
    from matplotlib.typing import RcKeyType

# Okabe–Ito: told apart with every common colour-vision deficiency, and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
SIZE_INCHES = (6.0, 3.4)  # the SVG's user units are points: a 432 × 245 viewBox, scaled by the page
FONT_SIZE = 9.5
MAX_DECIMALS = 8
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text as <text>, not outlines
    "svg.hashsalt": "social-roi",  # clip-path and marker ids from this salt, not from random numbers
    "text.parse_math": False,  # a "$" in a campaign's name is a dollar, not mathtext
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # shipped with matplotlib: measured the same everywhere
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#666666",
    "axes.axisbelow": True,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
}
# What a chart's SVG must not say about when or by what it was made (it would change the bytes).
METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


@dataclasses.dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no value (drawn as a gap, or "–" at a bar's place)


@dataclasses.dataclass(frozen=True)
class Axis:
    label: str  # what and in which unit, e.g. "ROI (%)"
    tick: Callable[[float, int], str]  # formats a tick label with the given number of decimals
    value: Callable[[float], str] | None = None  # formats a bar's own value (default: as a tick, 2 decimals)

    def value_text(self, value: float) -> str:
        return self.value(value) if self.value else self.tick(value, 2)


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], x_label: str, y: Axis) -> str:
    """Grouped bars: one group per category, one bar per series, each labelled with its value,
    above a rise and below a fall, never over another label or an axis's labels."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(title)
        count = max(len(series), 1)
        width = 0.8 / count
        labels = []
        for number, one in enumerate(series):
            positions = [index - 0.4 + width * (number + 0.5) for index in range(len(categories))]
            heights = [0.0 if value is None else float(value) for value in one.values]
            bars = axes.bar(positions, heights, width * 0.92, color=_colour(number), label=one.name)
            texts = ["–" if value is None else y.value_text(value) for value in one.values]
            labels += axes.bar_label(bars, texts, padding=3, fontsize=FONT_SIZE - 0.5)
        axes.axhline(0, color="#666666", linewidth=0.8)
        axes.set_xticks(range(len(categories)), categories)
        axes.tick_params(axis="x", length=0)
        axes.grid(False, axis="x")
        _value_axis(axes, y, _values(series), with_labels=True)
        _finish(figure, axes, series, x_label, labels)
        return _svg(figure, title)


def line_chart(title: str, x_ticks: Sequence[str], series: Sequence[Series], x_label: str, y: Axis) -> str:
    """Lines over evenly spaced points (days): a gap where a value is None, a dot for a lone value."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(title)
        points = range(len(x_ticks))
        for number, one in enumerate(series):
            values = [math.nan if value is None else float(value) for value in one.values]
            style = {"color": _colour(number), "linewidth": 1.8, "linestyle": "--" if number % 2 else "-"}
            axes.plot(points, values, label=one.name, **style)
            # a value with no neighbour draws no line: a dot shows it
            lone = [value if _alone(one.values, index) else math.nan for index, value in enumerate(values)]
            axes.plot(points, lone, marker="o", markersize=3.5, linestyle="none", color=style["color"])
        axes.set_xlim(-0.5, max(len(x_ticks) - 0.5, 0.5))
        _value_axis(axes, y, _values(series), with_labels=False)
        every = max(1, math.ceil(len(x_ticks) / 7))  # about seven dates under the axis at most
        axes.set_xticks(points[::every], x_ticks[::every])
        _finish(figure, axes, series, x_label, [])
        return _svg(figure, title)


def _figure(title: str):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE_INCHES, layout="constrained")
    FigureCanvasAgg(figure)  # measures the texts for the layout and the collision checks; saving writes SVG
    figure.suptitle(title, fontweight="bold", fontsize=FONT_SIZE + 2.5)
    return figure, figure.add_subplot()


def _colour(number: int) -> str:
    return PALETTE[number % len(PALETTE)]


def _values(series: Sequence[Series]) -> list[float]:
    return [float(value) for one in series for value in one.values if value is not None]


def _alone(values: Sequence[float | None], index: int) -> bool:
    before = values[index - 1] if index > 0 else None
    after = values[index + 1] if index + 1 < len(values) else None
    return values[index] is not None and before is None and after is None


def _value_axis(axes, y: Axis, values: list[float], with_labels: bool) -> None:
    """Round ticks (1, 2 or 5 × 10ⁿ apart, at least four, always 0) over the values, labelled by the
    caller's formatter with the fewest decimals that tell every tick apart; room for the bars' labels."""
    from matplotlib.ticker import MaxNLocator

    low, high = min([*values, 0.0]), max([*values, 0.0])
    if low == high:
        high = low + 1.0
    locator = MaxNLocator(nbins=5, steps=[1, 2, 5, 10], min_n_ticks=4)
    ticks = [float(tick) for tick in locator.tick_values(low, high)]
    # With 1-2-5 steps and four ticks or more, the first number of decimals at which no two labels
    # are alike is one at which every label is exact (one fewer would round two neighbours alike).
    labels = next(
        (
            texts
            for decimals in range(MAX_DECIMALS + 1)
            if len(set(texts := [y.tick(tick, decimals) for tick in ticks])) == len(texts)
        ),
        [y.tick(tick, MAX_DECIMALS) for tick in ticks],
    )
    axes.set_yticks(ticks, labels)
    span = ticks[-1] - ticks[0]
    if with_labels:  # a bar's label sits beyond its end: a band above the highest and below the lowest
        room = span * 0.12
        axes.set_ylim(min(ticks[0], low - room) if low < 0 else ticks[0], max(ticks[-1], high + room))
    else:  # a line at 0 stays clear of the axis, and the lowest tick's label of the first date's
        axes.set_ylim(ticks[0] - span * 0.05, ticks[-1] + span * 0.02)
    axes.set_ylabel(y.label)


def _finish(figure, axes, series: Sequence[Series], x_label: str, value_labels: list) -> None:
    """Axis label and legend, then the laid-out texts are checked: category names wider than their
    group go on more lines, or are turned if a word alone is; bars' labels that touch any other
    text get smaller, down to 7 pt, still read on paper."""
    axes.set_xlabel(x_label)
    figure.legend(loc="outside lower center", ncols=max(len(series), 1), frameon=False, handlelength=1.6)
    figure.draw_without_rendering()
    names = [text.get_text() for text in axes.get_xticklabels()]
    if value_labels:  # a bar chart: long category names go on more lines, within their bar's group
        _wrap_categories(figure, axes)
        figure.draw_without_rendering()
    if _collide(figure, [text for text in axes.get_xticklabels() if text.get_text()]):
        # a word wider than its group: the names on one line each, turned, and the chart made
        # taller by what they take, so that the plot keeps its height
        axes.set_xticks(axes.get_xticks(), names)
        for text in axes.get_xticklabels():
            text.set(rotation=30, horizontalalignment="right", rotation_mode="anchor")
        figure.draw_without_rendering()
        renderer = figure.canvas.get_renderer()
        tallest = max(text.get_window_extent(renderer).height for text in axes.get_xticklabels())
        figure.set_figheight(SIZE_INCHES[1] + tallest / figure.dpi)
        figure.draw_without_rendering()
    size = FONT_SIZE - 0.5
    while value_labels and size > 7 and _collide(figure, value_labels, _texts(figure)):
        size -= 0.5
        for text in value_labels:
            text.set_fontsize(size)
        figure.draw_without_rendering()


def _wrap_categories(figure, axes) -> None:
    """Break each category's name between words so that no line is wider than its group."""
    renderer = figure.canvas.get_renderer()
    labels = axes.get_xticklabels()
    room = axes.get_window_extent(renderer).width / max(len(labels), 1) * 0.94

    def width(line: str, font) -> float:
        return renderer.get_text_width_height_descent(line, font, ismath=False)[0]

    wrapped = []
    for label in labels:
        lines: list[str] = []
        for word in label.get_text().split(" "):
            if lines and width(f"{lines[-1]} {word}", label.get_fontproperties()) <= room:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        wrapped.append("\n".join(lines))
    axes.set_xticks(axes.get_xticks(), wrapped)


def _texts(figure) -> list:
    from matplotlib.text import Text

    return [text for text in figure.findobj(Text) if text.get_visible() and text.get_text()]


def _collide(figure, texts: list, others: list | None = None) -> bool:
    """Whether two of `texts` overlap as laid out, or, given `others`, one of `texts` and one of them
    (upright boxes: a turned name's box is larger than the name, so turned names are not compared
    among themselves)."""
    renderer = figure.canvas.get_renderer()
    boxes = {id(text): text.get_window_extent(renderer) for text in [*texts, *(others or [])]}
    pairs = combinations(texts, 2) if others is None else ((a, b) for a in texts for b in others if a is not b)
    return any(boxes[id(a)].overlaps(boxes[id(b)]) for a, b in pairs)


def _svg(figure, title: str) -> str:
    """The figure as an <svg> element for inline use: no XML prolog, sized by the page's CSS, named."""
    output = io.StringIO()
    figure.savefig(output, format="svg", metadata=METADATA)
    text = output.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib's <style> would apply to the whole page once inline: its two rules go on the <svg>
    text = re.sub(r"\s*<defs>\s*<style[^<]*</style>\s*</defs>", "", text, count=1)
    # ids unique in the report: prefix those of this chart by a digest of its content
    prefix = "c" + hashlib.sha256(text.encode()).hexdigest()[:8] + "-"
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", text)
    # SVG 2's plain href: no second namespace to declare
    text = re.sub(r'xlink:href="#([^"]+)"', rf'href="#{prefix}\1"', text)
    # the page sizes it (no width and height in points); a title for screen readers and tooltips
    named = (
        '<svg xmlns="http://www.w3.org/2000/svg" {} stroke-linejoin="round" stroke-linecap="butt"'
        ' role="img" class="chart" aria-label="{}"><title>{}</title>'
    )
    text = re.sub(
        r'<svg [^>]*?(viewBox="[^"]+")[^>]*>',
        lambda opening: named.format(opening[1], escape(title), escape(title)),
        text,
        count=1,
    )
    return text.strip()

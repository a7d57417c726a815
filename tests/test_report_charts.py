"""The report's charts, drawn from small inputs (no warehouse): readable labels that never run into
each other, ticks told apart however small the values, the reader's number format, gaps for days
without data, and an SVG that is safe to inline, fetches nothing and is the same bytes every time.

Where a text sits is read from the SVG itself (its position, anchor, size and rotation) and its
extent measured with the font the SVG names first (DejaVu Sans, read with fontTools).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from pipelines.report import charts
from pipelines.report.formatting import Formatter

SVG = "{http://www.w3.org/2000/svg}"
NB, EN = Formatter("nb", "NOK"), Formatter("en", "NOK")
CHANNELS = ["Meta Ads (betalt)", "LinkedIn Ads (betalt)", "Facebook (organisk)", "Instagram (organisk)"]


def roi_chart(fmt: Formatter, categories=CHANNELS, values=(-0.552, 1.203, -0.061, 0.12)) -> str:
    return charts.bar_chart(
        "ROI per kanal",
        categories,
        [charts.Series("ROI", list(values))],
        "Kanal",
        charts.Axis("ROI (%)", fmt.axis_percent, fmt.percent),
    )


def texts(svg: str) -> list[str]:
    return ["".join(element.itertext()) for element in ET.fromstring(svg).iter(f"{SVG}text")]


def written(svg: str) -> str:
    """All the chart's text in the order drawn, lines of a name broken over lines joined by spaces."""
    return " ".join(texts(svg))


def tick_labels(svg: str, axis: str) -> list[str]:
    """The tick labels of the `axis` ("x" or "y"), in the order drawn."""
    return [
        "".join(group.itertext()).strip()
        for group in ET.fromstring(svg).iter(f"{SVG}g")
        if re.search(rf"-{axis}tick_\d+$", group.get("id", ""))
    ]


# --- where the texts are --------------------------------------------------------------------------


@cache
def _font(bold: bool):
    from fontTools.ttLib import TTFont
    from matplotlib import get_data_path

    return TTFont(Path(get_data_path()) / "fonts" / "ttf" / f"DejaVuSans{'-Bold' if bold else ''}.ttf")


def text_boxes(svg: str) -> list[tuple[str, list[tuple[float, float]]]]:
    """Each text with the four corners of its box in the SVG's coordinates: as wide as its glyphs'
    advances, from the font's typographic ascender to its descender, turned as the SVG turns it."""
    boxes = []
    for element in ET.fromstring(svg).iter(f"{SVG}text"):
        content = "".join(element.itertext())
        style = dict(
            (key.strip(), value.strip())
            for key, _, value in (part.partition(":") for part in element.get("style", "").split(";"))
        )
        size = float(style["font-size"].removesuffix("px"))
        font = _font(style.get("font-weight") in ("700", "bold"))
        # fontTools sets a table's fields as it decompiles it: no type declares them
        head: Any = font["head"]
        os2: Any = font["OS/2"]
        per_unit = size / head.unitsPerEm
        glyphs, advances = font.getBestCmap(), font["hmtx"]
        width = sum(advances[glyphs.get(ord(char), ".notdef")][0] for char in content) * per_unit
        ascent, descent = os2.sTypoAscender * per_unit, -os2.sTypoDescender * per_unit
        # a one-line text has x and y; a line of a text on several lines is translated there
        moved = re.search(r"translate\((-?[\d.]+)[ ,]+(-?[\d.]+)\)", element.get("transform", ""))
        x, y = (
            (float(element.get("x", "")), float(element.get("y", "")))
            if element.get("x")
            else map(float, moved.groups())
        )
        left = x - width * {"start": 0.0, "middle": 0.5, "end": 1.0}[style.get("text-anchor", "start")]
        corners = [(left, y - ascent), (left + width, y - ascent), (left + width, y + descent), (left, y + descent)]
        turned = re.search(r"rotate\((-?[\d.]+)", element.get("transform", ""))
        angle = math.radians(float(turned[1])) if turned else 0.0
        boxes.append((content, [_turn(corner, (x, y), angle) for corner in corners]))
    return boxes


def _turn(point, centre, angle):
    dx, dy = point[0] - centre[0], point[1] - centre[1]
    return (
        centre[0] + dx * math.cos(angle) - dy * math.sin(angle),
        centre[1] + dx * math.sin(angle) + dy * math.cos(angle),
    )


def overlapping(boxes: list[tuple[str, list[tuple[float, float]]]]) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes (convex, possibly turned) share area: no edge of either separates them."""

    def apart(a, b) -> bool:
        for shape in (a, b):
            for (x1, y1), (x2, y2) in zip(shape, shape[1:] + shape[:1]):
                normal = (y1 - y2, x2 - x1)
                first = [normal[0] * x + normal[1] * y for x, y in a]
                second = [normal[0] * x + normal[1] * y for x, y in b]
                if max(first) <= min(second) + 1e-6 or max(second) <= min(first) + 1e-6:
                    return True
        return False

    return [(a, b) for (a, box_a), (b, box_b) in combinations(boxes, 2) if not apart(box_a, box_b)]


# --- the behaviours -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [NB, EN], ids=["nb", "en"])
def test_a_falls_label_runs_into_no_channel_name_and_no_other_text(fmt):
    """An ROI of −55 % has its label under the bar, clear of the channel names beneath the axis."""
    svg = roi_chart(fmt)

    boxes = text_boxes(svg)

    assert fmt.percent(-0.552) in [content for content, _ in boxes]
    assert overlapping(boxes) == []


def test_a_fall_to_the_lowest_tick_still_leaves_its_label_room_above_the_channel_names():
    svg = roi_chart(NB, values=(-1.0, 0.4, -0.95, 0.02))

    assert overlapping(text_boxes(svg)) == []


def test_many_long_channel_names_go_on_more_lines_rather_than_run_together():
    names = [f"Kampanje {number}: høstsalg for bedriftskunder" for number in range(1, 8)]

    svg = roi_chart(NB, categories=names, values=(0.52, -0.31, 1.5, 0.07, -0.9, 2.25, 0.0))

    assert all(name in written(svg) for name in names)
    assert overlapping(text_boxes(svg)) == []


def test_wide_money_labels_on_many_bars_stay_apart():
    svg = charts.bar_chart(
        "Kostnad per tusen visninger",
        [f"Kanal {number}" for number in range(1, 9)],
        [charts.Series("CPM", [1234567.89 * number for number in range(1, 9)])],
        "Kanal",
        charts.Axis("NOK", NB.axis_number, NB.money),
    )

    assert overlapping(text_boxes(svg)) == []


def test_a_months_dates_under_a_line_chart_stay_apart():
    days = [f"{day}. okt." for day in range(1, 32)]

    svg = charts.line_chart(
        "Kostnad og verdi per dag, Meta Ads",
        days,
        [charts.Series("Kostnad", [1000.0 + day for day in range(31)]), charts.Series("Verdi", [2500.0] * 31)],
        "Dag",
        charts.Axis("Beløp (NOK)", NB.axis_number),
    )

    assert overlapping(text_boxes(svg)) == []


@pytest.mark.parametrize(
    ("values", "axis"),
    [((0.012, 0.043, 0.0007), (NB.axis_number, NB.ratio)), ((0.0012, 0.0043, -0.0005), (NB.axis_percent, NB.percent))],
    ids=["ROAS under 0,05", "ROI under 0,5 %"],
)
def test_ticks_of_tiny_values_are_told_apart(values, axis):
    svg = charts.bar_chart(
        "Små tall",
        ["Meta", "LinkedIn", "Organisk"],
        [charts.Series("ROAS", list(values))],
        "Kanal",
        charts.Axis("ROAS", *axis),
    )

    ticks = tick_labels(svg, "y")

    read = [float(re.sub(r"[\s%]", "", tick).replace("\u2212", "-").replace(",", ".")) for tick in ticks]
    assert len(ticks) >= 4
    assert read == sorted(set(read)), ticks  # distinct, in order
    assert 0 in read, ticks


def test_ticks_have_no_more_decimals_than_their_step_needs():
    svg = charts.bar_chart(
        "ROAS",
        ["Meta", "LinkedIn"],
        [charts.Series("ROAS", [2.4, 7.8])],
        "Kanal",
        charts.Axis("ROAS", NB.axis_number, NB.ratio),
    )

    assert tick_labels(svg, "y") == ["0", "2", "4", "6", "8"]


def test_norwegian_charts_write_numbers_as_a_norwegian_reader_does():
    roi = roi_chart(NB)
    money = charts.line_chart(
        "Kostnad",
        ["1. okt.", "2. okt."],
        [charts.Series("Kostnad", [1234.5, 2600.0])],
        "Dag",
        charts.Axis("Beløp (NOK)", NB.axis_number),
    )

    assert "−55,2\u00a0%" in texts(roi)  # decimal comma, the minus sign U+2212, a space before %
    assert any(tick.startswith("−") and tick.endswith("\u00a0%") for tick in tick_labels(roi, "y"))
    assert "-" not in "".join(texts(roi))
    assert "2\u00a0500" in tick_labels(money, "y")  # thousands grouped with a no-break space


def test_english_charts_write_numbers_as_an_english_reader_does():
    roi = roi_chart(EN)
    money = charts.line_chart(
        "Spend",
        ["Oct 1", "Oct 2"],
        [charts.Series("Spend", [1234.5, 2600.0])],
        "Day",
        charts.Axis("Amount (NOK)", EN.axis_number),
    )

    assert "-55.2%" in texts(roi)
    assert "2,500" in tick_labels(money, "y")


def test_days_without_data_are_gaps_in_the_line_not_zeros():
    values = [100.0, 120.0, None, None, 130.0, 90.0, None, 110.0, None, 105.0, 95.0]

    svg = charts.line_chart(
        "Kostnad per dag",
        [f"{day}. okt." for day in range(1, 12)],
        [charts.Series("Kostnad", values)],
        "Dag",
        charts.Axis("Beløp (NOK)", NB.axis_number),
    )

    root = ET.fromstring(svg)
    first_colour = charts.PALETTE[0].lower()
    [line] = [
        path.get("d")
        for path in root.iter(f"{SVG}path")
        if f"stroke: {first_colour}" in path.get("style", "") and "clip-path" in path.attrib
    ]
    runs = [len(re.findall(r"[ML] ", run)) for run in re.split(r"(?=M )", line.strip()) if run]
    assert runs == [2, 2, 1, 2]  # the days with data, 1–2, 5–6, 8 and 10–11; nothing drawn between
    dots = [use for use in root.iter(f"{SVG}use") if f"fill: {first_colour}" in use.get("style", "")]
    assert len(dots) == 1  # the 8th, alone between two days without data, is a dot


def test_names_are_escaped_and_the_svg_fetches_nothing_and_runs_nothing():
    names = ["<script>alert(1)</script>", "Ads & <b>Co</b>", "Høstkampanje $5 & $10", "Æøå 'quoted' \"too\""]

    title = r"ROI for <Meta> & Co, \1 \g<0>"

    svg = charts.bar_chart(
        title, names, [charts.Series("ROI & <b>", [0.1, -0.2, 0.3, None])], "Kanal", charts.Axis("ROI", NB.axis_percent)
    )

    assert all(name in written(svg) for name in [title, *names])  # parses as XML, each written as given
    assert ET.fromstring(svg).get("aria-label") == title
    assert "<script" not in svg and "<b>" not in svg
    assert set(re.findall(r"https?://[^\s\"'<>)]*", svg)) == {"http://www.w3.org/2000/svg"}
    assert "<style" not in svg and "@import" not in svg and "url(" not in svg.replace("url(#", "")
    assert not re.search(r"\bon\w+\s*=", svg)  # no event handler attribute


def test_a_chart_is_the_same_bytes_every_time_and_its_ids_are_its_own():
    chart = roi_chart(NB)
    again = subprocess.run(
        [sys.executable, "-c", "import sys, test_report_charts as t; sys.stdout.write(t.roi_chart(t.NB))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent,
        env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": os.pathsep.join(sys.path)},
    ).stdout
    other = roi_chart(NB, values=(0.1, 0.2, 0.3, 0.4))

    assert roi_chart(NB) == chart
    assert again == chart  # another process, another hash seed: the same bytes
    ids = re.findall(r'\bid="([^"]+)"', chart)
    assert len(ids) == len(set(ids))
    assert not set(ids) & set(re.findall(r'\bid="([^"]+)"', other))  # two charts in one page share no id
    assert "<metadata" not in chart  # no date, no producer: nothing that changes from run to run

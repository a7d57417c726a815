"""Build the report for a period from the warehouse, and write it to a file."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from connectors import clock
from pipelines.lake import Lake
from pipelines.private_files import write_private
from pipelines.report.figures import Figures, ReportError, read_figures
from pipelines.report.labels import LOCALES
from pipelines.report.render import render_both

# The headline's figures as plain numbers (Dagster metadata): all social, this and the previous period.
HEADLINE_FIGURES = (
    "total_cost",
    "spend",
    "other_costs",
    "revenue",
    "valued_conversions_value",
    "return_value",
    "roi_on_revenue",
    "roi",
    "paid_roas",
    "organic_revenue",
)


@dataclasses.dataclass(frozen=True)
class Report:
    """One period's report: the HTML file's text and what a caller may want to say about it."""

    html: str
    headline: dict[str, float | None]
    period: tuple[dt.date, dt.date]
    previous_period: tuple[dt.date, dt.date]
    missing_days: list[dt.date]
    is_empty: bool
    locale: str
    summary_html: str  # the headline and KPI status as an HTML fragment, for a mail's body


def build_report(warehouse: Path | Lake, start: dt.date, end: dt.date, locale: str = "nb") -> Report:
    """The report for start..end (inclusive) against the period before, from the warehouse read-only.

    A period without data gives a report that says so; a partly loaded one names the missing days."""
    if locale not in LOCALES:
        raise ReportError(f"The report speaks {' and '.join(LOCALES)}, not {locale!r}: pick one of those.")
    figures = read_figures(warehouse if isinstance(warehouse, Lake) else Path(warehouse), start, end)
    html, summary_html = render_both(figures, locale, clock.today())
    return Report(
        html=html,
        headline=headline_numbers(figures),
        period=figures.period,
        previous_period=figures.previous_period,
        missing_days=figures.missing_days,
        is_empty=figures.is_empty,
        locale=locale,
        summary_html=summary_html,
    )


def write_report(report: Report, out: Path) -> Path:
    """Write the report's HTML to `out` (UTF-8, readable by its owner only), creating its folder; a
    link at `out` is replaced, never written through. Returns the path."""
    return write_private(Path(out), report.html)


def headline_numbers(figures: Figures) -> dict[str, float | None]:
    numbers: dict[str, float | None] = {}
    for prefix, totals in (("", figures.totals), ("previous_", figures.previous_totals)):
        for name in HEADLINE_FIGURES:
            value = totals[name]
            numbers[prefix + name] = None if value is None else float(value)
    numbers["missing_days"] = float(len(figures.missing_days))
    return numbers

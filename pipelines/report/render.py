"""The report's HTML: one self-contained file (inline CSS and SVG, system fonts, no script, nothing
fetched), readable on a laptop and printed on A4 with a page per section."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from pipelines.report.budget import budget_table
from pipelines.report.campaigns import campaign_tables, top_campaigns
from pipelines.report.data_notes import data_notes, tracking_problem
from pipelines.report.figures import Figures
from pipelines.report.labels import channel_name
from pipelines.report.sections import Sections

TEMPLATES = Path(__file__).parent / "templates"


def render_html(figures: Figures, locale: str, today: dt.date) -> str:
    return render_both(figures, locale, today)[0]


def render_both(figures: Figures, locale: str, today: dt.date) -> tuple[str, str]:
    """The report's HTML and its summary (the headline and the KPI status as an HTML fragment, for
    a mail's body), from one reading of the sections: each chart is drawn once."""
    context = report_context(figures, locale, today)
    return template("report.html.j2").render(context), template("summary.html.j2").render(context)


def report_context(figures: Figures, locale: str, today: dt.date | None) -> dict[str, Any]:
    sections = Sections(figures, locale)
    fmt, words = sections.fmt, sections.words
    start, end = figures.period
    context: dict[str, Any] = {
        "lang": locale,
        "w": words,
        "title": words["title"],
        "period": fmt.period(start, end),
        "period_days": f"{fmt.date(start)} – {fmt.date(end)}",
        "previous_period": fmt.period(*figures.previous_period),
        "year_before": fmt.period(*figures.year_before) if figures.year_before else None,
        "currency_note": words["currency_note"].format(
            currency=figures.currency, revenue_source=words[f"revenue_source_{figures.revenue_source}"]
        ),
        "generated": words["generated"].format(date=fmt.date(today)) if today else "",
        "empty": figures.is_empty,
        "partly_loaded": words["partly_loaded"].format(days=fmt.day_ranges(figures.missing_days))
        if figures.missing_days and not figures.is_empty
        else None,
    }
    if figures.is_empty:
        first, last = figures.loaded
        context["loaded_note"] = (
            words["no_data_loaded"].format(first=fmt.date(first), last=fmt.date(last))
            if first and last
            else words["no_data_at_all"]
        )
        return context
    tracking = tracking_problem(sections)
    return context | {
        "headline_scope": words["headline_scope"].format(
            channels=", ".join(channel_name(channel) for channel in figures.totals["channels"] or [])
        ),
        "headline": sections.headline(),
        "headline_provisional": words["headline_provisional"].format(days=fmt.count(figures.totals["provisional_days"]))
        if figures.totals["provisional_days"]
        else "",
        "kpi": sections.kpi(),
        "kpi_intro": words["kpi_intro"].format(end=fmt.date(end)),
        "channels": sections.channels(),
        "budget": budget_table(sections),
        "efficiency": sections.efficiency_charts(),
        "campaigns": campaign_tables(sections, tracking["campaign_ids"] if tracking else set()),
        "tracking": tracking,
        "revenue_label": f"revenue_{figures.revenue_source}",
        "over_time": sections.over_time_charts(),
        "trend": sections.trend(),
        "funnel": sections.funnel(),
        "claims": sections.claims(),
        "top": top_campaigns(sections),
        "audience": sections.audience(),
        "conversions_label": words[f"conversions_{sections.counted}"],
        "notes": data_notes(sections),
    }


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template(name: str) -> jinja2.Template:
    return _environment().get_template(name)

"""Writing and delivering the monthly report: what `social-roi report` and the Dagster asset share.

No Dagster here, so the CLI can write a report without loading the code location.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from connectors import clock
from pipelines.lake import Lake
from pipelines.settings import ReportSettings, Settings

if TYPE_CHECKING:  # the report's modules (matplotlib, Jinja) load only when a report is written
    from pipelines.report import Report


class ReportNotWritten(Exception):
    """The report could not be written (no warehouse yet, a bad period); the message says what to do."""


@dataclasses.dataclass(frozen=True)
class WrittenReport:
    report: Report
    html: Path
    pdf: Path | None
    pdf_problem: str = ""  # why there is no PDF, when there is none

    @property
    def headline_markdown(self) -> str:
        rows = "\n".join(f"| {name} | {value} |" for name, value in self.report.headline.items())
        return f"| figure | value |\n|---|---|\n{rows}"


@dataclasses.dataclass(frozen=True)
class Delivery:
    outcome: str  # what happened, for the run's metadata
    problem: str | None = None  # why it failed, when it did


def last_complete_month(today: dt.date) -> str:
    """YYYY-MM of the month before `today`'s."""
    return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def resolve_period(period: str | None, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """A calendar month (YYYY-MM) or an explicit start..end; by default the last complete month."""
    from pipelines.report import month_period
    from pipelines.report.periods import check_comparable

    if start or end:
        if not (start and end):
            raise ValueError("give both --start and --end, or --period YYYY-MM")
        if end < start:
            raise ValueError(f"--end {end} is before --start {start}")
        first, last = start, end
    else:
        try:
            first, last = month_period(period or last_complete_month(clock.today()))
        except ValueError:
            raise ValueError(f"--period {period!r}: give a month as YYYY-MM, e.g. 2026-10") from None
    check_comparable(first, last)
    return first, last


def write_period_report(
    period: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    out: Path | None = None,
    pdf: bool = False,
    read_published: bool = True,
    env: Mapping[str, str] = os.environ,
) -> WrittenReport:
    """Write the report for the period from the warehouse as it stands (no sync), and its PDF when
    asked and Chromium is there. The CLI reads the published copy (never locked by a sync); the
    asset, which runs in the warehouse pool, reads the warehouse itself."""
    from pipelines.report import build_report, write_report
    from pipelines.report.pdf import ChromiumMissingError, html_to_pdf

    first, last = resolve_period(period, start, end)
    if out is not None and Path(out).suffix.lower() == ".pdf":
        # The PDF is the HTML file's name with .pdf: printed, it would replace the page it prints.
        raise ValueError(
            f"--out {out}: --out names the HTML file, and the PDF is written beside it with .pdf; "
            f"give --out {Path(out).with_suffix('.html')} for {out}."
        )
    settings, report_settings = Settings.from_env(env), ReportSettings.from_env(env)
    # a lake is read directly: it has no published copy
    lake = isinstance(settings.warehouse, Lake)
    source = settings.published if read_published and not lake and settings.published.exists() else settings.warehouse
    if not source.exists():
        raise ReportNotWritten(f"There is no warehouse at {source} yet: run a sync first (or `social-roi demo`).")
    report = build_report(source, first, last, report_settings.locale)
    name = (
        f"social-roi-report-{first:%Y-%m}"
        if (first.day, last) == (1, _month_end(first))
        else f"social-roi-report-{first}_{last}"
    )
    written_html = write_report(report, out or report_settings.directory / f"{name}.html")
    pdf_path, pdf_problem = None, "not asked for"
    if pdf:
        try:
            pdf_path = html_to_pdf(written_html, written_html.with_suffix(".pdf"))
            pdf_problem = ""
        except ChromiumMissingError as missing:
            pdf_problem = str(missing)
    return WrittenReport(report, written_html, pdf_path, pdf_problem)


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def deliver(written: WrittenReport, required: bool = False, env: Mapping[str, str] = os.environ) -> Delivery:
    """Mail the report when SOCIAL_ROI_REPORT_EMAIL_TO is set (with `required`, it must be)."""
    from pipelines.report.delivery import DeliveryError, EmailSettings, send_report

    try:
        email = EmailSettings.from_env(env)
    except ValueError as half_configured:  # SettingsError: names what to set
        return Delivery("not sent", str(half_configured))
    if email is None:
        if required:
            return Delivery("not sent", "set SOCIAL_ROI_REPORT_EMAIL_TO and the SMTP settings to mail the report")
        return Delivery("not configured: set SOCIAL_ROI_REPORT_EMAIL_TO to mail the report")
    first, last = written.report.period
    attachments = [written.html] + ([written.pdf] if written.pdf else [])
    try:
        send_report(email, f"Social media report {first}..{last}", summary_html(written), attachments)
    except DeliveryError as error:
        return Delivery("not sent", str(error))
    return Delivery(f"sent to {', '.join(email.recipients)}")


def summary_html(written: WrittenReport) -> str:
    """The mail's body: the headline figures and the KPI status, as the report states them."""
    if written.report.summary_html:
        return written.report.summary_html
    rows = "".join(
        f"<tr><th align='left'>{html.escape(str(name))}</th><td>{html.escape(str(value))}</td></tr>"
        for name, value in written.report.headline.items()
    )
    return f"<p>The social media report is attached.</p><table>{rows}</table>"

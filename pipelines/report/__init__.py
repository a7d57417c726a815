"""The report for management: one period's social-media results as ONE self-contained HTML file.

    report = build_report(Path("data/published.duckdb"), date(2026, 10, 1), date(2026, 10, 31), "nb")
    write_report(report, Path("reports/2026-10.html"))

Everything it states is read from the warehouse's marts with their own definitions (figures.py and
the queries in sql/); labels per locale are in labels.py, numbers and dates formatted by Babel
(formatting.py), charts drawn as inline SVG (charts.py). Delivery by mail and PDF printing are
delivery.py and pdf.py.
"""

from pipelines.report.build import Report, build_report, write_report
from pipelines.report.figures import ReportError
from pipelines.report.periods import month_period, previous_period

__all__ = ["Report", "ReportError", "build_report", "month_period", "previous_period", "write_report"]

"""What the report states, read from the warehouse with the warehouse's own definitions.

Every figure comes from the marts: the ROI table macros for the period (`roi_by_channel_between`,
`roi_by_campaign_between`), the daily marts for the series over time, `kpi_progress`,
`budget_daily`, `unmatched_campaigns`, GA4's incompleteness flags and the exchange rates. The queries are the
`.sql` files beside this module; nothing here computes a ratio of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pipelines.lake import Lake, open_warehouse
from pipelines.report.periods import days_of, previous_period, trend_months, year_before

SQL_DIR = Path(__file__).parent / "sql"

Row = dict[str, Any]

# The warehouse's table macros the report reads a period through (created at the end of every dbt build).
WINDOW_MACROS = (
    "roi_by_channel_between",
    "roi_by_campaign_between",
    "roi_social_totals_between",
    "unmatched_campaigns_between",
    "kpi_progress_until",
    "audience_between",
)
# Marts added after the ROI tables that the report reads directly.
REQUIRED_MARTS = ("fx_rates_applied",)


class ReportError(ValueError):
    """The report cannot be built; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Figures:
    """Everything the report shows for one period, as the warehouse holds it (numbers unformatted)."""

    period: tuple[dt.date, dt.date]
    previous_period: tuple[dt.date, dt.date]
    year_before: tuple[dt.date, dt.date] | None  # only when the warehouse holds data for it
    currency: str
    revenue_source: str
    revenue_vat: str  # included, excluded or unknown (SOCIAL_ROI_REVENUE_VAT)
    totals: Row  # all social, this period (social_totals.sql)
    previous_totals: Row
    year_before_totals: Row | None
    channels: list[Row]  # the ad channels' rows of roi_by_channel_between, paid and organic apart
    previous_channels: list[Row]
    campaigns: list[Row]  # roi_by_campaign_between, by return
    daily: list[Row]  # date_day × channel: spend, return_value (paid)
    kpi: list[Row]
    budget: list[Row]  # per channel and what the budget covers: budget against actual (budget.sql)
    audience: list[Row]  # per network: followers at the start and end, growth, engagements (audience.sql)
    top_posts: list[Row]
    unmatched: list[Row]
    ga4_flagged_days: list[Row]
    currencies: list[Row]
    conversion_values: list[Row]  # the agreed values behind the period's valued conversions
    ledger_costs: list[Row]  # the cost ledger's costs on the period's days, per channel and category
    days_with_data: list[dt.date]
    previous_days_with_data: list[dt.date]
    loaded: tuple[dt.date | None, dt.date | None]  # the first and last day the warehouse holds
    # all social per calendar month, the last 6 months up to the period's end (months with data only):
    # social_totals.sql's row with the month's first and last day and how many of its days are loaded
    trend: list[Row] = dataclasses.field(default_factory=list)

    @property
    def missing_days(self) -> list[dt.date]:
        held = set(self.days_with_data)
        return [day for day in days_of(*self.period) if day not in held]

    @property
    def comparable(self) -> bool:
        """Both this period and the previous one are fully loaded: only then is a change meaningful."""
        return not self.missing_days and len(self.previous_days_with_data) == len(days_of(*self.previous_period))

    @property
    def is_empty(self) -> bool:
        return not self.days_with_data


def read_figures(warehouse: Path | Lake, start: dt.date, end: dt.date) -> Figures:
    """Read the period's figures (and its comparison periods') from the warehouse, read-only."""
    if end < start:
        raise ReportError(f"The period ends ({end}) before it starts ({start}): give the start first.")
    if not warehouse.exists():
        raise ReportError(
            f"There is no warehouse at {warehouse}: run a sync first (social-roi sync, or social-roi demo)."
        )
    with open_warehouse(warehouse, read_only=True) as connection:
        _require_roi_tables(connection, warehouse)
        connection.execute(_sql("report_macros"))
        period = {"start": start, "end": end}
        before = previous_period(start, end)
        previous = {"start": before[0], "end": before[1]}
        [settings] = _rows(connection, "warehouse_settings")
        currency = settings["reporting_currency"] or "NOK"
        last_year = year_before(start, end)
        last_year_params = {"start": last_year[0], "end": last_year[1]}
        has_last_year = bool(_rows(connection, "days_with_data", **last_year_params))
        [loaded] = _rows(connection, "loaded_days")
        return Figures(
            period=(start, end),
            previous_period=before,
            year_before=last_year if has_last_year else None,
            currency=currency,
            revenue_source=settings["revenue_source"] or "ga4",
            revenue_vat=settings["revenue_vat"] or "unknown",
            totals=_rows(connection, "social_totals", **period)[0],
            previous_totals=_rows(connection, "social_totals", **previous)[0],
            year_before_totals=_rows(connection, "social_totals", **last_year_params)[0] if has_last_year else None,
            channels=_rows(connection, "channels", **period),
            previous_channels=_rows(connection, "channels", **previous),
            campaigns=_rows(connection, "campaigns", **period),
            daily=_rows(connection, "daily_spend_and_return", **period),
            kpi=_rows(connection, "kpi_targets", **period),
            budget=_rows(connection, "budget", **period),
            audience=_rows(connection, "audience", **period),
            top_posts=_rows(connection, "top_posts", **period),
            unmatched=_rows(connection, "unmatched", **period),
            ga4_flagged_days=_rows(connection, "ga4_flagged_days", **period),
            currencies=_rows(connection, "currencies", **period, reporting_currency=currency),
            conversion_values=_rows(connection, "conversion_values_used", **period),
            ledger_costs=_rows(connection, "ledger_costs", **period),
            days_with_data=sorted(row["date_day"] for row in _rows(connection, "days_with_data", **period)),
            previous_days_with_data=sorted(row["date_day"] for row in _rows(connection, "days_with_data", **previous)),
            loaded=(loaded["first_day"], loaded["last_day"]),
            trend=_trend(connection, end),
        )


def _trend(connection: duckdb.DuckDBPyConnection, end: dt.date) -> list[Row]:
    months = []
    for first, last in trend_months(end):
        loaded = len(_rows(connection, "days_with_data", start=first, end=last))
        if loaded:
            [totals] = _rows(connection, "social_totals", start=first, end=last)
            months.append(totals | {"month_start": first, "month_end": last, "days_loaded": loaded})
    return months


def _require_roi_tables(connection: duckdb.DuckDBPyConnection, warehouse: Path | Lake) -> None:
    """The report reads table macros and marts a dbt build of this version creates: a warehouse
    built by an earlier version lacks some until its next sync or rebuild."""
    [(macros,)] = connection.execute(
        "select count(*) from duckdb_functions() where schema_name = 'marts' "
        f"and function_name in ({', '.join(repr(name) for name in WINDOW_MACROS)})"
    ).fetchall()
    [(tables,)] = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' "
        f"and table_name in ({', '.join(repr(name) for name in REQUIRED_MARTS)})"
    ).fetchall()
    if macros < len(WINDOW_MACROS) or tables < len(REQUIRED_MARTS):
        raise ReportError(
            f"The warehouse at {warehouse} has no ROI tables for a period yet (marts.roi_by_channel_between and "
            "the other tables and table macros a dbt build of this version creates): "
            "run a sync (social-roi sync) or social-roi rebuild first."
        )
    [(budget_tables,)] = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = 'budget_daily'"
    ).fetchall()
    if not budget_tables:
        raise ReportError(
            f"The warehouse at {warehouse} has no marts.budget_daily yet (this version added it): "
            "run social-roi rebuild, or tonight's sync, first."
        )


def _rows(connection: duckdb.DuckDBPyConnection, query: str, **parameters: Any) -> list[Row]:
    cursor = connection.execute(_sql(query), parameters)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")

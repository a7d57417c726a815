"""The one daily partitioning every partitioned asset shares, and its window arithmetic."""

import datetime as dt

import dagster as dg

# Meta keeps about 37 months of insights; nobody backfills further than that.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2023-01-01")

# Every partitioned asset uses the same policy: a range is ONE run, never one run per day that
# would race for the DuckDB lock (see reference/dagster-dbt-notes.md, point 6).
single_run = dg.BackfillPolicy.single_run()


def partition_dates(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The inclusive first and last day of the partitions being materialized."""
    window = context.partition_time_window
    return window.start.date(), (window.end - dt.timedelta(days=1)).date()

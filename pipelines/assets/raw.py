"""Raw ingestion assets, one per platform, all built by the same factory."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import dagster as dg

from connectors.errors import PlatformError
from connectors.registry import RAW_SOURCES
from connectors.source import RawSource
from pipelines import warehouse
from pipelines.partitions import daily_partitions, partition_dates, single_run
from pipelines.settings import warehouse_path

# Platform calls are retried inside the connectors; this covers what outlasts them (a platform
# down for minutes). Auth and config errors opt out through Failure(allow_retries=False).
RAW_RETRY = dg.RetryPolicy(max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def build_raw_asset(source: RawSource) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", source.table],
        description=f"Daily {source.platform} data as the platform reports it, one row per {source.slice_column} × day × object. "
        f"Each materialization replaces the (account, day) slices of its window in one transaction.",
        group_name="ingestion",
        kinds={source.platform, "duckdb"},
        partitions_def=daily_partitions,
        backfill_policy=single_run,
        retry_policy=RAW_RETRY,
        pool="warehouse",
    )
    def raw_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        since, until = partition_dates(context)
        since -= dt.timedelta(days=source.lookback_days)
        database = warehouse_path()
        try:
            settings = source.settings_from_env(os.environ)
            if settings is None:
                context.log.info(f"{source.platform}: skipped, not configured (set {source.credentials_hint} to ingest it).")
                warehouse.create_empty_raw_table(database, source)
                return dg.MaterializeResult(metadata={"skipped": True, "rows": 0})
            with tempfile.TemporaryDirectory(prefix=f"social-roi-{source.platform}-") as staging_dir:
                staged = warehouse.stage_records(source.fetch(settings, since, until), Path(staging_dir), since, until)
                warehouse.replace_slices(database, source, staged)
        except PlatformError as error:  # settings that cannot even be read
            raise dg.Failure(description=str(error), allow_retries=error.retryable) from None
        if staged.slices:
            context.log.info(f"{source.platform}: replaced {len(staged.slices)} {source.slice_column}(s) × {since}..{until} with {staged.rows} rows")
        if staged.failures:
            # The healthy slices are loaded and committed; the failed ones keep their earlier data.
            raise dg.Failure(
                description="\n".join(str(failure) for failure in staged.failures),
                metadata={"loaded": ", ".join(staged.slices) or "none", "failed": ", ".join(f.account or "?" for f in staged.failures)},
                allow_retries=all(failure.retryable for failure in staged.failures),
            )
        return dg.MaterializeResult(
            metadata={
                "rows": staged.rows,
                source.slice_column: ", ".join(staged.slices),
                "window": f"{since}..{until}",
                "table": f"{warehouse.RAW_SCHEMA}.{source.table}",
            }
        )

    raw_asset.__name__ = f"raw_{source.table}"
    return raw_asset


raw_assets = [build_raw_asset(source) for source in RAW_SOURCES]

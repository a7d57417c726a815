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
from pipelines.schedules import platform_window_from_tags
from pipelines.settings import warehouse_path

# Platform calls are retried inside the connectors; this covers what outlasts them (a platform
# down for minutes). Settings errors opt out through Failure(allow_retries=False).
RAW_RETRY = dg.RetryPolicy(max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
EVERY_SLICE_SYNCED = "every_account_synced"


def fetch_window(context: dg.AssetExecutionContext, source: RawSource) -> tuple[dt.date, dt.date]:
    """The days to fetch: the nightly schedule's window for this platform when it launched the run
    (inside the run's range), else the whole partition range; plus the source's lookback."""
    since, until = platform_window_from_tags(context.run.tags, source.platform) or partition_dates(context)
    return since - dt.timedelta(days=source.lookback_days), until


def build_raw_asset(source: RawSource) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", source.table])

    @dg.asset(
        key=key,
        description=f"Daily {source.platform} data as the platform reports it, one row per {source.slice_column} × day × object. "
        f"Each materialization replaces the ({source.slice_column}, day) slices of its window in one transaction.",
        group_name="ingestion",
        kinds={source.platform, "duckdb"},
        partitions_def=daily_partitions,
        backfill_policy=single_run,
        retry_policy=RAW_RETRY,
        pool="warehouse",
        check_specs=[
            dg.AssetCheckSpec(
                EVERY_SLICE_SYNCED,
                asset=key,
                description=f"Every configured {source.slice_column} of {source.platform} was fetched and replaced. A failed one keeps its earlier data.",
            )
        ],
    )
    def raw_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        since, until = fetch_window(context, source)
        database = warehouse_path()
        try:
            settings = source.settings_from_env(os.environ)
        except PlatformError as error:  # half-configured: the user must fix a setting
            raise dg.Failure(description=str(error), allow_retries=False) from None
        if settings is None:
            context.log.info(f"{source.platform}: skipped, not configured (set {source.credentials_hint} to ingest it).")
            warehouse.create_empty_raw_table(database, source)
            return dg.MaterializeResult(
                metadata={"skipped": True, "rows": 0},
                check_results=[dg.AssetCheckResult(check_name=EVERY_SLICE_SYNCED, passed=True, metadata={"skipped": "not configured"})],
            )
        context.log.info(f"{source.platform}: fetching {since}..{until}")
        with tempfile.TemporaryDirectory(prefix=f"social-roi-{source.platform}-") as staging_dir:
            staged = warehouse.stage_records(
                source.fetch(settings, since, until), Path(staging_dir), since, until,
                on_slice=lambda slice_id, rows: context.log.info(f"{source.platform} {slice_id}: {rows} rows for {since}..{until}"),
            )
            warehouse.replace_slices(database, source, staged)
        for failure in staged.failures:
            # One line per failure, in words a non-engineer can act on; the others are loaded.
            context.log.error(f"{source.platform} {failure.account or ''}: {failure}")
        if staged.slices:
            context.log.info(f"{source.platform}: replaced {len(staged.slices)} {source.slice_column}(s) × {since}..{until} with {staged.rows} rows")
        return dg.MaterializeResult(
            metadata={
                "rows": staged.rows,
                source.slice_column: ", ".join(staged.slices) or "none",
                "failed": ", ".join(f.account or "?" for f in staged.failures) or "none",
                "window": f"{since}..{until}",
                "table": f"{warehouse.RAW_SCHEMA}.{source.table}",
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=EVERY_SLICE_SYNCED,
                    passed=not staged.failures,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description="\n".join(str(failure) for failure in staged.failures) or None,
                    metadata={"failed": ", ".join(f.account or "?" for f in staged.failures) or "none"},
                )
            ],
        )

    raw_asset.__name__ = f"raw_{source.table}"
    return raw_asset


raw_assets = [build_raw_asset(source) for source in RAW_SOURCES]

# A nightly sync that stopped running shows up as stale raw tables in the UI.
raw_freshness_checks = dg.build_last_update_freshness_checks(assets=raw_assets, lower_bound_delta=dt.timedelta(hours=26))
freshness_sensor = dg.build_sensor_for_freshness_checks(freshness_checks=raw_freshness_checks, name="raw_freshness")

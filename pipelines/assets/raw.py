"""Raw ingestion assets, one per platform, all built by the same factory."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import dagster as dg

from connectors import clock
from connectors.errors import PlatformError
from connectors.registry import RAW_SOURCES
from connectors.source import RawSource
from pipelines import warehouse
from pipelines.progress import report_progress
from pipelines.redaction import keeps_secrets_out
from pipelines.run_window import daily_partitions, single_run, source_window
from pipelines.settings import warehouse_path
from pipelines.warehouse_writer import RESOURCE_KEY as WAREHOUSE_WRITER
from pipelines.warehouse_writer import lock_conflict_is_final

# Platform calls are retried inside the connectors; this covers what outlasts them (a platform
# down for minutes). A retry fetches the platform again, so whatever a new fetch cannot cure opts
# out through Failure(allow_retries=False): settings errors, and a warehouse another process holds.
RAW_RETRY = dg.RetryPolicy(max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
EVERY_SLICE_SYNCED = "every_account_synced"
# A nightly sync that stopped running shows up as stale raw tables in the UI.
RAW_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26))


# A platform with several raw tables is skipped in each, but the user reads one line per platform:
# the first of its tables in the registry says it.
FIRST_TABLE_OF_PLATFORM = {
    platform: next(source.table for source in RAW_SOURCES if source.platform == platform)
    for platform in dict.fromkeys(source.platform for source in RAW_SOURCES)
}


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
        # the warehouse held by this run alone, from before its first fetch (pipelines/warehouse_writer.py)
        required_resource_keys={WAREHOUSE_WRITER},
        freshness_policy=RAW_FRESHNESS,
        check_specs=[
            dg.AssetCheckSpec(
                EVERY_SLICE_SYNCED,
                asset=key,
                description=f"Every configured {source.slice_column} of {source.platform} was fetched and replaced. A failed one keeps its earlier data.",
            )
        ],
    )
    @keeps_secrets_out
    def raw_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        since, until = source_window(context, source.platform, source.lookback_days)
        database = warehouse_path()
        try:
            settings = source.settings_from_env(os.environ)
        except PlatformError as error:  # half-configured: the user must fix a setting
            raise dg.Failure(description=str(error), allow_retries=False) from None
        if settings is None:
            if FIRST_TABLE_OF_PLATFORM.get(source.platform, source.table) == source.table:
                report_progress(
                    context, f"{source.platform}: skipped, not configured (set {source.credentials_hint} to ingest it)."
                )
            with lock_conflict_is_final(database):
                warehouse.ensure_raw_tables(database, [source])
            return dg.MaterializeResult(
                metadata={"skipped": True, "rows": 0},
                check_results=[
                    dg.AssetCheckResult(
                        check_name=EVERY_SLICE_SYNCED, passed=True, metadata={"skipped": "not configured"}
                    )
                ],
            )
        if source.earliest_day is not None and since < (earliest := source.earliest_day(clock.today())):
            # the platform no longer serves those days: an empty answer must not replace what was loaded
            report_progress(
                context,
                f"{source.platform}: the platform serves {earliest} onwards only; days before it keep what the warehouse holds.",
            )
            since = earliest
        if since > until:
            return dg.MaterializeResult(
                metadata={"rows": 0, "window": "none the platform still serves"},
                check_results=[
                    dg.AssetCheckResult(check_name=EVERY_SLICE_SYNCED, passed=True, metadata={"skipped": "too old"})
                ],
            )
        report_progress(context, f"{source.platform}: fetching {since}..{until}")
        with tempfile.TemporaryDirectory(prefix=f"social-roi-{source.platform}-") as staging_dir:
            staged = warehouse.stage_records(
                source.fetch(settings, since, until),
                Path(staging_dir),
                since,
                until,
                on_slice=lambda slice_id, lines: report_progress(
                    context,
                    f"{source.platform} {slice_id}: {lines} {'pages' if source.pages_sql else 'rows'} for {since}..{until}",
                ),
            )
            with lock_conflict_is_final(database):
                staged = warehouse.replace_slices(database, source, staged)
        for failure in staged.failures:
            # One line per failure, in words a non-engineer can act on; the others are loaded.
            context.log.error(f"{source.platform} {failure.account or ''}: {failure}")
        if staged.slices:
            report_progress(
                context,
                f"{source.platform}: replaced {len(staged.slices)} {source.slice_column}(s) × {since}..{until} with {staged.rows} rows",
            )
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

"""Raw ingestion assets, one per platform, all built by the same factory."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import dagster as dg

from connectors import clock
from connectors.errors import PlatformError
from connectors.platform import ParsePages, Platform, RawTable
from connectors.registry import raw_tables
from pipelines import warehouse
from pipelines.check import credential_lines
from pipelines.progress import report_progress
from pipelines.redaction import keeps_secrets_out
from pipelines.run_limits import warehouse_pool
from pipelines.run_window import single_run, source_window, year_partitions
from pipelines.settings import warehouse_location
from pipelines.warehouse_writer import RESOURCE_KEY as WAREHOUSE_WRITER
from pipelines.warehouse_writer import lock_conflict_is_final

# Platform calls are retried inside the connectors; this covers what outlasts them (a platform
# down for minutes). A retry fetches the platform again, so whatever a new fetch cannot cure opts
# out through Failure(allow_retries=False): settings errors, and a warehouse another process holds.
RAW_RETRY = dg.RetryPolicy(max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
EVERY_SLICE_SYNCED = "every_account_synced"
# A nightly sync that stopped running shows up as stale raw tables in the UI.
RAW_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=26))


def build_raw_asset(platform: Platform, table: RawTable) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", table.name])

    @dg.asset(
        key=key,
        description=f"Daily {platform.name} data as the platform reports it, one row per {table.slice_column} × day × object. "
        f"Each materialization replaces the ({table.slice_column}, day) slices of its window in one transaction.",
        group_name="ingestion",
        kinds={platform.name, "duckdb"},
        partitions_def=year_partitions,
        backfill_policy=single_run,
        retry_policy=RAW_RETRY,
        pool=warehouse_pool(),
        # the warehouse held by this run alone, from before its first fetch (pipelines/warehouse_writer.py)
        required_resource_keys={WAREHOUSE_WRITER},
        freshness_policy=RAW_FRESHNESS,
        check_specs=[
            dg.AssetCheckSpec(
                EVERY_SLICE_SYNCED,
                asset=key,
                description=f"Every configured {table.slice_column} of {platform.name} was fetched and replaced. A failed one keeps its earlier data.",
            )
        ],
    )
    @keeps_secrets_out
    def raw_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        since, until = source_window(context, platform.name, table.lookback_days)
        database = warehouse_location()
        try:
            settings = platform.settings_from_env(os.environ)
        except PlatformError as error:  # half-configured: the user must fix a setting
            raise dg.Failure(description=str(error), allow_retries=False) from None
        if settings is None:
            # a platform with several raw tables is skipped in each, but the user reads one line per platform
            if table is platform.tables[0]:
                report_progress(
                    context, f"{platform.name}: skipped, not configured (set {platform.credentials_hint} to ingest it)."
                )
            with lock_conflict_is_final(database):
                warehouse.ensure_raw_tables(database, [table])
            return dg.MaterializeResult(
                metadata={"skipped": True, "rows": 0},
                check_results=[
                    dg.AssetCheckResult(
                        check_name=EVERY_SLICE_SYNCED, passed=True, metadata={"skipped": "not configured"}
                    )
                ],
            )
        if table is platform.tables[0]:
            # A token that expires within 14 days: said in the run, as `social-roi check` says it, before the night it fails.
            for line in credential_lines(platform, os.environ):
                context.log.warning(f"{platform.name}: {line.detail}")
        if platform.earliest_day is not None and since < (earliest := platform.earliest_day(clock.today())):
            # the platform no longer serves those days: an empty answer must not replace what was loaded
            report_progress(
                context,
                f"{platform.name}: the platform serves {earliest} onwards only; days before it keep what the warehouse holds.",
            )
            since = earliest
        if since > until:  # every day too old for the platform, or none complete yet (a year on its 1st)
            return dg.MaterializeResult(
                metadata={"rows": 0, "window": "no day to fetch: none the platform still serves, or none complete yet"},
                check_results=[
                    dg.AssetCheckResult(
                        check_name=EVERY_SLICE_SYNCED, passed=True, metadata={"skipped": "no day to fetch"}
                    )
                ],
            )
        report_progress(context, f"{platform.name}: fetching {since}..{until}")
        with tempfile.TemporaryDirectory(prefix=f"social-roi-{platform.name}-") as staging_dir:
            staged = warehouse.stage_records(
                table.fetch(settings, since, until),
                Path(staging_dir),
                since,
                until,
                on_slice=lambda slice_id, lines: report_progress(
                    context,
                    f"{platform.name} {slice_id}: {lines} {'pages' if isinstance(table.load, ParsePages) else 'rows'} for {since}..{until}",
                ),
            )
            with lock_conflict_is_final(database):
                staged = warehouse.replace_slices(database, table, staged)
        for failure in staged.failures:
            # One line per failure, in words a non-engineer can act on; the others are loaded.
            context.log.error(f"{platform.name} {failure.account or ''}: {failure}")
        if staged.slices:
            report_progress(
                context,
                f"{platform.name}: replaced {len(staged.slices)} {table.slice_column}(s) × {since}..{until} with {staged.rows} rows",
            )
        return dg.MaterializeResult(
            metadata={
                "rows": staged.rows,
                table.slice_column: ", ".join(staged.slices) or "none",
                "failed": ", ".join(f.account or "?" for f in staged.failures) or "none",
                "window": f"{since}..{until}",
                "table": f"{warehouse.RAW_SCHEMA}.{table.name}",
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

    raw_asset.__name__ = f"raw_{table.name}"
    return raw_asset


raw_assets = [build_raw_asset(platform, table) for platform, table in raw_tables()]

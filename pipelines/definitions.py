"""The Dagster code location: `dagster dev -w workspace.yaml` loads `defs` from here."""

import os

import dagster as dg

from connectors.redaction import scrub_every_log_record
from pipelines.assets.publish import build_publish_asset
from pipelines.assets.raw import raw_assets
from pipelines.assets.report import monthly_report
from pipelines.assets.transform import dbt_models, dbt_resource
from pipelines.progress import progress_logger
from pipelines.run_limits import token_tags, warehouse_tags
from pipelines.schedules import (
    REBUILD_JOB_NAME,
    REPORT_JOB_NAME,
    SYNC_JOB_NAME,
    build_models_after_sync_sensor,
    build_monthly_report_schedule,
    build_nightly_schedule,
)
from pipelines.setting_files import apply_setting_files
from pipelines.settings import CLIENT
from pipelines.warehouse_writer import RESOURCE_KEY as WAREHOUSE_WRITER
from pipelines.warehouse_writer import WarehouseWriter

# The settings and secrets files `social-roi connect` writes, under the environment: a run the daemon launches
# loads this module, and so sees them as the CLI does. Not in a client's process (`--client`, a client's code
# location): its environment was made from them and the client's table, and the single advertiser's settings
# the table lacks were left out on purpose; applying the files again would put them back.
if not os.environ.get(CLIENT):
    apply_setting_files()

# Every log line of every run in this process (ours, the connectors', Dagster's own) is scrubbed of the run's
# secrets as it is made, before any handler or Dagster's storage sees it.
scrub_every_log_record()

# The last step of every sync: analysts query this copy, never the file the sync writes.
published_warehouse = build_publish_asset(after=[dbt_models])

# A sync is two runs (pipelines/runs.py): this one lands the raw tables for a partition range of days;
# the rebuild job then builds the models and publishes for the same days (models_after_sync).
# dbt's tests of the raw tables (source tests) are checks of the raw assets run by the dbt step: with the models.
dbt_tests_of_raw_tables = dg.AssetSelection.checks(
    *(key for key in dbt_models.check_keys if key.asset_key in {asset.key for asset in raw_assets})
)
sync_job = dg.define_asset_job(
    SYNC_JOB_NAME,
    selection=dg.AssetSelection.assets(*raw_assets) - dbt_tests_of_raw_tables,
    description="Pull every configured platform for the selected days; the models, ROI and publication follow in a "
    "rebuild run for the same days (sensor models_after_sync).",
    # its warehouse pool and each platform's credential, fingerprinted: a team's queue runs one run per client and two
    # syncs per credential at a time (pipelines/run_limits.py)
    tags={**warehouse_tags(), **token_tags()},
)

# After a sync, and after editing a mapping, the cost ledger or the KPI targets (config/): recompute the marts for
# the days chosen from the raw data already loaded, and republish. No platform is called.
rebuild_job = dg.define_asset_job(
    REBUILD_JOB_NAME,
    selection=dg.AssetSelection.assets(dbt_models, published_warehouse) | dbt_tests_of_raw_tables,
    description="Rebuild the marts and ROI for the selected days (tag social_roi/days=<first>..<last>; without it, every "
    "day loaded) from the raw data already loaded, then republish.",
    tags=warehouse_tags(),
)

# Last month's report, from the warehouse as the nightly syncs left it (no platform is called).
report_job = dg.define_asset_job(
    REPORT_JOB_NAME,
    selection=dg.AssetSelection.assets(monthly_report),
    description="Write (and mail, when configured) the report for management for a month: the last complete one by default.",
    tags=warehouse_tags(),
)

defs = dg.Definitions(
    assets=[*raw_assets, dbt_models, published_warehouse, monthly_report],
    jobs=[sync_job, rebuild_job, report_job],
    schedules=[build_nightly_schedule(sync_job), build_monthly_report_schedule(report_job)],
    sensors=[build_models_after_sync_sensor({asset.key for asset in raw_assets}, rebuild_job)],
    # Every asset that writes the warehouse requires the writer: one run holds it at a time, from
    # before its first step to its end, however the run was launched (pipelines/warehouse_writer.py).
    resources={"dbt": dbt_resource, WAREHOUSE_WRITER: WarehouseWriter()},
    # Every run of this code location (our sync job, the UI's "Materialize all", a backfill,
    # `dagster asset materialize`) runs its steps one after another in one process: DuckDB allows
    # a single writer, and parallel step processes would fight over the file lock.
    executor=dg.in_process_executor,
    # The console logger stays Dagster's own; `progress` is the CLI's quiet one.
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
)

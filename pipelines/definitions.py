"""The Dagster code location: `dagster dev -w workspace.yaml` loads `defs` from here."""

import dagster as dg

from pipelines.assets.raw import freshness_sensor, raw_assets, raw_freshness_checks
from pipelines.assets.transform import dbt_models, dbt_resource
from pipelines.publish import build_publish_asset
from pipelines.schedules import build_nightly_schedule

# The last step of every sync: analysts query this copy, never the file the sync writes.
published_warehouse = build_publish_asset(after=[dbt_models])

# Ingestion, dbt and ROI in ONE run, steps one after another in one process: DuckDB allows a
# single writer, so parallel steps or processes would fight over the file lock.
sync_job = dg.define_asset_job(
    "sync",
    selection=dg.AssetSelection.all(),
    description="Pull every configured platform for the selected days, then rebuild the marts and ROI for them.",
    executor_def=dg.in_process_executor,
)

defs = dg.Definitions(
    assets=[*raw_assets, dbt_models, published_warehouse],
    asset_checks=raw_freshness_checks,
    jobs=[sync_job],
    schedules=[build_nightly_schedule(sync_job)],
    sensors=[freshness_sensor],
    resources={"dbt": dbt_resource},
)

"""The Dagster code location: `dagster dev -w workspace.yaml` loads `defs` from here."""

import dagster as dg

from pipelines.assets.raw import raw_assets
from pipelines.assets.transform import dbt_models, dbt_resource

# Ingestion, dbt and ROI in ONE run, steps one after another in one process: DuckDB allows a
# single writer, so parallel steps or processes would fight over the file lock.
sync_job = dg.define_asset_job(
    "sync",
    selection=dg.AssetSelection.all(),
    description="Pull every configured platform for the selected days, then rebuild the marts and ROI for them.",
    executor_def=dg.in_process_executor,
)

defs = dg.Definitions(
    assets=[*raw_assets, dbt_models],
    jobs=[sync_job],
    resources={"dbt": dbt_resource},
)

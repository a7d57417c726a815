"""The sync's last asset: publish the warehouse once the ROI tables are built."""

from collections.abc import Sequence

import dagster as dg

from pipelines.lake import Lake
from pipelines.progress import report_progress
from pipelines.publication import PublishError, publish
from pipelines.redaction import keeps_secrets_out
from pipelines.run_limits import warehouse_pool
from pipelines.run_window import single_run
from pipelines.settings import Settings
from pipelines.warehouse_writer import RESOURCE_KEY as WAREHOUSE_WRITER


def build_publish_asset(after: Sequence[dg.AssetKey | dg.AssetsDefinition]) -> dg.AssetsDefinition:
    """The sync's last step: publish once everything in `after` (the ROI tables) is built.

    Downstream of the final tables, so a run whose ingestion, dbt or ROI step failed never gets
    here and analysts keep the last good copy. Not partitioned (one publication per run, whatever its
    days), with the single-run policy so that a partition range from the CLI takes it along; and the
    warehouse pool: the checkpoint needs the writer's lock.
    """

    @dg.asset(
        key=["published", "warehouse"],
        deps=list(after),
        description="A read-only copy of the whole warehouse for ad-hoc SQL, swapped in atomically after each successful sync. "
        "Query it with `social-roi sql`, or duckdb -readonly on the file.",
        group_name="publication",
        kinds={"duckdb"},
        backfill_policy=single_run,
        pool=warehouse_pool(),
        required_resource_keys={WAREHOUSE_WRITER},  # held by this run from its start (pipelines/warehouse_writer.py)
    )
    @keeps_secrets_out
    def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        try:
            settings = Settings.from_env()
            if isinstance(settings.warehouse, Lake):
                # A lake's readers read it directly, each a whole snapshot: a copy would only be older.
                report_progress(context, f"nothing to publish: readers read {settings.warehouse} directly")
                return dg.MaterializeResult(metadata={"published": "not needed: readers read the lake"})
            target = publish(settings.warehouse, settings.published)
        except (PublishError, ValueError) as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        report_progress(context, f"published: {target}")
        return dg.MaterializeResult(metadata={"path": str(target), "bytes": target.stat().st_size})

    return published_warehouse

"""The ROI tables management reads: return per campaign and per channel."""

from pathlib import Path

import dagster as dg
import duckdb

from pipelines.partitions import daily_partitions, partition_dates, single_run
from pipelines.settings import warehouse_path

ROI_SQL = Path(__file__).resolve().parents[1] / "sql" / "roi.sql"
MARTS = [dg.AssetKey(["marts", "ad_performance_daily"]), dg.AssetKey(["marts", "ga4_traffic_by_campaign"])]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["marts", "roi_by_campaign"],
            deps=MARTS,
            description="Spend, platform-claimed and GA4-observed results, ROAS and ROI = (revenue − total cost) / total cost per campaign, over every day in the warehouse.",
            group_name="roi",
            kinds={"duckdb", "sql"},
        ),
        dg.AssetSpec(
            ["marts", "roi_by_channel"],
            deps=MARTS,
            description="The same per channel, with all GA4 traffic of each channel (matched to a campaign or not).",
            group_name="roi",
            kinds={"duckdb", "sql"},
        ),
    ],
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    pool="warehouse",
)
def roi_tables(context: dg.AssetExecutionContext):
    """Recomputed whole from the daily mart: a sum over the mart is cheap, and a backfilled or
    restated day changes campaign totals that span far beyond the window."""
    since, until = partition_dates(context)
    with duckdb.connect(str(warehouse_path())) as connection:
        connection.execute("begin transaction")
        connection.execute(ROI_SQL.read_text())
        connection.execute("commit")
        campaigns = connection.execute("select count(*) from marts.roi_by_campaign").fetchone()[0]
        channels = connection.execute("select count(*) from marts.roi_by_channel").fetchone()[0]
    trigger = {"triggered_by_window": f"{since}..{until}"}
    yield dg.MaterializeResult(asset_key=["marts", "roi_by_campaign"], metadata={"campaigns": campaigns, **trigger})
    yield dg.MaterializeResult(asset_key=["marts", "roi_by_channel"], metadata={"channels": channels, **trigger})

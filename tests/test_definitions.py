"""What `dagster dev -w workspace.yaml` shows: one loadable code location, one lineage graph."""

import datetime as dt
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.freshness import TimeWindowFreshnessPolicy

from connectors.registry import raw_tables
from pipelines.definitions import defs
from pipelines.run_window import month_partitions, year_partitions

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.end_to_end
def test_the_workspace_loads_with_the_dagster_cli(tmp_path):
    dagster = Path(sys.executable).parent / "dagster"

    finished = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]


def test_lineage_runs_from_raw_through_staging_and_mart_to_roi_as_one_graph():
    graph = defs.resolve_asset_graph()
    key = dg.AssetKey

    upstream_of_roi = graph.get(key(["marts", "roi_by_campaign"])).parent_keys
    upstream_of_mart = graph.get(key(["marts", "cost_daily"])).parent_keys
    upstream_of_staging = graph.get(key(["staging", "stg_meta__insights"])).parent_keys

    assert upstream_of_roi == {
        key(["marts", "cost_daily"]),
        key(["marts", "conversions_daily"]),
        key(["marts", "engagement_daily"]),
        key(["marts", "conversions_by_goal"]),
        key(["intermediate", "int_ad_campaigns"]),
        key(["marts", "audience_daily"]),  # the organic pages' reach and engagement, on organic rows only
    }
    assert key(["intermediate", "int_campaign_day"]) in upstream_of_mart
    assert upstream_of_staging == {key(["raw", "meta_ads_insights"])}


def test_the_raw_tables_keep_a_status_per_year_the_report_per_month_and_every_asset_backfills_in_a_single_run():
    graph = defs.resolve_asset_graph()
    nodes = [graph.get(key) for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    partitions = {node.key: node.partitions_def for node in nodes if node.partitions_def is not None}

    assert all(node.backfill_policy == dg.BackfillPolicy.single_run() for node in nodes)
    raw_keys = {dg.AssetKey(["raw", table.name]) for _, table in raw_tables()}
    # the models and the published copy take a run's days as dbt vars: one materialization per run, not per day
    assert partitions == {
        **dict.fromkeys(raw_keys, year_partitions),
        dg.AssetKey(["reports", "monthly_report"]): month_partitions,
    }


def test_every_run_of_the_code_location_runs_its_steps_in_one_process_by_default():
    """The UI's "Materialize all", a backfill and `dagster asset materialize` use the implicit asset
    job, not our sync job: parallel step processes would collide on DuckDB's single-writer lock."""
    implicit = defs.resolve_implicit_global_asset_job_def()

    assert implicit.executor_def is dg.in_process_executor
    assert defs.resolve_job_def("sync").executor_def is dg.in_process_executor


def test_a_raw_table_not_updated_for_26_hours_is_flagged_stale():
    graph = defs.resolve_asset_graph()
    raw_keys = [key for key in graph.get_all_asset_keys() if key.path[0] == "raw" and graph.get(key).is_materializable]

    policies = {key: graph.get(key).freshness_policy for key in raw_keys}

    windows = {policy.fail_window for policy in policies.values() if isinstance(policy, TimeWindowFreshnessPolicy)}
    assert len(policies) == len(raw_tables()) and all(
        isinstance(p, TimeWindowFreshnessPolicy) for p in policies.values()
    )
    assert {window.to_timedelta() for window in windows} == {dt.timedelta(hours=26)}


def test_a_dbt_build_asks_dbt_for_its_version_and_an_adapter_nowhere_but_in_the_dbt_process():
    """SocialRoiDbtCli replaces two private members of dagster-dbt's resource (10 s of a three-day rebuild under cProfile);
    an upgrade that renames them would silently bring both costs back."""
    from dagster_dbt import DbtCliResource

    from pipelines.assets.transform import dbt_resource

    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= set(vars(DbtCliResource)), (
        "dagster-dbt renamed what pipelines/assets/transform.py SocialRoiDbtCli replaces"
    )
    assert str(dbt_resource._cli_version) == importlib.metadata.version("dbt-core")
    assert dbt_resource._initialize_dbt_core_adapter(["build"]) is None

"""Dagster's instance on PostgreSQL (deploy/dagster.yaml), against a real PostgreSQL server started for the test
(tests/postgres_server.py): the team's instance loads with its run queue and pools, and a sync's ingestion run and
its models' run are recorded there, where every machine of the team reads them. `make test-servers` runs these."""

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from pipelines.cli import main
from pipelines.run_window import DAYS_TAG
from pipelines.schedules import REBUILD_JOB_NAME, SYNC_JOB_NAME
from postgres_server import running_postgres

PROJECT_ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def postgres():
    with running_postgres() as server:
        yield server


@pytest.fixture
def team_home(postgres, tmp_path, monkeypatch) -> Path:
    """A DAGSTER_HOME with deploy/dagster.yaml, its connection settings pointing at the test's server."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    for name, value in {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": postgres.host,
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_USER": postgres.user,
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": postgres.database,
    }.items():
        monkeypatch.setenv(name, value)
    return home


def test_the_team_instance_keeps_runs_events_and_ticks_in_postgresql_with_one_run_at_a_time(team_home):
    with dg.DagsterInstance.from_config(str(team_home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        settings = instance.get_concurrency_config()
        assert settings.run_queue_config is not None and settings.run_queue_config.max_concurrent_runs == 1
        assert settings.pool_config.default_pool_limit == 1
        assert str(settings.pool_config.pool_granularity.value).lower() == "run"


def test_a_sync_and_its_models_run_are_recorded_in_dagster_on_postgresql(team_home, sandbox, tmp_path, monkeypatch):
    for name, value in {**sandbox.environment(), "SOCIAL_ROI_WAREHOUSE": str(tmp_path / "warehouse.duckdb")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("META_POLL_INTERVAL_SECONDS", "0.01")
    yesterday = dt.date.fromisoformat(sandbox.advertiser.today.isoformat()) - dt.timedelta(days=1)
    first = yesterday - dt.timedelta(days=2)

    status = main(["sync", "--start", str(first), "--end", str(yesterday)])

    assert status == 0
    with dg.DagsterInstance.from_config(str(team_home)) as instance:
        runs = {run.job_name: run for run in instance.get_runs()}
        assert set(runs) == {SYNC_JOB_NAME, REBUILD_JOB_NAME}
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs.values())
        assert {run.tags[DAYS_TAG] for run in runs.values()} == {f"{first}..{yesterday}"}
        loaded = instance.fetch_materializations(dg.AssetKey(["raw", "meta_ads_insights"]), limit=10).records
        assert [record.partition_key for record in loaded] == [f"{yesterday:%Y}"]
        models = instance.fetch_materializations(dg.AssetKey(["marts", "roi_by_campaign"]), limit=10).records
        assert [record.run_id for record in models] == [runs[REBUILD_JOB_NAME].run_id]

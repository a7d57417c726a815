"""Dagster's instance on PostgreSQL (deploy/dagster.yaml), against a real PostgreSQL server started for the test
(tests/postgres_server.py): the team's instance loads with its run queue and pools, and a sync's ingestion run and
its models' run are recorded there, where every machine of the team reads them. `make test-servers` runs these."""

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from pipelines.cli import main
from pipelines.run_window import DAYS_TAG, range_tags
from pipelines.schedules import REBUILD_JOB_NAME, SYNC_JOB_NAME
from postgres_server import free_port, running_postgres

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


ENQUEUED, STARTING, SUCCESS = (
    dg.DagsterEventType.RUN_ENQUEUED,
    dg.DagsterEventType.RUN_STARTING,
    dg.DagsterEventType.RUN_SUCCESS,
)


def run_events(instance: dg.DagsterInstance, run_id: str) -> dict[dg.DagsterEventType, float]:
    """When each of a run's life events was recorded (the queue's and the run's own)."""
    return {
        record.dagster_event.event_type: record.timestamp
        for record in instance.all_logs(run_id)
        if record.dagster_event is not None and record.dagster_event.is_job_event
    }


def test_a_sync_launched_while_another_runs_waits_in_the_queue_and_runs_after_it(
    team_home, sandbox, tmp_path, monkeypatch
):
    """The team's deployment on one machine (deploy/README.md): the code location's gRPC server, the daemon and
    two syncs launched as the UI or a schedule launches them (the run queue). The second waits queued until the
    first has ended, then runs; both are recorded in PostgreSQL."""
    env = {**sandbox.environment(), "SOCIAL_ROI_WAREHOUSE": str(tmp_path / "warehouse.duckdb")}
    env["META_POLL_INTERVAL_SECONDS"] = "0.5"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Meta takes 40 s per report: the first sync still runs when the second has been launched.
    sandbox.meta_report_seconds = 40
    yesterday = sandbox.advertiser.today - dt.timedelta(days=1)
    tags = json.dumps(range_tags(yesterday - dt.timedelta(days=1), yesterday))
    bin_dir = Path(sys.executable).parent
    port = free_port()
    workspace_file = tmp_path / "workspace.yaml"
    workspace_file.write_text(
        (PROJECT_ROOT / "deploy" / "workspace.yaml").read_text().replace("port: 4266", f"port: {port}")
    )
    workspace = ["-w", str(workspace_file)]
    services = [
        [str(bin_dir / "dagster"), "api", "grpc", "-m", "pipelines.definitions", "-h", "localhost", "-p", str(port)],
        [str(bin_dir / "dagster-daemon"), "run", *workspace],
    ]
    started = [
        subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        for command in services
    ]
    try:
        serving = time.monotonic() + 120
        health_check = [str(bin_dir / "dagster"), "api", "grpc-health-check", "-p", str(port)]
        while subprocess.run(health_check, capture_output=True).returncode != 0:
            assert time.monotonic() < serving, "the code location's gRPC server did not start in 2 minutes"
            time.sleep(1)
        for _ in range(2):
            subprocess.run(
                [str(bin_dir / "dagster"), "job", "launch", *workspace, "-j", SYNC_JOB_NAME, "--tags", tags],
                cwd=PROJECT_ROOT,
                check=True,
                capture_output=True,
                timeout=180,
            )
        with dg.DagsterInstance.from_config(str(team_home)) as instance:
            deadline = time.monotonic() + 420
            while time.monotonic() < deadline:
                syncs = instance.get_runs(dg.RunsFilter(job_name=SYNC_JOB_NAME))
                if len(syncs) == 2 and all(run.is_finished for run in syncs):
                    break
                time.sleep(2)
            first, second = sorted(syncs, key=lambda run: run_events(instance, run.run_id)[ENQUEUED])
            assert [first.status, second.status] == [dg.DagsterRunStatus.SUCCESS] * 2
            earlier, later = run_events(instance, first.run_id), run_events(instance, second.run_id)
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                # a loaded machine (the lake's tests on the other worker) once kept the gRPC server
                # past a minute of SIGTERM: its shutdown is not what this test checks
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    assert later[ENQUEUED] < earlier[SUCCESS], "the second was launched while the first ran"
    assert later[STARTING] >= earlier[SUCCESS], "and was started only once the first had ended"

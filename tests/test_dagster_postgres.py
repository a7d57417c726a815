"""Dagster's instance on PostgreSQL (deploy/dagster.yaml), against a real PostgreSQL server started for the test
(tests/postgres_server.py): the team's instance loads with its run queue and pools, and a sync's ingestion run and
its models' run are recorded there, where every machine of the team reads them. `make test-servers` runs these."""

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from pipelines.cli import main
from pipelines.run_limits import WAREHOUSE_POOL_TAG, limited_platforms, token_tag
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
    """A DAGSTER_HOME with deploy/dagster.yaml, its connection settings pointing at a database of this test's
    own on the module's server: the runs one test counts are never another test's (two tests on one worker
    share the server)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    database = postgres.new_database(f"dagster_{uuid.uuid4().hex[:12]}")
    for name, value in {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": postgres.host,
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_USER": postgres.user,
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": database.database,
    }.items():
        monkeypatch.setenv(name, value)
    return home


def test_the_team_instance_keeps_runs_in_postgresql_one_run_per_client_pool_and_two_syncs_per_token(team_home):
    with dg.DagsterInstance.from_config(str(team_home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        settings = instance.get_concurrency_config()
        assert settings.run_queue_config is not None and settings.run_queue_config.max_concurrent_runs > 1
        assert settings.pool_config.default_pool_limit == 1
        assert str(settings.pool_config.pool_granularity.value).lower() == "run"
        # one run per warehouse pool; every platform that calls with a user's credential: two syncs per credential
        limits = {limit["key"]: limit for limit in settings.run_queue_config.tag_concurrency_limits}
        assert all(limit["value"] == {"applyLimitPerUniqueValue": True} for limit in limits.values())
        assert limits.pop(WAREHOUSE_POOL_TAG)["limit"] == 1
        assert set(limits) == {token_tag(platform) for platform in limited_platforms()}
        assert {limit["limit"] for limit in limits.values()} == {2}


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


BIN = Path(sys.executable).parent


@contextlib.contextmanager
def services(*commands: list[str]) -> Iterator[None]:
    """Long-running services of the team's deployment (deploy/README.md), stopped when the block ends."""
    started = [
        subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        for command in commands
    ]
    try:
        yield
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                # a loaded machine (the lake's tests on the other worker) once kept the gRPC server
                # past a minute of SIGTERM: its shutdown is not what these tests check
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def code_server(port: int, *location: str) -> list[str]:
    return [str(BIN / "dagster"), "api", "grpc", *location, "-h", "localhost", "-p", str(port)]


def wait_until_serving(*ports: int) -> None:
    serving = time.monotonic() + 180
    for port in ports:
        health_check = [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port)]
        while subprocess.run(health_check, capture_output=True).returncode != 0:
            assert time.monotonic() < serving, "the code locations' gRPC servers did not start in 3 minutes"
            time.sleep(1)


def launch(workspace: Path, job: str, tags: dict[str, str], location: str | None = None) -> subprocess.Popen:
    """`dagster job launch`, as the UI or a schedule launches a run: into the instance's run queue."""
    return subprocess.Popen(
        [str(BIN / "dagster"), "job", "launch", "-w", str(workspace), *(["-l", location] if location else [])]
        + ["-j", job, "--tags", json.dumps(tags)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def launched(process: subprocess.Popen) -> None:
    _, errors = process.communicate(timeout=180)
    assert process.returncode == 0, errors[-2000:]


def wait_for_runs(
    instance: dg.DagsterInstance, count: int, finished: bool = True, job: str = SYNC_JOB_NAME
) -> Sequence[dg.DagsterRun]:
    """The job's runs once there are `count` of them, all finished (or only launched)."""
    deadline = time.monotonic() + 480
    while True:
        runs = instance.get_runs(dg.RunsFilter(job_name=job))
        if len(runs) >= count and (not finished or all(run.is_finished for run in runs)):
            return runs
        assert time.monotonic() < deadline, f"{len(runs)} {job} runs of {count}: {[run.status for run in runs]}"
        time.sleep(1)


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
    tags = range_tags(yesterday - dt.timedelta(days=1), yesterday)
    port = free_port()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        (PROJECT_ROOT / "deploy" / "workspace.yaml").read_text().replace("port: 4266", f"port: {port}")
    )
    daemon = [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)]
    with services(code_server(port, "-m", "pipelines.definitions"), daemon):
        wait_until_serving(port)
        for _ in range(2):
            launched(launch(workspace, SYNC_JOB_NAME, tags))
        with dg.DagsterInstance.from_config(str(team_home)) as instance:
            syncs = wait_for_runs(instance, 2)
            first, second = sorted(syncs, key=lambda run: run_events(instance, run.run_id)[ENQUEUED])
            assert [first.status, second.status] == [dg.DagsterRunStatus.SUCCESS] * 2
            earlier, later = run_events(instance, first.run_id), run_events(instance, second.run_id)

    assert later[ENQUEUED] < earlier[SUCCESS], "the second was launched while the first ran"
    assert later[STARTING] >= earlier[SUCCESS], "and was started only once the first had ended"


def test_clients_runs_go_side_by_side_one_at_a_time_per_client_and_two_at_a_time_per_platform_token(
    team_home, sandbox, tmp_path, monkeypatch
):
    """An agency's team deployment (deploy/README.md): a code location per client, the daemon, and syncs launched
    into the shared queue. fjord, vidde and hav share the agency's Meta token; bre reads with a token of its own.
    While fjord's first sync runs, vidde's (the token's second) and bre's run beside it, though fjord's second
    was queued before them; hav's waits for the token, and fjord's second for fjord's pool. No two runs of one
    client (the models' runs included), and no three syncs on one token, ever overlap."""
    agency_token, bre_token = "agency-meta-token-for-the-queue", "bre-meta-token-for-the-queue"
    sandbox.meta.valid_tokens.update({agency_token, bre_token})
    graph_url = sandbox.environment()["META_GRAPH_URL"]
    first_account, second_account = (f"act_{account.id}" for account in sandbox.advertiser.meta_accounts[:2])
    clients = {
        "fjord": (first_account, "AGENCY_META_TOKEN"),
        "vidde": (second_account, "AGENCY_META_TOKEN"),
        "hav": (first_account, "AGENCY_META_TOKEN"),
        "bre": (first_account, "BRE_META_TOKEN"),
    }
    clients_file = tmp_path / "clients.toml"
    clients_file.write_text(
        "".join(
            f'[clients.{client}]\nname = "{client.capitalize()}"\n[clients.{client}.settings]\n'
            f'META_AD_ACCOUNT_IDS = "{account}"\nMETA_ACCESS_TOKEN = "env:{token_variable}"\n'
            f'META_GRAPH_URL = "{graph_url}"\nMETA_POLL_INTERVAL_SECONDS = "0.5"\n\n'
            for client, (account, token_variable) in clients.items()
        ),
        encoding="utf-8",
    )
    for name, value in {
        "SOCIAL_ROI_CLIENTS": str(clients_file),
        "AGENCY_META_TOKEN": agency_token,
        "BRE_META_TOKEN": bre_token,
    }.items():
        monkeypatch.setenv(name, value)
    # Meta's report for fjord's first sync stays unfinished until the runs that may go beside it have started
    # (an hour: on a loaded CI machine the launches alone took over four minutes), then takes a second
    sandbox.meta_report_seconds = 3600
    yesterday = sandbox.advertiser.today - dt.timedelta(days=1)
    tags = range_tags(yesterday, yesterday)
    ports = {client: free_port() for client in clients}
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        "load_from:\n"
        + "".join(
            f"  - grpc_server: {{host: localhost, port: {port}, location_name: {client}}}\n"
            for client, port in ports.items()
        )
    )
    locations = [code_server(port, "-m", "pipelines.client_locations", "-a", client) for client, port in ports.items()]
    with services(*locations, [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)]):
        wait_until_serving(*ports.values())
        with dg.DagsterInstance.from_config(str(team_home)) as instance:
            launched(launch(workspace, SYNC_JOB_NAME, tags, "fjord"))
            first = wait_for_runs(instance, 1, finished=False)[0]
            # fjord's second first in the queue: held back by fjord's pool, it must not hold a slot of the token
            launched(launch(workspace, SYNC_JOB_NAME, tags, "fjord"))
            # One after another, as the scenario says: three launches at once are queued in whichever order their
            # processes reach the instance, and hav queued ahead of vidde takes the token's second slot.
            for client in ("vidde", "hav", "bre"):
                launched(launch(workspace, SYNC_JOB_NAME, tags, client))
            deadline = time.monotonic() + 900
            while not all(
                STARTING in run_events(instance, sync_of(instance, client).run_id) for client in ("vidde", "bre")
            ):
                assert time.monotonic() < deadline, "vidde's and bre's syncs did not start beside fjord's"
                time.sleep(1)
            sandbox.meta_report_seconds = 1
            syncs = wait_for_runs(instance, 5)
            assert [run.status for run in syncs] == [dg.DagsterRunStatus.SUCCESS] * 5
            # and the models' run the sensor launched after each, in its client's pool
            models = wait_for_runs(instance, 5, job=REBUILD_JOB_NAME)
            assert [run.status for run in models] == [dg.DagsterRunStatus.SUCCESS] * 5
            spans = [(location_of(run), run.job_name, run_span(instance, run)) for run in [*syncs, *models]]
            first_span = run_span(instance, first)
            beside = {client: run_span(instance, sync_of(instance, client)) for client in ("vidde", "bre")}

    for client, span in beside.items():
        assert span[0] < first_span[1], f"{client}'s sync ran beside fjord's first"
    for client in clients:
        assert most_at_once([span for location, _, span in spans if location == client]) == 1, (
            f"two runs of {client} overlapped"
        )
    on_agency_token = [
        span for location, job, span in spans if job == SYNC_JOB_NAME and clients[location][1] == "AGENCY_META_TOKEN"
    ]
    assert most_at_once(on_agency_token) == 2, "two syncs on the agency's token at once, never three"


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most of these (start, end) spans that were under way at one instant."""
    moments = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    under_way = most = 0
    for _, change in moments:  # an end sorts before a start at the same instant
        under_way += change
        most = max(most, under_way)
    return most


def sync_of(instance: dg.DagsterInstance, client: str) -> dg.DagsterRun:
    """The client's earliest sync."""
    runs = [run for run in instance.get_runs(dg.RunsFilter(job_name=SYNC_JOB_NAME)) if location_of(run) == client]
    return min(runs, key=lambda run: run_events(instance, run.run_id)[ENQUEUED])


def location_of(run: dg.DagsterRun) -> str:
    return run.remote_job_origin.location_name if run.remote_job_origin else ""


def run_span(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[float, float]:
    """From the run's start to its end (now, for one still going)."""
    events = run_events(instance, run.run_id)
    end = next((events[kind] for kind in (SUCCESS, dg.DagsterEventType.RUN_FAILURE) if kind in events), time.time())
    return events.get(STARTING, end), end

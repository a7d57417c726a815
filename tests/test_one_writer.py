"""One writer of the warehouse at a time, however the run was started (pipelines/warehouse_writer.py)."""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import EngineEventData
from dagster._core.execution.plan.objects import StepFailureData

from conftest import sandbox_settings
from connectors import clock
from connectors.sandbox import Sandbox
from pipelines.warehouse_writer import (
    EXIT_WAREHOUSE_BUSY,
    RESOURCE_KEY,
    WarehouseBusyError,
    WarehouseWriter,
    current_writer,
    fail_abandoned_run,
    hold,
)

WORKTREE = Path(__file__).resolve().parents[1]


class Holder:
    """Another process holding the warehouse for `run_id`, as a sync in another terminal does."""

    def __init__(self, warehouse: Path, run_id: str):
        script = (
            "import sys\nfrom pathlib import Path\nfrom pipelines.warehouse_writer import hold\n"
            f"with hold(Path({str(warehouse)!r}), {run_id!r}):\n"
            "    print('held', flush=True)\n    sys.stdin.read()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(WORKTREE)},
        )
        assert self.process.stdout.readline().strip() == "held"

    def release(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def die(self) -> None:
        self.process.send_signal(signal.SIGKILL)  # no finally block runs: only the kernel lets go
        self.process.wait(timeout=30)


def test_a_second_writer_is_refused_with_the_first_ones_run_and_start_and_a_dead_ones_lock_is_free(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    before = clock.now()
    first = Holder(warehouse, "run-of-the-first-sync")

    with pytest.raises(WarehouseBusyError) as refused, hold(warehouse, "run-of-the-second-sync"):
        pytest.fail("the second writer must not get the warehouse")

    writer = refused.value.writer
    assert (writer.run_id, writer.pid) == ("run-of-the-first-sync", first.process.pid)
    assert before - dt.timedelta(seconds=1) <= writer.since <= clock.now()
    assert f"a sync is running since {writer.since:%Y-%m-%d %H:%M:%S}" in str(refused.value)
    assert "(run id run-of-the-first-sync" in str(refused.value)
    assert current_writer(warehouse) == writer, "anyone can ask who writes"

    first.die()
    with hold(warehouse, "run-of-the-second-sync") as holding:
        assert holding.abandoned.run_id == "run-of-the-first-sync", "the dead writer's record is known"
        assert current_writer(warehouse).run_id == "run-of-the-second-sync"
    assert current_writer(warehouse) is None

    second = Holder(warehouse, "run-of-a-third-sync")
    second.release()
    with hold(warehouse, "run-of-a-fourth-sync") as holding:
        assert holding.abandoned is None, "a writer that ended normally leaves nothing behind"


def test_a_rebuild_while_a_sync_writes_exits_at_once_naming_the_sync_and_touches_nothing(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    warehouse = tmp_path / "data" / "warehouse.duckdb"
    monkeypatch.setenv("SOCIAL_ROI_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    sync = Holder(warehouse, "the-nightly-sync")
    try:
        status = main(["rebuild"])
    finally:
        sync.release()

    printed = capsys.readouterr()
    assert status == EXIT_WAREHOUSE_BUSY
    assert "a sync is running since" in printed.err and "(run id the-nightly-sync" in printed.err
    assert printed.out == "" and not (tmp_path / "dagster_home" / "last_cli_run.log").exists(), "not even its log"
    assert not warehouse.exists()


def test_the_run_of_a_writer_that_died_is_marked_failed_so_the_run_queue_moves_on(tmp_path, instance):
    warehouse = tmp_path / "warehouse.duckdb"
    killed = instance.add_run(dg.DagsterRun(job_name="sync", run_id="killed-sync", status=dg.DagsterRunStatus.STARTED))
    Holder(warehouse, killed.run_id).die()

    with hold(warehouse, "next-sync") as holding:
        fail_abandoned_run(instance, holding.abandoned)

    assert instance.get_run_by_id("killed-sync").status == dg.DagsterRunStatus.FAILURE


def test_a_run_the_instance_launches_while_another_writes_waits_for_it_and_says_whom_it_waits_for(
    tmp_path, monkeypatch, instance
):
    monkeypatch.setenv("SOCIAL_ROI_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    cli_sync = Holder(tmp_path / "warehouse.duckdb", "the-cli-sync")
    writes = []

    @dg.asset(required_resource_keys={RESOURCE_KEY})
    def writing_asset() -> None:
        writes.append(current_writer(tmp_path / "warehouse.duckdb").run_id)

    def release_once_the_run_waits() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not waiting_messages(instance):
            time.sleep(0.1)
        cli_sync.release()

    threading.Thread(target=release_once_the_run_waits).start()
    result = dg.materialize([writing_asset], instance=instance, resources={RESOURCE_KEY: WarehouseWriter()})

    assert result.success
    assert writes == [result.run_id], "it wrote after the other, holding the warehouse itself"
    [waited] = waiting_messages(instance)
    assert "a sync is running since" in waited and "(run id the-cli-sync" in waited


def waiting_messages(instance: dg.DagsterInstance) -> list[str]:
    return [
        record.user_message
        for run in instance.get_runs()
        for record in instance.all_logs(run.run_id)
        if record.user_message.startswith("Waiting for the warehouse")
    ]


@pytest.mark.end_to_end
def test_two_syncs_started_together_fetch_each_window_once_and_the_second_names_the_running_run(tmp_path):
    last = clock.yesterday()
    first = last - dt.timedelta(days=1)
    # Meta takes 2 s per report: the first sync is still fetching when the second has started
    with Sandbox(seed=7, meta_report_seconds=2) as sandbox:
        platform = sandbox_settings(sandbox)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "PYTHONPATH": str(WORKTREE),
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
            "SOCIAL_ROI_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb"),
            **{name: os.environ[name] for name in (clock.TODAY_SETTING,) if name in os.environ},
            # Meta's ads and the exchange rates only: what it takes to show each window fetched once
            **{
                name: value
                for name, value in platform.items()
                if name.startswith(("META_", "SOCIAL_ROI_FX", "NORGES_BANK"))
                and name not in ("META_PAGE_IDS", "META_PAGE_ACCESS_TOKEN")
            },
        }
        command = [sys.executable, "-m", "pipelines.cli", "sync", "--start", str(first), "--end", str(last)]
        syncs = [
            subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        finished = []
        for sync in syncs:
            out, err = sync.communicate(timeout=600)
            finished.append((sync.returncode, out, err))

    completed = [(out, err) for status, out, err in finished if status == 0]
    assert len(completed) == 1, [err[-3000:] for _status, _out, err in finished]
    [(out, _err)] = completed
    [(refused_status, refused_out, refused_err)] = [sync for sync in finished if sync[0] != 0]
    assert refused_status == EXIT_WAREHOUSE_BUSY, refused_err[-3000:]
    [run_ids] = re.findall(r"^Runs (\S+), (\S+) recorded", out, flags=re.MULTILINE)
    named = re.search(r"a sync is running since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \(run id ([0-9a-f-]+)", refused_err)
    assert named and named.group(1) in run_ids, refused_err
    assert "nothing was fetched" in refused_err and "Syncing" not in refused_out, "refused before it began"
    insights_jobs = sorted(path for method, path in sandbox.request_log if method == "POST" and "/insights" in path)
    accounts = platform["META_AD_ACCOUNT_IDS"].split(",")
    assert [path.split("/")[2] for path in insights_jobs] == sorted(accounts), "one report per account, not two"
    assert len([path for _, path in sandbox.request_log if path.startswith("/api/data/EXR/")]) == 1, (
        "the exchange rates once, every currency in one request"
    )
    runs = dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")).get_runs()
    assert sorted(run.run_id for run in runs) == sorted(run_ids), "the refused sync recorded no run"
    assert current_writer(tmp_path / "data" / "warehouse.duckdb") is None, "and the warehouse is free again"


class DuckDbSession:
    """A process outside the pipeline with the warehouse open, as an analyst's `duckdb warehouse.duckdb` is."""

    def __init__(self, warehouse: Path):
        script = (
            f"import duckdb, sys\nc = duckdb.connect({str(warehouse)!r})\nprint('open', flush=True)\nsys.stdin.read()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "open"

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def meta_ads_only(tmp_path, monkeypatch):
    """Meta's ads against a sandbox of the test's own, into a fresh warehouse; the raw asset and its window."""
    from pipelines.assets.raw import raw_assets
    from pipelines.run_window import range_tags

    with Sandbox(seed=7, meta_report_seconds=2) as sandbox:
        for name, value in sandbox_settings(sandbox).items():
            if name.startswith("META_") and name not in ("META_PAGE_IDS", "META_PAGE_ACCESS_TOKEN"):
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("SOCIAL_ROI_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
        [asset] = [asset for asset in raw_assets if asset.key.path[-1] == "meta_ads_insights"]
        yield sandbox, asset, range_tags(clock.yesterday() - dt.timedelta(days=1), clock.yesterday())


def _error_message(failure: dg.DagsterEvent) -> str:
    """The error a failure event carries: a step's, or a resource's that could not start."""
    data = failure.event_specific_data
    assert isinstance(data, StepFailureData | EngineEventData) and data.error is not None, data
    return data.error.message


def insights_reports(sandbox: Sandbox) -> list[str]:
    return [path for method, path in sandbox.request_log if method == "POST" and path.endswith("/insights")]


def test_a_run_that_finds_the_warehouse_open_elsewhere_stops_before_fetching(meta_ads_only, tmp_path, instance):
    sandbox, asset, days = meta_ads_only
    session = DuckDbSession(tmp_path / "warehouse.duckdb")
    try:
        result = dg.materialize(
            [asset], instance=instance, tags=days, resources={RESOURCE_KEY: WarehouseWriter()}, raise_on_error=False
        )
    finally:
        session.close()

    assert not result.success
    assert sandbox.request_log == [], "nothing was fetched"
    [failure] = [event for event in result.all_events if event.event_type_value == "RESOURCE_INIT_FAILURE"]
    assert "Another process has" in _error_message(failure), "before the first step"
    assert "Close it (query the published copy instead" in _error_message(failure)


def test_a_lock_clash_while_loading_fails_the_step_at_once_without_fetching_the_platform_again(
    meta_ads_only, tmp_path, instance
):
    sandbox, asset, days = meta_ads_only
    sessions = []

    def open_the_warehouse_while_meta_reports() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not insights_reports(sandbox):
            time.sleep(0.05)
        sessions.append(DuckDbSession(tmp_path / "warehouse.duckdb"))

    opener = threading.Thread(target=open_the_warehouse_while_meta_reports)
    opener.start()
    started = time.monotonic()
    try:
        result = dg.materialize(
            [asset], instance=instance, tags=days, resources={RESOURCE_KEY: WarehouseWriter()}, raise_on_error=False
        )
    finally:
        opener.join()
        for session in sessions:
            session.close()

    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert "Another process has" in _error_message(failure)
    assert not [event for event in result.all_events if event.event_type_value == "STEP_UP_FOR_RETRY"], "no retry"
    assert sorted(insights_reports(sandbox)) == sorted(set(insights_reports(sandbox))), "each account's report once"
    assert time.monotonic() - started < 60, "the RetryPolicy's minute was not waited"

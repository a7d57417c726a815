"""The warehouse as a DuckLake (pipelines/lake.py): its catalog in a real PostgreSQL the test starts, its data in a
directory standing for the team's shared storage. The same scenario gives the same figures as on the DuckDB file;
two clients' syncs write at once and both land while a third process reads; a writer killed with SIGKILL mid-run
leaves the last snapshot readable, and its rerun gives the figures of an uninterrupted run. `make test-servers`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from conftest import SETTLED_WINDOW, _settled_sync, sandbox_settings
from connectors import clock
from pipelines.adhoc_sql import SqlError, query_published
from pipelines.lake import Lake, LakeError, open_warehouse
from pipelines.report.figures import read_figures
from pipelines.settings import PROJECT_ROOT, warehouse_location
from postgres_server import PostgresServer, free_port, running_postgres

pytestmark = pytest.mark.servers
# A week of every platform: long enough that a sync's raw tables land one after another for a minute.
# When this machine fetched or loaded a row: the same data fetched twice differs there, and nowhere else.
WHEN_FETCHED = ("fetched_at", "loaded_at", "_loaded_at")
WEEK = (clock.yesterday() - dt.timedelta(days=6), clock.yesterday())
RAW_TABLES_WATCHED = ("meta_ads_insights", "linkedin_ads_analytics", "ga4_traffic")


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3-compatible server on loopback (moto's, S3 alone) with one bucket, `lake`: the team's bucket."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # moto's server takes an unsigned CreateBucket; the lake's own requests are signed (DuckDB's secret)
                urllib.request.urlopen(urllib.request.Request(f"{endpoint}/lake", method="PUT"), timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait()


@pytest.fixture(scope="module")
def postgres():
    with running_postgres("lake") as server:
        yield server


def lake_settings(server: PostgresServer, name: str, root: Path) -> dict[str, str]:
    """One client's lake, with its own Dagster home beside its local files."""
    return {**server.new_lake(name, root), "DAGSTER_HOME": str(root / name / "dagster_home")}


def rounded(value: Any) -> Any:
    """Floats to 6 decimals, inside rows, lists and dicts: DuckDB sums doubles in parallel, in an order
    that varies between two runs on one file (a cost ledger's 16000.0 once read 16000.000000000002)."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (list, tuple)):
        return type(value)(rounded(item) for item in value)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


def lake_of(settings: Mapping[str, str]) -> Lake:
    lake = warehouse_location(settings, create=False)
    assert isinstance(lake, Lake), "these settings name a lake"
    return lake


def every_mart(warehouse: Path | Lake) -> dict[str, list[tuple]]:
    """Every table and view of the marts schema, its rows in a fixed order: what a figure can be read from
    (every column but the time a row was fetched)."""
    with open_warehouse(warehouse, read_only=True) as connection:
        columns: dict[str, list[str]] = {}
        for name, column in connection.execute(
            "select table_name, column_name from information_schema.columns where table_catalog = current_database() "
            "and table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall():
            columns.setdefault(name, [])
            if column not in WHEN_FETCHED:
                columns[name].append(f'"{column}"')
        return {
            name: rounded(connection.execute(f"select {', '.join(kept)} from marts.{name} order by all").fetchall())
            for name, kept in columns.items()
        }


def test_the_settled_scenario_on_the_lake_gives_every_figure_the_embedded_file_gives(
    settled, postgres, tmp_path, monkeypatch
):
    lake = lake_settings(postgres, "settled", tmp_path)

    _settled_sync(tmp_path, warehouse=lake)

    on_the_file = every_mart(settled.warehouse)
    on_the_lake = every_mart(lake_of(lake))
    assert {"roi_by_campaign", "roi_by_channel", "cost_daily"} <= set(on_the_file)
    assert sorted(on_the_lake) == sorted(on_the_file)
    differing = [name for name in on_the_file if on_the_lake[name] != on_the_file[name]]
    assert differing == [], f"these marts differ between the file and the lake: {differing}"
    assert sum(len(rows) for rows in on_the_lake.values()) > 1000
    # the monthly report's figures, read through its table macros, and `social-roi sql` on the lake itself
    on_the_lake_report = dataclasses.asdict(read_figures(lake_of(lake), *SETTLED_WINDOW))
    assert rounded(on_the_lake_report) == rounded(dataclasses.asdict(read_figures(settled.warehouse, *SETTLED_WINDOW)))
    for name, value in lake.items():
        monkeypatch.setenv(name, value)
    query = "select * from marts.roi_by_channel order by all"
    assert rounded(query_published(query)[1]) == rounded(
        query_published(query, settled.warehouse.with_name("published.duckdb"))[1]
    )
    # a reader reaches the lake's data path, but writes nothing there
    export = Path(lake["SOCIAL_ROI_LAKE_DATA_PATH"]) / "raw" / "exported.parquet"
    with pytest.raises(SqlError, match="read-only"):
        query_published(f"copy (select * from marts.roi_by_channel) to '{export}'")
    assert not export.exists()


def start_sync(settings: Mapping[str, str], days: tuple[dt.date, dt.date], log: Path) -> subprocess.Popen:
    """`social-roi sync` in its own process (and process group, so that SIGKILL reaches dbt's too)."""
    env = {**os.environ, **settings, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))", "sync"]
        + ["--start", str(days[0]), "--end", str(days[1])],
        env=env,
        cwd=Path(settings["SOCIAL_ROI_LOCAL_DIR"]).parent,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def read_while_writing(lake: Lake) -> dict[str, int | None]:
    """What a reader sees in one read: each watched raw table's rows (None before it exists), and the
    ROI table's rows and total cost. One transaction: one snapshot."""
    with lake.connect(read_only=True) as connection:
        connection.execute("begin transaction")
        existing = {
            name
            for (name,) in connection.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_catalog = 'warehouse'"
            ).fetchall()
        }
        seen: dict[str, int | None] = {}
        for name in RAW_TABLES_WATCHED:
            seen[name] = (
                connection.execute(f"select count(*) from raw.{name}").fetchone()[0]
                if f"raw.{name}" in existing
                else None
            )
        seen["roi_by_channel"] = (
            connection.execute("select count(*) from marts.roi_by_channel").fetchone()[0]
            if "marts.roi_by_channel" in existing
            else None
        )
        connection.execute("commit")
        return seen


def syncs_at_once(clients: Mapping[str, Mapping[str, str]], root: Path, watch: str, on_read=None) -> dict:
    """Each client's sync of the week started together, in its own process, while this process reads the
    `watch` client's lake every half second (and `on_read(reader, writers)` may act on what it read)."""
    for settings in clients.values():
        Path(settings["SOCIAL_ROI_LOCAL_DIR"]).mkdir(parents=True, exist_ok=True)
    lake = lake_of(clients[watch])
    writers = {name: start_sync(settings, WEEK, root / f"{name}.log") for name, settings in clients.items()}
    observed = []
    while any(writer.poll() is None for writer in writers.values()):
        try:
            observed.append(read_while_writing(lake))
        except LakeError:
            pass  # its sync has not created the lake's catalog yet
        if on_read is not None and observed:
            on_read(observed[-1], writers)
        time.sleep(0.5)
    statuses = {name: writer.returncode for name, writer in writers.items()}
    return {
        "statuses": statuses,
        "observed": observed,
        "logs": {name: (root / f"{name}.log").read_text() for name in clients},
    }


def test_two_clients_syncs_write_their_lakes_at_once_both_land_and_a_reader_sees_each_table_whole(
    postgres, s3_endpoint, tmp_path, monkeypatch
):
    from connectors.sandbox import Sandbox

    # fjord's data on a shared directory, havbris's in the bucket: the same figures either way
    bucket = {
        "AWS_ACCESS_KEY_ID": "social-roi-test",
        "AWS_SECRET_ACCESS_KEY": "not-a-real-key",
        "AWS_REGION": "eu-north-1",
    }
    for name, value in {**bucket, "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    with Sandbox(seed=7) as sandbox:
        platforms = sandbox_settings(sandbox)
        clients = {name: {**platforms, **lake_settings(postgres, name, tmp_path)} for name in ("fjord", "havbris")}
        clients["havbris"]["SOCIAL_ROI_LAKE_DATA_PATH"] = "s3://lake/havbris/"

        run = syncs_at_once(clients, tmp_path, watch="fjord")

    assert run["statuses"] == {"fjord": 0, "havbris": 0}, run["logs"]
    fjord, havbris = (every_mart(lake_of(clients[name])) for name in clients)
    # one sandbox advertiser behind both: the two lakes hold the same figures, each whole
    assert fjord == havbris
    assert fjord["roi_by_channel"] and fjord["cost_daily"]
    with lake_of(clients["havbris"]).connect(read_only=True) as connection:
        [(in_the_bucket,)] = connection.execute(
            "select count(*) from glob('s3://lake/havbris/raw/**/*.parquet')"
        ).fetchall()
    assert in_the_bucket >= len(RAW_TABLES_WATCHED), "havbris's raw tables are Parquet files in the bucket"
    final = read_while_writing(lake_of(clients["fjord"]))
    observed = run["observed"]
    assert len(observed) >= 10, "the reader should have read many times while the syncs ran"
    for name, rows in final.items():
        assert rows, f"{name} should hold rows once the sync ended"
        seen = {read[name] for read in observed}
        # A load replaces a table's days in one transaction: a reader sees none of its rows or all of them.
        assert seen <= {None, 0, rows}, (
            f"a reader saw {name} with {sorted(map(str, seen))} rows; whole loads hold {rows}"
        )
    # and it read while the loads were under way: Meta's rows there, the models not yet built
    assert any(read["meta_ads_insights"] and read["roi_by_channel"] is None for read in observed)


def test_a_writer_killed_mid_run_leaves_the_last_snapshot_readable_and_its_rerun_gives_an_uninterrupted_runs_figures(
    postgres, tmp_path
):
    from connectors.sandbox import Sandbox

    killed_at = []

    def kill_mid_run(read, writers):
        # some raw tables loaded, the models not built yet: mid-run
        if not killed_at and read["meta_ads_insights"] and read["roi_by_channel"] is None:
            os.killpg(writers["killed"].pid, signal.SIGKILL)
            killed_at.append(read)

    with Sandbox(seed=7) as sandbox:
        platforms = sandbox_settings(sandbox)
        clients = {
            name: {**platforms, **lake_settings(postgres, name, tmp_path)} for name in ("killed", "uninterrupted")
        }

        run = syncs_at_once(clients, tmp_path, watch="killed", on_read=kill_mid_run)

        assert killed_at, "the sync ended before it could be killed mid-run"
        assert run["statuses"] == {"killed": -signal.SIGKILL, "uninterrupted": 0}, run["logs"]
        lake = lake_of(clients["killed"])
        after_the_kill = read_while_writing(lake)  # the last snapshot opens and reads
        assert after_the_kill["meta_ads_insights"] and after_the_kill["roi_by_channel"] is None

        # the rerun replaces the days the killed run had loaded, read all along
        rerun = syncs_at_once({"rerun": clients["killed"]}, tmp_path, watch="rerun")
        assert rerun["statuses"] == {"rerun": 0}, rerun["logs"]
    assert every_mart(lake) == every_mart(lake_of(clients["uninterrupted"]))
    # a replace is one transaction: the reloaded days were never seen gone, nor twice
    loaded = read_while_writing(lake)["meta_ads_insights"]
    assert after_the_kill["meta_ads_insights"] == loaded
    assert {read["meta_ads_insights"] for read in rerun["observed"]} == {loaded}

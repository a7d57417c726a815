"""The published copy: analysts' sessions never block a sync, and never see half of one."""

import datetime as dt
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipelines.adhoc_sql import PublishedCopyMissingError, SqlError, query_published, run_sql
from pipelines.publication import PublishError, publish
from pipelines.settings import published_path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WAIT_SECONDS = 60


def write_version(warehouse: Path, version: int, filler_rows: int = 1_000) -> None:
    """A warehouse whose marts.marker says which sync wrote it, with some bulk beside it."""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute("create or replace table marts.marker as select ? as version", [version])
        connection.execute(
            f"create or replace table marts.filler as select range as id, md5(range::varchar) as text from range({filler_rows})"
        )


def published_version(published: Path) -> int:
    with duckdb.connect(str(published), read_only=True) as connection:
        return connection.execute("select version from marts.marker").fetchone()[0]


def leftovers(published: Path) -> list[Path]:
    return sorted(published.parent.glob(f".{published.name}.*.publishing"))


def python(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen, expected: str) -> None:
    line = process.stdout.readline().strip()
    if line != expected:
        process.kill()
        raise AssertionError(
            f"expected {expected!r} from the subprocess, got {line!r}; stderr: {process.stderr.read()[-2000:]}"
        )


@pytest.fixture
def files(tmp_path):
    warehouse, published = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    write_version(warehouse, 1)
    publish(warehouse, published)
    return warehouse, published


# An analyst's session: opens the published copy read-only once, then answers "which version?"
# for every line it reads, until its stdin closes.
READER = """
    import sys, duckdb
    connection = duckdb.connect(sys.argv[1], read_only=True)
    for _request in sys.stdin:
        print(connection.execute("select version from marts.marker").fetchone()[0], flush=True)
"""


def ask(reader: subprocess.Popen) -> str:
    reader.stdin.write("version?\n")
    reader.stdin.flush()
    return reader.stdout.readline().strip()


def test_a_sync_leaves_its_warehouse_and_published_copy_readable_by_their_owner_only(settled):
    for database in (settled.warehouse, settled.warehouse.parent / "published.duckdb"):
        assert stat.S_IMODE(database.stat().st_mode) == 0o600, database


def test_every_view_and_window_macro_of_the_published_copy_answers_social_roi_sql(settled):
    published = settled.warehouse.parent / "published.duckdb"
    views = query_published("select schema_name, view_name from duckdb_views() where not internal", published)[1]
    assert len(views) > 10
    for schema, view in views:  # its catalog is "published": a view naming "warehouse" would not bind
        query_published(f'select * from "{schema}"."{view}" limit 1', published)
    first, last = settled.window
    _, rows, _ = query_published(
        f"select count(*) > 0 from marts.roi_by_channel_between('{first}', '{last}')", published
    )
    assert rows == [(True,)]


def test_the_published_copy_is_readable_by_its_owner_only_in_a_private_directory(tmp_path):
    warehouse, published = tmp_path / "warehouse.duckdb", tmp_path / "new" / "published.duckdb"
    write_version(warehouse, 1)
    previous = os.umask(0)
    try:
        publish(warehouse, published)
    finally:
        os.umask(previous)

    assert stat.S_IMODE(published.stat().st_mode) == 0o600 and stat.S_IMODE(published.parent.stat().st_mode) == 0o700
    assert published_version(published) == 1


def test_a_session_held_open_on_the_published_copy_blocks_neither_the_sync_nor_the_next_publish(files):
    warehouse, published = files
    reader = python(READER, str(published))
    try:
        assert ask(reader) == "1"

        write_version(warehouse, 2)  # the sync writes the warehouse while the session stays open
        publish(warehouse, published)

        assert published_version(published) == 2  # a new session sees the new sync
        assert ask(reader) == "1"  # the open one keeps reading the copy it opened, whole
    finally:
        reader.stdin.close()
        reader.wait(WAIT_SECONDS)
    assert reader.returncode == 0, reader.stderr.read()


def test_the_published_copy_holds_writes_that_were_still_in_the_write_ahead_log(files):
    warehouse, published = files
    # A writer that commits and dies before any checkpoint: its rows live only in warehouse.duckdb.wal.
    writer = python(
        """
        import sys, time, duckdb
        connection = duckdb.connect(sys.argv[1])
        connection.execute("set checkpoint_threshold = '10GB'")
        connection.execute("create or replace table marts.marker as select 2 as version")
        print("committed", flush=True)
        time.sleep(600)
        """,
        str(warehouse),
    )
    wait_for_line(writer, "committed")
    writer.kill()
    writer.wait(WAIT_SECONDS)
    assert warehouse.with_name("warehouse.duckdb.wal").exists()

    publish(warehouse, published)

    assert published_version(published) == 2
    assert not published.with_name("published.duckdb.wal").exists()


# A publisher that is killed -9 at a chosen moment: while the copy is half written, or with the
# copy complete but not yet swapped in.
KILLED_PUBLISHER = """
    import sys, time
    from pathlib import Path
    import pipelines.publication as publishing

    def torn_copy(source, target):
        with open(source, "rb") as whole, open(target, "wb") as half:
            half.write(whole.read(Path(source).stat().st_size // 2))
        print("stopped", flush=True)
        time.sleep(600)

    real_swap_in = publishing._swap_in

    def stall_before_swap(temporary, published):
        print("stopped", flush=True)
        time.sleep(600)

    if sys.argv[3] == "while copying":
        publishing._copy_file = torn_copy
    else:
        publishing._swap_in = stall_before_swap
    publishing.publish(Path(sys.argv[1]), Path(sys.argv[2]))
"""


@pytest.mark.parametrize("moment", ["while copying", "between copy and swap"])
def test_a_publish_killed_half_way_leaves_the_old_copy_and_the_next_publish_completes_and_cleans_up(files, moment):
    warehouse, published = files
    write_version(warehouse, 2, filler_rows=300_000)  # a few megabytes to copy
    publisher = python(KILLED_PUBLISHER, str(warehouse), str(published), moment)
    wait_for_line(publisher, "stopped")

    publisher.kill()  # SIGKILL: no cleanup code runs
    publisher.wait(WAIT_SECONDS)

    assert published_version(published) == 1  # the old copy, whole and openable
    assert len(leftovers(published)) == 1
    publish(warehouse, published)  # not blocked by the dead publisher's lock
    assert published_version(published) == 2
    assert leftovers(published) == []


def test_publishing_while_another_process_holds_the_warehouse_fails_clearly_and_keeps_the_published_copy(files):
    warehouse, published = files
    holder = python(
        """
        import sys, time, duckdb
        connection = duckdb.connect(sys.argv[1], read_only=True)
        print("holding", flush=True)
        time.sleep(600)
        """,
        str(warehouse),
    )
    try:
        wait_for_line(holder, "holding")
        with pytest.raises(PublishError, match="Another process holds it"):
            publish(warehouse, published)
    finally:
        holder.kill()
        holder.wait(WAIT_SECONDS)
    assert published_version(published) == 1
    assert leftovers(published) == []


def test_the_published_copy_sits_beside_the_warehouse_unless_set(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIAL_ROI_WAREHOUSE", str(tmp_path / "data" / "warehouse.duckdb"))
    monkeypatch.delenv("SOCIAL_ROI_PUBLISHED", raising=False)
    assert published_path() == tmp_path / "data" / "published.duckdb"

    monkeypatch.setenv("SOCIAL_ROI_PUBLISHED", str(tmp_path / "shared" / "roi.duckdb"))
    assert published_path() == tmp_path / "shared" / "roi.duckdb"


def test_sql_prints_a_table_from_the_published_copy(files, monkeypatch):
    _warehouse, published = files
    monkeypatch.setenv("SOCIAL_ROI_PUBLISHED", str(published))

    printed = run_sql("select version, 'first sync' as label from marts.marker")

    header, rule, row, footer = printed.splitlines()
    assert header.split() == ["version", "label"]
    assert row.split() == ["1", "first", "sync"]
    assert footer == "(1 row)"
    assert query_published("select count(*) from marts.filler") == (["count_star()"], [(1_000,)], False)


def test_sql_shows_at_most_the_row_limit_and_says_so(files):
    _warehouse, published = files

    printed = run_sql("select id from marts.filler order by id", published, max_rows=5)

    assert [line.strip() for line in printed.splitlines()[2:7]] == ["0", "1", "2", "3", "4"]
    assert "first 5 rows shown" in printed.splitlines()[-1]


def test_sql_cannot_write_to_the_published_copy(files):
    _warehouse, published = files

    with pytest.raises(SqlError, match="read-only"):
        run_sql("drop table marts.marker", published)
    assert published_version(published) == 1


@pytest.mark.parametrize(
    "reaching_out",
    [
        "copy marts.filler to '{tmp}/exported.csv'",
        "select * from read_text('/etc/hostname')",
        "attach '{tmp}/other.duckdb' as other",
        "select * from read_csv('http://127.0.0.1:9/figures.csv')",
    ],
    ids=["writes a file", "reads a file", "attaches a database", "reaches the network"],
)
def test_sql_reads_the_published_copy_and_nothing_else(files, tmp_path, monkeypatch, capsys, reaching_out):
    from pipelines.cli import main

    _warehouse, published = files
    monkeypatch.setenv("SOCIAL_ROI_PUBLISHED", str(published))

    status = main(["sql", reaching_out.format(tmp=tmp_path)])

    assert status == 2
    assert "social-roi sql reads the published warehouse only" in capsys.readouterr().err
    assert not (tmp_path / "exported.csv").exists() and not (tmp_path / "other.duckdb").exists()
    assert main(["sql", "select version from marts.marker"]) == 0 and "(1 row)" in capsys.readouterr().out


def test_sql_before_anything_is_published_says_how_to_get_a_copy(tmp_path):
    with pytest.raises(PublishedCopyMissingError, match="social-roi sync"):
        run_sql("select 1", tmp_path / "published.duckdb")


# --- as the sync job's last step ----------------------------------------------------------------


def sync_job_with_publication(version: int, fails: bool = False):
    """A stand-in for the sync: one partitioned step that writes the warehouse, then publication."""
    import dagster as dg

    from pipelines.assets.publish import build_publish_asset
    from pipelines.run_window import single_run, year_partitions
    from pipelines.settings import warehouse_location
    from pipelines.warehouse_writer import RESOURCE_KEY, WarehouseWriter

    @dg.asset(
        key=["marts", "roi_by_campaign"], partitions_def=year_partitions, backfill_policy=single_run, pool="warehouse"
    )
    def final_tables() -> None:
        if fails:
            raise RuntimeError("dbt build failed")
        warehouse = warehouse_location()
        assert isinstance(warehouse, Path)
        write_version(warehouse, version)

    published = build_publish_asset([final_tables])
    return dg.Definitions(
        assets=[final_tables, published],
        jobs=[dg.define_asset_job("sync", executor_def=dg.in_process_executor)],
        resources={RESOURCE_KEY: WarehouseWriter()},
    ).resolve_job_def("sync")


@pytest.mark.parametrize("sync_fails", [False, True])
def test_the_sync_publishes_as_its_last_step_and_only_when_everything_before_it_succeeded(
    files, monkeypatch, sync_fails
):
    import dagster as dg

    from pipelines.run_window import range_tags

    warehouse, published = files
    monkeypatch.setenv("SOCIAL_ROI_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("SOCIAL_ROI_PUBLISHED", str(published))
    job = sync_job_with_publication(version=2, fails=sync_fails)

    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            tags=range_tags(dt.date(2026, 11, 1), dt.date(2026, 11, 24)),
            raise_on_error=False,
        )

    assert result.success is not sync_fails
    assert published_version(published) == (1 if sync_fails else 2)

"""Loading raw platform records into DuckDB: staged on disk, then one bulk replace per sync.

Records stream from a connector into a newline-delimited JSON file, so memory stays flat however
long the window is. Only then is the warehouse opened (no API call ever waits while we hold the
DuckDB lock), and the fetched (slice, day) ranges are deleted and re-inserted in one transaction
with DuckDB's own JSON reader: a sync either lands whole or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from connectors.errors import PlatformError
from connectors.source import RawSource, SliceRecords

RAW_SCHEMA = "raw"


@dataclasses.dataclass(frozen=True)
class StagedSync:
    """A window's records on disk, one file per slice that was fetched whole, not yet loaded."""

    files: tuple[Path, ...]
    slices: tuple[str, ...]  # the slices fetched whole: only these are replaced
    failures: tuple[PlatformError, ...]  # slices that failed: their earlier data stays as it was
    since: dt.date
    until: dt.date
    rows: int


def stage_records(
    fetched: Iterable[SliceRecords],
    directory: Path,
    since: dt.date,
    until: dt.date,
    on_slice: Callable[[str, int], None] = lambda _slice, _rows: None,
) -> StagedSync:
    """Write each slice to its own file. A slice that fails part-way is dropped whole, so that one
    account's expired token or spent quota loses nothing of the others."""
    files, slices, failures, rows = [], [], [], 0
    for number, (slice_key, records) in enumerate(fetched):
        file = directory / f"slice-{number:04d}.ndjson"
        slice_rows = 0
        try:
            with file.open("w", encoding="utf-8") as out:
                for record in records:
                    out.write(json.dumps(record, separators=(",", ":")))
                    out.write("\n")
                    slice_rows += 1
        except PlatformError as error:
            failure = error
        else:
            failure = None
        if failure is not None:
            file.unlink()
            failures.append(failure)
            continue
        files.append(file)
        slices.append(slice_key)
        rows += slice_rows
        on_slice(slice_key, slice_rows)
    return StagedSync(tuple(files), tuple(slices), tuple(failures), since, until, rows)


def ensure_raw_table(connection: duckdb.DuckDBPyConnection, source: RawSource) -> None:
    columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in source.columns.items())
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    connection.execute(f"create table if not exists {RAW_SCHEMA}.{source.table} ({columns}, _loaded_at timestamp)")
    # A column a newer connector lands is added to a table an earlier version created: its rows
    # keep every value and read NULL in the new column until their days are fetched again.
    for name, sql_type in source.columns.items():
        connection.execute(f'alter table {RAW_SCHEMA}.{source.table} add column if not exists "{name}" {sql_type}')


def replace_slices(database: Path, source: RawSource, staged: StagedSync) -> None:
    """Delete every fetched (slice, day) in the window, insert the staged rows: one transaction.

    Days inside the window that came back empty are deleted too: absent from the API means no
    delivery, and an earlier sync's figures for them are no longer true.

    A snapshot source's rows are only ever added: those whose identity the table already holds are
    left as they were (the first snapshot of a day stands).
    """
    table = f"{RAW_SCHEMA}.{source.table}"
    column_spec = "{" + ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in source.columns.items()) + "}"
    names = ", ".join(f'"{name}"' for name in source.columns)
    if not staged.slices:
        return
    with duckdb.connect(str(database)) as connection:
        ensure_raw_table(connection, source)
        connection.execute("begin transaction")
        try:
            if not source.snapshots:
                connection.execute(
                    f"delete from {table} where {source.slice_column} in (select unnest(?)) and {source.date_column} between ? and ?",
                    [list(staged.slices), staged.since, staged.until],
                )
            if staged.rows:
                held = " and ".join(f'held."{name}" = fetched."{name}"' for name in source.identity)
                keep_held = f" where not exists (select 1 from {table} held where {held})" if source.snapshots else ""
                connection.execute(
                    f"insert into {table} ({names}, _loaded_at) select {names}, now() "
                    f"from read_json(?, format='newline_delimited', columns={column_spec}) fetched{keep_held}",
                    [[str(file) for file in staged.files]],
                )
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise


def ensure_raw_tables(database: Path, sources: Iterable[RawSource]) -> None:
    """Every raw table dbt reads exists with the columns its connector lands today: for a platform
    nobody has configured yet, and for a warehouse an earlier version created."""
    with duckdb.connect(str(database)) as connection:
        for source in sources:
            ensure_raw_table(connection, source)

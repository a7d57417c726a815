"""Loading raw platform records into DuckDB: staged on disk, then one bulk replace per sync.

Records stream from a connector into a newline-delimited JSON file, so memory stays flat however
long the window is. Only then is the warehouse opened (no API call ever waits while we hold the
DuckDB lock), and the fetched (slice, day) ranges are deleted and re-inserted in one transaction
with DuckDB's own JSON reader: a sync either lands whole or not at all.

A table loaded with ParsePages stages the platform's response pages instead, a line each, and DuckDB
parses them: one statement per slice casts and checks every row, so Python never touches a row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from connectors import redaction
from connectors.errors import MalformedPayloadError, PlatformError
from connectors.platform import KeepSnapshots, ParsePages, RawTable, SliceRecords
from pipelines.lake import Lake, open_warehouse

RAW_SCHEMA = "raw"
# DuckDB's memory and threads while it parses and loads a sync (its own defaults: 80 % of the
# machine, a thread per core). Beyond the limit it spills what it can to disk, but its buffers grow
# with the threads: the two hold together. Measured on Meta's page path: 300,000 rows loaded in 4.0 s
# with 396 MiB of peak growth, against 4.6 s and 891 MiB without a limit; at 512 MB with 8 threads,
# or at 256 MB with 2, 100,000 rows ran out of memory. One account's rows that still do not fit fail
# that account, with the window to shorten.
LOAD_MEMORY_LIMIT = "512MB"
LOAD_THREADS = 2


@dataclasses.dataclass(frozen=True)
class StagedSync:
    """A window's records on disk, one file per slice that was fetched whole, not yet loaded."""

    files: tuple[Path, ...]
    slices: tuple[str, ...]  # the slices fetched whole: only these are replaced
    failures: tuple[PlatformError, ...]  # slices that failed: their earlier data stays as it was
    since: dt.date
    until: dt.date
    rows: int  # records, or pages for a table loaded with ParsePages until replace_slices has parsed them


def stage_records(
    fetched: Iterable[SliceRecords],
    directory: Path,
    since: dt.date,
    until: dt.date,
    on_slice: Callable[[str, int], None] = lambda _slice, _rows: None,
) -> StagedSync:
    """Write each slice to its own file. A slice that fails part-way is dropped whole, so that one
    account's expired token or spent quota loses nothing of the others.

    Each line is written as `redaction.stored_line` makes it: nested paging objects dropped, the run's
    secrets scrubbed from the finished line, so that no token reaches the file or the warehouse."""
    files, slices, failures, rows = [], [], [], 0
    scrub = redaction.Scrubber()
    for number, (slice_key, records) in enumerate(fetched):
        file = directory / f"slice-{number:04d}.ndjson"
        slice_rows = 0
        try:
            with file.open("w", encoding="utf-8") as out:
                for record in records:
                    # a page line arrives as JSON text already; a record is written as JSON
                    out.write(redaction.stored_line(record, scrub))
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


def ensure_raw_table(connection: duckdb.DuckDBPyConnection, raw_table: RawTable) -> None:
    """The table exists with every column its connector lands: one transaction. On a lake each
    statement outside one is a catalog transaction of its own in PostgreSQL (about six round trips
    even when nothing changes): 108 to 123 statements for a table of 16 columns, 6 inside one."""
    columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in raw_table.columns.items())
    connection.execute("begin transaction")
    try:
        connection.execute(f"create schema if not exists {RAW_SCHEMA}")
        connection.execute(
            f"create table if not exists {RAW_SCHEMA}.{raw_table.name} ({columns}, _loaded_at timestamp)"
        )
        # A column a newer connector lands is added to a table an earlier version created: its rows
        # keep every value and read NULL in the new column until their days are fetched again.
        for name, sql_type in raw_table.columns.items():
            connection.execute(
                f'alter table {RAW_SCHEMA}.{raw_table.name} add column if not exists "{name}" {sql_type}'
            )
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")  # outside the try, as replace_slices's: a failed commit has no transaction left


def replace_slices(database: Path | Lake, raw_table: RawTable, staged: StagedSync) -> StagedSync:
    """Delete every fetched (slice, day) in the window, insert the staged rows: one transaction.

    Days inside the window that came back empty are deleted too: absent from the API means no
    delivery, and an earlier sync's figures for them are no longer true.

    A snapshot table's rows (KeepSnapshots) are only ever added: those whose identity the table already holds are
    left as they were (the first snapshot of a day stands), or, for one that refreshes its
    snapshots, replaced by the newer fetch; rows not fetched again stay.

    Returns what was loaded: for a table of pages (ParsePages), the slices whose pages held a malformed row have
    moved to the failures (their earlier rows stay), and `rows` counts the rows parsed.
    """
    table = f"{RAW_SCHEMA}.{raw_table.name}"
    names = ", ".join(f'"{name}"' for name in raw_table.columns)
    if not staged.slices:
        return staged
    with open_warehouse(database, config={"memory_limit": LOAD_MEMORY_LIMIT, "threads": LOAD_THREADS}) as connection:
        ensure_raw_table(connection, raw_table)
        if isinstance(raw_table.load, ParsePages):
            staged, parsed_tables = _parse_pages(connection, raw_table, raw_table.load, staged)
            fetched_rows = "(" + " union all ".join(f"select * from {name}" for name in parsed_tables) + ")"
            parameters = []
        else:
            column_spec = (
                "{" + ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in raw_table.columns.items()) + "}"
            )
            fetched_rows = f"read_json(?, format='newline_delimited', columns={column_spec})"
            parameters = [[str(file) for file in staged.files]]
        if not staged.slices:
            return staged
        connection.execute("begin transaction")
        try:
            snapshots = raw_table.load if isinstance(raw_table.load, KeepSnapshots) else None
            if snapshots is None:
                connection.execute(
                    f"delete from {table} where {raw_table.slice_column} in (select unnest(?)) and {raw_table.date_column} between ? and ?",
                    [list(staged.slices), staged.since, staged.until],
                )
            held = " and ".join(f'held."{name}" = fetched."{name}"' for name in raw_table.identity)
            if snapshots is not None and snapshots.refresh and staged.rows:
                connection.execute(
                    f"delete from {table} held where exists (select 1 from {fetched_rows} fetched where {held})",
                    parameters,
                )
            if staged.rows:
                keep_held = (
                    f" where not exists (select 1 from {table} held where {held})" if snapshots is not None else ""
                )
                connection.execute(
                    f"insert into {table} ({names}, _loaded_at) select {names}, now() from {fetched_rows} fetched{keep_held}",
                    parameters,
                )
        except BaseException:
            connection.execute("rollback")
            raise
        # Outside the try: a commit that fails (a lake's writer that lost to another's commit) has ended its
        # transaction itself, and a rollback would replace its error with "no transaction is active".
        connection.execute("commit")
    return staged


def _parse_pages(
    connection: duckdb.DuckDBPyConnection, raw_table: RawTable, pages: ParsePages, staged: StagedSync
) -> tuple[StagedSync, list[str]]:
    """Each slice's pages parsed by the table's SQL into a temporary table of its own, before the
    load's transaction: a slice whose pages DuckDB cannot read, that holds a malformed row, or that
    holds a row twice, is set aside with one of its problems, and the others load."""
    slices, failures, tables, rows = [], list(staged.failures), [], 0
    key = ", ".join(f'"{name}"' for name in pages.row_key)
    for number, (file, slice_key) in enumerate(zip(staged.files, staged.slices)):
        name = f"parsed_pages_{number:04d}"
        where = f"{raw_table.platform} {raw_table.slice_column} {slice_key}"
        try:
            connection.execute(f"create or replace temp table {name} as {pages.sql}", [str(file)])
        # DuckDB's own words quote the input, which may hold a paging link and its token: not repeated
        except (duckdb.InvalidInputException, duckdb.ConversionException) as error:
            too_large = re.search(r'"maximum_object_size" of (\d+) bytes exceeded', str(error))
            if too_large:
                failures.append(
                    PlatformError(
                        raw_table.platform,
                        f"{raw_table.platform} sent a page for {raw_table.slice_column} {slice_key} larger than the {int(too_large[1]) / 2**20:g} MB the load reads as one page (maximum_object_size in its pages SQL); nothing from this sync was written for it. Sync a shorter window or fewer fields.",
                        slice_key,
                    )
                )
                continue
            failures.append(
                MalformedPayloadError(
                    raw_table.platform,
                    f"{raw_table.platform} sent a page for {raw_table.slice_column} {slice_key} that is not the JSON it documents (no `data` list of rows, or not JSON at all); nothing from this sync was written for it. Rerun later; if it persists, report it with this message.",
                    slice_key,
                )
            )
            continue
        except duckdb.OutOfMemoryException:
            failures.append(
                PlatformError(
                    raw_table.platform,
                    f"The rows of {where} for {staged.since}..{staged.until} did not fit in the load's {LOAD_MEMORY_LIMIT} of memory; nothing from this sync was written for it. Sync it over a shorter window (social-roi sync --start/--end), a few months at a time.",
                    slice_key,
                )
            )
            continue
        ((problem, slice_rows, distinct_rows),) = connection.execute(
            f"select min(problem), count(*), count(distinct ({key or 'null'})) from {name}"
        ).fetchall()
        if problem is None and key and distinct_rows < slice_rows:
            problem = f"{raw_table.platform} sent the same row ({', '.join(pages.row_key)}) twice for {raw_table.slice_column} {slice_key}; nothing from this sync was written for it. Rerun later; if it persists, report it with this message."
        if problem is not None:
            failures.append(MalformedPayloadError(raw_table.platform, problem, slice_key))
            connection.execute(f"drop table {name}")
            continue
        slices.append(slice_key)
        tables.append(name)
        rows += slice_rows
    return dataclasses.replace(staged, slices=tuple(slices), failures=tuple(failures), rows=rows), tables


def ensure_raw_tables(database: Path | Lake, raw_tables: Iterable[RawTable]) -> None:
    """Every raw table dbt reads exists with the columns its connector lands today: for a platform
    nobody has configured yet, and for a warehouse an earlier version created."""
    with open_warehouse(database) as connection:
        for raw_table in raw_tables:
            ensure_raw_table(connection, raw_table)

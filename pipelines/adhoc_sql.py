"""`social-roi sql`: ad-hoc SQL on the published read-only copy (or the lake, read directly), printed
as an aligned table.

The query reads that copy and nothing else: DuckDB's external access is off, so no query writes a
file (`COPY ... TO`), reads one (`read_text('/etc/...')`), attaches another database or reaches the
network, whoever typed it (a pasted query, a shared script)."""

import decimal
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.lake import Lake
from pipelines.settings import published_path, warehouse_location

MAX_PRINTED_ROWS = 1_000


class PublishedCopyMissingError(FileNotFoundError):
    """Nothing has been published yet."""


class SqlError(ValueError):
    """DuckDB refused an ad-hoc query (syntax, unknown table, a write on the read-only copy, or a file)."""


def query_published(
    sql: str, published: Path | None = None, max_rows: int | None = None
) -> tuple[list[str], list[tuple], bool]:
    """(column names, rows, whether more rows were left out) of one query on the published copy, opened
    read-only; where the warehouse is a lake, on the lake itself (a reader there sees whole snapshots)."""
    connection, path = _reader(published)
    with connection:
        try:
            _only_queries(connection, sql)
            result = connection.execute(sql)
            # One row past the limit tells whether any were left out, without fetching them all.
            rows = result.fetchall() if max_rows is None else result.fetchmany(max_rows + 1)
        except duckdb.PermissionException as error:
            raise SqlError(
                f"social-roi sql reads the published warehouse only: files, other databases and the network are "
                f"off. For an export, query it with the duckdb CLI (duckdb -readonly on the copy; ATTACH on a lake). ({error})"
            ) from None
        except duckdb.Error as error:
            raise SqlError(str(error)) from None
        truncated = max_rows is not None and len(rows) > max_rows
        return [column[0] for column in result.description], rows[:max_rows] if truncated else rows, truncated


def _only_queries(connection: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Queries only (SELECT and EXPLAIN, and what DuckDB answers as a SELECT: DESCRIBE, SUMMARIZE, PRAGMA): on a lake the
    reader must reach its own data path, where a `COPY … TO` would otherwise overwrite a table's file."""
    for statement in connection.extract_statements(sql):
        if statement.type not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
            raise SqlError(
                f"social-roi sql reads the published warehouse only, read-only: it runs queries, not "
                f"{statement.type.name}. For an export, query it with the duckdb CLI (duckdb -readonly on the "
                "copy; ATTACH on a lake)."
            )


def _reader(published: Path | None) -> tuple[duckdb.DuckDBPyConnection, str]:
    """The read-only connection the query runs on, and what it reads (for the messages)."""
    warehouse = warehouse_location(create=False) if published is None else None
    if isinstance(warehouse, Lake):
        return warehouse.confined_reader(), str(warehouse)
    path = Path(published) if published is not None else published_path()
    if not path.exists():
        raise PublishedCopyMissingError(
            f"Nothing is published at {path} yet: a successful sync publishes it (social-roi sync --start … --end …)."
        )
    return duckdb.connect(str(path), read_only=True, config={"enable_external_access": False}), str(path)


def run_sql(sql: str, published: Path | None = None, max_rows: int = MAX_PRINTED_ROWS) -> str:
    """A printable table of one query's result on the published copy (for `social-roi sql "<query>"`)."""
    columns, rows, truncated = query_published(sql, published, max_rows)
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    numeric = [bool(rows) and all(_is_number(row[i]) or row[i] is None for row in rows) for i in range(len(columns))]

    def render(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width) for value, width, right in zip(values, widths, numeric)
        ).rstrip()

    lines = [render(columns), "  ".join("-" * width for width in widths), *(render(row) for row in cells)]
    lines.append(
        f"(first {max_rows} rows shown; add a LIMIT or narrow the query)"
        if truncated
        else f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    )
    return "\n".join(lines)


def _cell(value) -> str:
    return "NULL" if value is None else str(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)

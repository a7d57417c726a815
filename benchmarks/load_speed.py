"""How fast Meta insights go from the Graph API's JSON pages into DuckDB (run with `make bench`).

The same 100,000 Meta-like insight rows with action arrays (campaign level), as pages of 500 rows the way Graph
sends them, are loaded four ways, each into a fresh DuckDB file, and timed side by side:
- **ours**: the sync's path. Each page's body becomes a landed line (`meta_ads.landed_page`), the lines
  are staged, and `warehouse.replace_slices` lets DuckDB parse, cast, check and load them
  (`connectors/meta_ads/pages.sql`);
- **row by row**: the path before it. Every row is parsed in Python (`parse_insights_row`), staged as
  NDJSON and loaded with `read_json`;
- **the ceiling**: the rows ours produced, already typed in an Arrow table, inserted into an empty
  table of the same shape. Nothing loads faster than this into DuckDB;
- **dlt**: dlt 1.31 with its DuckDB destination and parquet loader, given each page's rows, as a data
  engineer would otherwise run it. It infers the schema and unnests the action arrays into child tables.

The SDK parses every page once on its own (`FacebookResponse.is_success`): that cost comes before
every path, so it is timed apart and counted in none. The row-by-row path and dlt are handed the
rows of that parse; ours is handed the page bodies, as the SDK's response keeps them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from connectors.meta_ads import INSIGHTS
from connectors.meta_ads.client import landed_page, parse_insights_row
from connectors.platform import ReplaceWindow
from connectors.sandbox.advertiser import SyntheticAdvertiser
from connectors.sandbox.meta_ads import ALL_FIELDS, MetaGraphApi
from connectors.sandbox.meta_figures import meta_deliveries
from pipelines import warehouse

ROWS = 100_000
PAGE_ROWS = 500  # the connector's page size
SINCE, UNTIL = dt.date(2026, 9, 1), dt.date(2026, 10, 31)
ROW_BY_ROW = dataclasses.replace(INSIGHTS, load=ReplaceWindow())
# Ours and the ceiling take a second each and vary by a third between runs: the best of three is
# reported for both. The row-by-row path and dlt run once (they take 5 and 15 s).
REPEATS = 3


def wire_rows(count: int) -> list[dict]:
    """`count` insight rows as Graph writes them (numbers as strings, action arrays), made unique by campaign id."""
    advertiser = SyntheticAdvertiser(seed=1, today=dt.date(2026, 11, 1))
    account = advertiser.meta_accounts[0]
    sample = [
        MetaGraphApi._wire_row(d, account.currency, ALL_FIELDS[:4] + ALL_FIELDS[7:])
        for d in meta_deliveries(advertiser, account.id, SINCE, UNTIL)
    ]
    return [dict(sample[i % len(sample)], campaign_id=str(i)) for i in range(count)]


def graph_pages(rows: list[dict]) -> list[str]:
    """The rows as the bodies of Graph's pages of results, cursors and next link included."""
    pages = []
    for start in range(0, len(rows), PAGE_ROWS):
        paging = {"cursors": {"before": "QVFI", "after": "QVFJ"}, "next": "https://graph.facebook.com/v26.0/1/insights"}
        pages.append(json.dumps({"data": rows[start : start + PAGE_ROWS], "paging": paging}, separators=(",", ":")))
    return pages


def load_ours(pages: list[str], account: str, directory: Path) -> warehouse.StagedSync:
    directory.mkdir()
    lines = (landed_page(account, "campaign", "Europe/Oslo", SINCE, UNTIL, n, body) for n, body in enumerate(pages))
    staged = warehouse.stage_records([(account, lines)], directory, SINCE, UNTIL)
    return warehouse.replace_slices(directory / "ours.duckdb", INSIGHTS, staged)


def load_row_by_row(pages: list[list[dict]], account: str, directory: Path) -> warehouse.StagedSync:
    """`pages` as the SDK had parsed them already: that parse is timed apart."""
    directory.mkdir()
    parsed = (
        dict(parse_insights_row(row, account, "campaign", SINCE, UNTIL), account_timezone="Europe/Oslo")
        for rows in pages
        for row in rows
    )
    staged = warehouse.stage_records([(account, parsed)], directory, SINCE, UNTIL)
    return warehouse.replace_slices(directory / "row_by_row.duckdb", ROW_BY_ROW, staged)


def typed_arrow_insert_seconds(loaded: Path, directory: Path) -> float | None:
    """The ceiling: the loaded rows, typed in Arrow, inserted into an empty raw table of the same shape."""
    try:
        import pyarrow  # noqa: F401  (the benchmark's extra: requirements-bench.lock)
    except ImportError:
        return None
    with duckdb.connect(str(loaded), read_only=True) as source:
        typed = source.sql(f"select * from {warehouse.RAW_SCHEMA}.{INSIGHTS.name}").to_arrow_table()
    timings = []
    for attempt in range(REPEATS):
        with duckdb.connect(str(directory / f"ceiling-{attempt}.duckdb")) as target:
            warehouse.ensure_raw_table(target, INSIGHTS)
            started = time.perf_counter()
            target.register("typed", typed)
            target.execute(f"insert into {warehouse.RAW_SCHEMA}.{INSIGHTS.name} select * from typed")
            timings.append(time.perf_counter() - started)
    return min(timings)


def dlt_seconds(pages: list[list[dict]], directory: Path) -> float | None:
    """dlt loading each page's rows (as the SDK parsed them) into DuckDB with its parquet loader."""
    try:
        import dlt  # the benchmark's extra: requirements-bench.lock
    except ImportError:
        return None
    pipeline = dlt.pipeline(
        pipeline_name="bench_meta",
        pipelines_dir=str(directory / "dlt"),
        destination=dlt.destinations.duckdb(str(directory / "dlt.duckdb")),
        dataset_name="raw",
    )
    started = time.perf_counter()
    pipeline.run(
        iter(pages),
        table_name="meta_ads_insights",
        loader_file_format="parquet",
    )
    return time.perf_counter() - started


def main() -> dict:
    rows = wire_rows(ROWS)
    account = str(rows[0]["account_id"])
    pages = graph_pages(rows)
    del rows
    figures: dict = {"rows": ROWS, "pages": len(pages), "page_megabytes": round(sum(map(len, pages)) / 1e6, 1)}

    started = time.perf_counter()
    for body in pages:
        json.loads(body)
    figures["sdk_parse_of_the_pages_s"] = round(time.perf_counter() - started, 3)

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        timings = []
        for attempt in range(REPEATS):
            started = time.perf_counter()
            ours = load_ours(pages, account, directory / f"ours-{attempt}")
            timings.append(time.perf_counter() - started)
        ours_s = min(timings)
        figures["ours_peak_rss_growth_mib"] = round(
            (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1
        )

        parsed_pages = [json.loads(body)["data"] for body in pages]  # what the SDK hands on (timed above)
        started = time.perf_counter()
        before = load_row_by_row(parsed_pages, account, directory / "row_by_row")
        row_by_row_s = time.perf_counter() - started
        assert ours.rows == before.rows == ROWS, (ours.rows, before.rows)

        ceiling_s = typed_arrow_insert_seconds(directory / "ours-0" / "ours.duckdb", directory)
        dlt_s = dlt_seconds(parsed_pages, directory)

    def per_second(seconds: float | None) -> int | None:
        return round(ROWS / seconds) if seconds else None

    figures.update(
        ours_rows_per_s=per_second(ours_s),
        row_by_row_rows_per_s=per_second(row_by_row_s),
        typed_arrow_ceiling_rows_per_s=per_second(ceiling_s),
        dlt_rows_per_s=per_second(dlt_s),
        ours_over_ceiling=round(ceiling_s / ours_s, 3) if ceiling_s else None,
        ours_over_dlt=round(dlt_s / ours_s, 1) if dlt_s else None,
        ours_over_row_by_row=round(row_by_row_s / ours_s, 1),
    )
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

"""How fast Meta rows go from the connector's parser into DuckDB (run with `make bench`).

Measures the two costs of a sync that are ours rather than the platform's: parsing wire rows
(strings → typed records) and the staged bulk replace into the raw table.
"""

import datetime as dt
import json
import resource
import tempfile
import time
from pathlib import Path

from connectors.meta_ads import SOURCE, parse_insights_row
from connectors.sandbox.advertiser import SyntheticAdvertiser
from connectors.sandbox.meta_figures import meta_deliveries
from connectors.sandbox.meta_graph import ALL_FIELDS, MetaGraphApi
from pipelines import warehouse

ROWS = 100_000


def wire_rows(count: int) -> list[dict]:
    advertiser = SyntheticAdvertiser(seed=1, today=dt.date(2026, 11, 1))
    account = advertiser.meta_accounts[0]
    sample = [
        MetaGraphApi._wire_row(d, account.currency, ALL_FIELDS[:4] + ALL_FIELDS[7:])
        for d in meta_deliveries(advertiser, account.id, dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    ]
    return [dict(sample[i % len(sample)], campaign_id=str(i)) for i in range(count)]


def main() -> dict:
    rows = wire_rows(ROWS)
    account = rows[0]["account_id"]
    since, until = dt.date(2026, 9, 1), dt.date(2026, 10, 31)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    parsed = (parse_insights_row(row, account, "campaign", since, until) for row in rows)
    with tempfile.TemporaryDirectory() as tmp:
        staged = warehouse.stage_records([(account, parsed)], Path(tmp), since, until)
        staged_at = time.perf_counter()
        warehouse.replace_slices(Path(tmp) / "bench.duckdb", SOURCE, staged)
        loaded_at = time.perf_counter()
    rss_growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    return {
        "rows": staged.rows,
        "parse_and_stage_rows_per_s": round(staged.rows / (staged_at - started)),
        "bulk_replace_rows_per_s": round(staged.rows / (loaded_at - staged_at)),
        "end_to_end_rows_per_s": round(staged.rows / (loaded_at - started)),
        "peak_rss_growth_mib_beyond_input": round(rss_growth_kib / 1024, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

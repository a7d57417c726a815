"""One 30-day sync of the sandbox advertiser in this process, reporting its peak memory (RSS) and the
raw rows it wrote: `python -m benchmarks.sync_memory <extra LinkedIn campaigns>`. pipeline_costs runs it
in a fresh process per size, so that each peak is its own."""

import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

import dagster as dg

from connectors import clock
from connectors.sandbox import Sandbox
from pipelines.runs import run_sync
from pipelines.warehouse import RAW_SCHEMA


def peak_rss_mib() -> int:
    """This process's peak resident memory: the connectors, staging and the load (dbt runs in a process of
    its own). Read from /proc (VmHWM), which starts afresh with the process: getrusage's ru_maxrss keeps the
    parent's peak across exec, so a child started by a large parent would report the parent's."""
    status = Path("/proc/self/status").read_text()
    return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)


def main(extra_linkedin_campaigns: int) -> dict:
    yesterday = clock.yesterday()
    with tempfile.TemporaryDirectory(prefix="social-roi-memory-") as scratch:
        with Sandbox(seed=7, extra_linkedin_campaigns=extra_linkedin_campaigns) as sandbox:
            os.environ.update({**sandbox.environment(), "SOCIAL_ROI_WAREHOUSE": f"{scratch}/warehouse.duckdb"})
            with dg.instance_for_test(temp_dir=scratch, set_dagster_home=False) as instance:
                result = run_sync(yesterday - dt.timedelta(days=29), yesterday, instance=instance, raise_on_error=False)
        import duckdb

        with duckdb.connect(str(Path(scratch) / "warehouse.duckdb"), read_only=True) as connection:
            tables = connection.execute(
                "select table_name from information_schema.tables where table_schema = ?", [RAW_SCHEMA]
            ).fetchall()
            rows = sum(
                connection.execute(f"select count(*) from {RAW_SCHEMA}.{table}").fetchone()[0] for (table,) in tables
            )
    return {
        "success": result.success,
        "raw_rows": rows,
        "peak_rss_mib": peak_rss_mib(),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))

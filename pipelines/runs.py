"""Launching the sync job for a range of days as ONE recorded Dagster run."""

import datetime as dt

import dagster as dg

from pipelines.definitions import defs
from pipelines.partitions import daily_partitions
from pipelines.settings import dagster_home


def dagster_instance() -> dg.DagsterInstance:
    """The persistent instance in DAGSTER_HOME, so runs launched here appear in `dagster dev`."""
    import os

    os.environ["DAGSTER_HOME"] = str(dagster_home())
    return dg.DagsterInstance.get()


def run_sync(start: dt.date, end: dt.date, instance: dg.DagsterInstance | None = None, raise_on_error: bool = True, log_level: str = "DEBUG") -> dg.ExecuteInProcessResult:
    """Materialize every asset for the days start..end (inclusive) in a single run.

    `log_level` only filters what the run prints to the console; the instance records everything.
    """
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    last = dt.date.fromisoformat(daily_partitions.get_last_partition_key())
    first = dt.date.fromisoformat(daily_partitions.get_first_partition_key())
    if start < first or end > last:
        raise ValueError(f"Days must lie within {first}..{last} (today is still being delivered, so the last full day is {last}).")
    job = defs.resolve_job_def("sync")
    return job.execute_in_process(
        instance=instance or dagster_instance(),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        },
        raise_on_error=raise_on_error,
    )

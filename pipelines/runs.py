"""Launching the sync job for a range of days as ONE recorded Dagster run."""

import datetime as dt
import os
from collections.abc import Mapping

import dagster as dg

from pipelines.definitions import defs
from pipelines.run_window import first_and_last_day, range_tags, window_tags
from pipelines.schedules import REBUILD_JOB_NAME, SYNC_JOB_NAME
from pipelines.settings import dagster_home


def dagster_instance() -> dg.DagsterInstance:
    """The persistent instance in DAGSTER_HOME, so runs launched here appear in `dagster dev`."""
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    return dg.DagsterInstance.get()


def run_sync(
    start: dt.date,
    end: dt.date,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
    progress: bool = False,
    job_name: str = SYNC_JOB_NAME,
    windows: Mapping[str, tuple[dt.date, dt.date]] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize every asset of the job (by default the sync: everything) for the days start..end
    (inclusive) in a single run. `windows` gives platforms a window of their own, as the nightly
    schedule does (`pipelines.run_window.source_window`).

    The instance records every log line. The console shows the run's own log (warnings and
    errors), or with `progress` only one line per platform and account as it lands, then dbt and
    publication.
    """
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    first, last = first_and_last_day()
    if start < first or end > last:
        raise ValueError(
            f"Days must lie within {first}..{last} (today is still being delivered, so the last full day is {last})."
        )
    loggers = {"progress": {}} if progress else {"console": {"config": {"log_level": "WARNING"}}}
    return defs.resolve_job_def(job_name).execute_in_process(
        instance=instance or dagster_instance(),
        run_config={"loggers": loggers},
        tags={**range_tags(start, end), **window_tags(windows or {})},
        raise_on_error=raise_on_error,
    )


def run_rebuild(start: dt.date, end: dt.date, **options) -> dg.ExecuteInProcessResult:
    """Rebuild the models and republish for start..end from the raw data already loaded: no platform
    is called. For after a seed, ledger or KPI target edit."""
    return run_sync(start, end, job_name=REBUILD_JOB_NAME, **options)

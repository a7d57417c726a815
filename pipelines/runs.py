"""Launching a sync for a range of days: the ingestion run, then the models' run for the same days.

Two runs rather than one: the raw tables are partitioned by year and the models are not, and a
run that covers a partition range makes Dagster record every asset and check of the run once per
partition (on SQLite, even the unpartitioned ones). The ingestion run covers the years that hold
its days, and carries the days themselves in a tag; the models' run carries the tag alone, so a
3-year backfill records 4 years of each raw table and each model once (DECISIONLOG.md, "The raw
tables are partitioned by year, and a run's days travel in a tag"). The nightly schedule does the
same through the `models_after_sync` sensor.

A sync holds the warehouse from before its first run until its last has ended
(pipelines/warehouse_writer.py): while another run writes it, `run_sync` and `run_rebuild` raise
WarehouseBusyError at once, before any run is created or any platform called.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import os
import uuid
from collections.abc import Iterator, Mapping

import dagster as dg

from pipelines.definitions import defs
from pipelines.run_window import days_tags, first_and_last_day, range_tags, window_tags
from pipelines.schedules import REBUILD_JOB_NAME, SYNC_JOB_NAME
from pipelines.settings import dagster_home, warehouse_location
from pipelines.warehouse_writer import check_no_other_process_has_it_open, fail_abandoned_run, hold


@dataclasses.dataclass(frozen=True)
class SyncRuns:
    """The runs of one sync, in order: the ingestion run, and the models' run when ingestion succeeded
    (a rebuild is the models' run alone)."""

    runs: tuple[dg.ExecuteInProcessResult, ...]

    @property
    def success(self) -> bool:
        return all(run.success for run in self.runs)

    @property
    def run_id(self) -> str:
        """The first run's id: the one the UI shows the sync under."""
        return self.runs[0].run_id

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(run.run_id for run in self.runs)

    @property
    def all_events(self) -> list[dg.DagsterEvent]:
        return [event for run in self.runs for event in run.all_events]

    def get_asset_check_evaluations(self) -> list:
        return [evaluation for run in self.runs for evaluation in run.get_asset_check_evaluations()]


def dagster_instance() -> dg.DagsterInstance:
    """The persistent instance in DAGSTER_HOME, so runs launched here appear in `dagster dev`.

    Made under a lock in DAGSTER_HOME: Dagster creates its SQLite storage on first use, and two
    processes doing so at once (two syncs started together by cron) fail with "table run_tags
    already exists" or alembic's "more than one head" (reproduced with four processes on a fresh
    home). Whichever comes second finds the storage made and only opens it."""
    home = dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)
    descriptor = os.open(home / ".instance-setup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # held for the second or so the storage takes to open
        return dg.DagsterInstance.get()
    finally:
        os.close(descriptor)  # closing releases the lock


def new_run_id() -> str:
    """A run id made before the run, so that the writer lock names the run from the moment it is taken."""
    return str(uuid.uuid4())


@contextlib.contextmanager
def writing_the_warehouse(instance: dg.DagsterInstance, first_run_id: str) -> Iterator[None]:
    """This process holds the warehouse for the runs of one sync or rebuild, the first `first_run_id`.
    Refused at once (WarehouseBusyError) while another run writes it; a process outside the pipeline
    with the file open is refused too (WarehouseOpenElsewhereError), both before anything is fetched.
    Taking it again inside (the CLI, then run_sync) only renames the run."""
    with hold(warehouse_location(create=False), first_run_id) as holding:  # held before the file is made
        fail_abandoned_run(instance, holding.abandoned)
        check_no_other_process_has_it_open(holding.warehouse)
        yield


def run_sync(
    start: dt.date,
    end: dt.date,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
    progress: bool = False,
    windows: Mapping[str, tuple[dt.date, dt.date]] | None = None,
    run_id: str | None = None,
) -> SyncRuns:
    """Sync the days start..end (inclusive): ONE ingestion run for the whole range, then, when it
    succeeded, ONE run of the models and publication for the same days. `windows` gives platforms
    a window of their own, as the nightly schedule does (`pipelines.run_window.source_window`).

    The instance records every log line. The console shows the runs' own log (warnings and
    errors), or with `progress` only one line per platform and account as it lands, then dbt and
    publication. `run_id` is the ingestion run's (made here unless given).
    """
    instance, run_id = instance or dagster_instance(), run_id or new_run_id()
    with writing_the_warehouse(instance, run_id):
        ingestion = run_ingestion(start, end, instance, raise_on_error, progress, windows, run_id)
        if not ingestion.success:
            return ingestion
        models = _execute(REBUILD_JOB_NAME, days_tags(start, end), instance, raise_on_error, progress)
    return SyncRuns((*ingestion.runs, models))


def run_ingestion(
    start: dt.date,
    end: dt.date,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
    progress: bool = False,
    windows: Mapping[str, tuple[dt.date, dt.date]] | None = None,
    run_id: str | None = None,
) -> SyncRuns:
    """The first half of a sync: the raw tables for start..end, in ONE run; the models are not built."""
    _check_days(start, end)
    tags = {**range_tags(start, end), **window_tags(windows or {})}
    instance, run_id = instance or dagster_instance(), run_id or new_run_id()
    with writing_the_warehouse(instance, run_id):
        return SyncRuns((_execute(SYNC_JOB_NAME, tags, instance, raise_on_error, progress, run_id),))


def run_rebuild(
    start: dt.date,
    end: dt.date,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
    progress: bool = False,
    run_id: str | None = None,
) -> SyncRuns:
    """Rebuild the models and republish for start..end from the raw data already loaded: no platform
    is called. For after an edit of a mapping, the ledger or the KPI targets in config/."""
    _check_days(start, end)
    instance, run_id = instance or dagster_instance(), run_id or new_run_id()
    with writing_the_warehouse(instance, run_id):
        run = _execute(REBUILD_JOB_NAME, days_tags(start, end), instance, raise_on_error, progress, run_id)
    return SyncRuns((run,))


def _check_days(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    first, last = first_and_last_day()
    if start < first or end > last:
        raise ValueError(
            f"Days must lie within {first}..{last} (today is still being delivered, so the last full day is {last})."
        )


def _execute(
    job_name: str,
    tags: dict[str, str],
    instance: dg.DagsterInstance,
    raise_on_error: bool,
    progress: bool,
    run_id: str | None = None,
) -> dg.ExecuteInProcessResult:
    loggers = {"progress": {}} if progress else {"console": {"config": {"log_level": "WARNING"}}}
    return defs.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        run_config={"loggers": loggers},
        tags=tags,
        raise_on_error=raise_on_error,
        run_id=run_id or new_run_id(),
    )

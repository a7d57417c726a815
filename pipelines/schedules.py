"""The nightly sync: ONE run each night over the widest trailing window any platform needs.

Platforms restate recent days: a conversion reported yesterday is credited to the day of the click
that led to it, up to an attribution window earlier, so those days' figures change after they were
first loaded. Each night therefore re-syncs yesterday and the N days before it, N per platform;
one night a week (Sunday by default) with a longer N that catches the slow restatements.

The sync job lands the raw tables for one range of days, so the run covers the union of the
windows (earliest start .. yesterday: the days in its `social_roi/days` tag, the years that hold
them as its partition range); when it succeeds, the `models_after_sync` sensor launches the
rebuild job (the models and publication) for the same days. Each platform's own window travels in a run tag
(`social_roi/window/<platform>=<start>..<end>`), so its raw asset can narrow its fetch to it:
`platform_window_from_tags`. Everything is configured from the environment when the definitions
load (see pipelines.settings.ScheduleSettings); each platform's default window is its source's.
"""

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING

import dagster as dg

from connectors import clock
from pipelines.run_window import (
    days_tags,
    first_and_last_day,
    month_partitions,
    range_tags,
    tagged_days,
    window_tags,
    year_partitions,
)
from pipelines.settings import WEEKDAYS, ScheduleSettings

if TYPE_CHECKING:  # what define_asset_job returns; not exported under `dagster`
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

SCHEDULE_NAME = "nightly_sync"
MODELS_SENSOR_NAME = "models_after_sync"
SYNC_JOB_NAME = "sync"
REBUILD_JOB_NAME = "rebuild"
REPORT_JOB_NAME = "monthly_report"
REPORT_SCHEDULE_NAME = "monthly_report"
PASS_TAG = "social_roi/pass"


def is_weekly_pass(night: dt.date, settings: ScheduleSettings) -> bool:
    return night.weekday() == settings.weekly_pass_weekday


def platform_windows(night: dt.date, settings: ScheduleSettings) -> dict[str, tuple[dt.date, dt.date]]:
    """Each platform's inclusive (first day, last day) to re-sync on the night of `night`.

    The last day is yesterday, the last complete day; the first is N days before it, so that a
    conversion reported yesterday and credited N days back is picked up.
    """
    yesterday = night - dt.timedelta(days=1)
    weekly = is_weekly_pass(night, settings)
    return {
        platform: (yesterday - dt.timedelta(days=window.weekly_days if weekly else window.nightly_days), yesterday)
        for platform, window in settings.windows.items()
    }


def nightly_run_request(
    night: dt.date, settings: ScheduleSettings, last_partition: dt.date | None = None
) -> dg.RunRequest:
    """The one run for the night of `night`: the union of every platform's window as one range of days.

    `last_partition` caps the range at the last complete day in the partitions' zone, UTC (a
    schedule set east of UTC fires before the UTC day it calls yesterday is complete).
    """
    first_partition, _ = first_and_last_day()
    windows = {}
    for platform, (first, last) in platform_windows(night, settings).items():
        # Within the days a run may cover, so that each platform's window lies inside the run's days.
        last = min(last, last_partition) if last_partition is not None else last
        windows[platform] = (min(max(first, first_partition), last), last)
    start = min(first for first, _last in windows.values())
    end = max(last for _first, last in windows.values())
    return dg.RunRequest(
        # Derived from the night alone: a second evaluation for the same night (a daemon restart,
        # a retried tick) asks for a run Dagster has already launched, and it is skipped.
        run_key=f"{SCHEDULE_NAME}:{night.isoformat()}",
        tags={
            **range_tags(start, end),
            PASS_TAG: "weekly" if is_weekly_pass(night, settings) else "nightly",
            **window_tags(windows),
        },
    )


def build_nightly_schedule(
    job: "dg.JobDefinition | UnresolvedAssetJobDefinition | str" = SYNC_JOB_NAME,
    settings: ScheduleSettings | None = None,
) -> dg.ScheduleDefinition:
    """The nightly schedule for `job` (the sync job, or its name), with settings from the environment
    unless given. A function rather than a module-level schedule, so definitions.py can import this
    module without a cycle and tests can pass their own settings."""
    settings = settings or ScheduleSettings.from_env()
    timezone = zoneinfo.ZoneInfo(settings.timezone)
    job_name, job_definition = (job, None) if isinstance(job, str) else (None, job)

    @dg.schedule(
        name=SCHEDULE_NAME,
        cron_schedule=settings.cron_schedule,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every night at {settings.hour:02d}:00 {settings.timezone}: re-sync each platform's restatement window "
        f"({', '.join(f'{p} {w.nightly_days}d' for p, w in settings.windows.items())}; on {WEEKDAYS[settings.weekly_pass_weekday].capitalize()}s "
        f"{', '.join(f'{p} {w.weekly_days}d' for p, w in settings.windows.items())}) in ONE run.",
        job_name=job_name,
        job=job_definition,
    )
    def nightly_sync(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        fired_at = context.scheduled_execution_time or clock.now(timezone)  # None when evaluated by hand
        local = fired_at.replace(tzinfo=timezone) if fired_at.tzinfo is None else fired_at.astimezone(timezone)
        # A run covers days up to the last complete one in the partitions' own time zone (UTC).
        last_partition = local.astimezone(zoneinfo.ZoneInfo(year_partitions.timezone)).date() - dt.timedelta(days=1)
        return nightly_run_request(local.date(), settings, last_partition)

    return nightly_sync


def models_run_request(run: dg.DagsterRun, raw_tables: set[dg.AssetKey]) -> dg.RunRequest | None:
    """The models' run after a successful run that loaded raw tables for some days (the sync job, or
    a materialization or backfill of raw years from the UI): the same days, in a days tag (the models
    are not partitioned). None for a run that loaded no raw table, built the models itself, or
    covered no days."""
    selection = run.asset_selection
    if run.job_name != SYNC_JOB_NAME and (selection is None or not selection & raw_tables or selection - raw_tables):
        return None
    days = tagged_days(run.tags)
    if days is None or days[0] > days[1]:  # no day, or only the year under way on its 1st
        return None
    # one models' run per loading run, however often the sensor sees it
    return dg.RunRequest(run_key=f"{MODELS_SENSOR_NAME}:{run.run_id}", tags=days_tags(*days))


def build_models_after_sync_sensor(
    raw_tables: set[dg.AssetKey], rebuild_job: "dg.JobDefinition | UnresolvedAssetJobDefinition"
) -> dg.SensorDefinition:
    """When a run that loaded raw days succeeds (the nightly sync, a sync or a backfill of raw days
    launched from the UI), build the models and publish for its days. A failed run launches
    nothing: analysts keep the last good published copy, as before."""

    @dg.run_status_sensor(
        name=MODELS_SENSOR_NAME,
        run_status=dg.DagsterRunStatus.SUCCESS,
        request_job=rebuild_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After each successful run that loaded raw days: rebuild the marts and ROI for those days and republish.",
    )
    def models_after_sync(context: dg.RunStatusSensorContext):
        request = models_run_request(context.dagster_run, raw_tables)
        return request or dg.SkipReason(f"run {context.dagster_run.run_id} loaded no raw days on its own")

    return models_after_sync


def last_month(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month before `day`'s: (first day, last day)."""
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def build_monthly_report_schedule(
    job: "dg.JobDefinition | UnresolvedAssetJobDefinition | str" = REPORT_JOB_NAME,
    settings: ScheduleSettings | None = None,
) -> dg.ScheduleDefinition:
    """On the 1st of each month, two hours after the nightly sync, write last month's report and
    mail it. The month's last days are still provisional then; the report says which."""
    settings = settings or ScheduleSettings.from_env()
    timezone = zoneinfo.ZoneInfo(settings.timezone)
    hour = (settings.hour + 2) % 24
    job_name, job_definition = (job, None) if isinstance(job, str) else (None, job)

    @dg.schedule(
        name=REPORT_SCHEDULE_NAME,
        cron_schedule=f"0 {hour} 1 * *",
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"On the 1st of every month at {hour:02d}:00 {settings.timezone}: last month's report for "
        "management, mailed when SOCIAL_ROI_REPORT_EMAIL_TO is set.",
        job_name=job_name,
        job=job_definition,
    )
    def monthly_report(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        fired_at = context.scheduled_execution_time or clock.now(timezone)  # None when evaluated by hand
        local = fired_at.replace(tzinfo=timezone) if fired_at.tzinfo is None else fired_at.astimezone(timezone)
        first, last = last_month(local.date())
        first = max(first, first_and_last_day()[0])
        return dg.RunRequest(
            run_key=f"{REPORT_SCHEDULE_NAME}:{last:%Y-%m}",  # one report per month, however often evaluated
            tags=range_tags(first, last, month_partitions),
            run_config={"ops": {"reports__monthly_report": {"config": {"deliver": True}}}},
        )

    return monthly_report

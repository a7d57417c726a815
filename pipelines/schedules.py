"""The nightly sync: ONE run each night over the widest trailing window any platform needs.

Platforms restate recent days: a conversion reported yesterday is credited to the day of the click
that led to it, up to an attribution window earlier, so those days' figures change after they were
first loaded. Each night therefore re-syncs yesterday and the N days before it, N per platform;
one night a week (Sunday by default) with a longer N that catches the slow restatements.

The job materializes every asset over one partition range, so the run covers the union of the
windows (earliest start .. yesterday). Each platform's own window travels in a run tag
(`social_roi/window/<platform>=<start>..<end>`), so its raw asset can narrow its fetch to it:
`platform_window_from_tags`. Everything is configured from the environment when the definitions
load (see ScheduleSettings).
"""

import dataclasses
import datetime as dt
import os
import zoneinfo
from collections.abc import Mapping
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.partitions import daily_partitions

if TYPE_CHECKING:  # what define_asset_job returns; not exported under `dagster`
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

SCHEDULE_NAME = "nightly_sync"
SYNC_JOB_NAME = "sync"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
WINDOW_TAG_PREFIX = "social_roi/window/"
PASS_TAG = "social_roi/pass"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ScheduleSettingsError(ValueError):
    """A schedule setting in the environment cannot be used; the message names it and the fix."""


@dataclasses.dataclass(frozen=True)
class RestatementWindow:
    """How many days before yesterday a platform still restates: nightly, and on the weekly pass."""

    nightly_days: int
    weekly_days: int


# Why these: Meta credits conversions up to 7 days after a click by default (28 with a 28-day
# attribution setting); LinkedIn's conversion window is 30 days by default and it revises reach and
# conversions for weeks, and 90 days keeps a weekly request within its 92-day reach limit; GA4
# finishes processing a day within 24-48 hours.
DEFAULT_WINDOWS: Mapping[str, RestatementWindow] = {
    "meta": RestatementWindow(nightly_days=7, weekly_days=28),
    "linkedin": RestatementWindow(nightly_days=14, weekly_days=90),
    "ga4": RestatementWindow(nightly_days=3, weekly_days=3),
}


@dataclasses.dataclass(frozen=True)
class ScheduleSettings:
    """When the nightly sync fires and how far back each platform is re-synced.

    Environment: SOCIAL_ROI_SCHEDULE_TIMEZONE (IANA name, default Europe/Oslo),
    SOCIAL_ROI_SCHEDULE_HOUR (0-23, default 5), SOCIAL_ROI_WEEKLY_PASS_DAY (default sunday), and per
    platform SOCIAL_ROI_WINDOW_<PLATFORM>_DAYS / SOCIAL_ROI_WINDOW_<PLATFORM>_WEEKLY_DAYS.
    """

    timezone: str = "Europe/Oslo"
    hour: int = 5
    weekly_pass_weekday: int = 6  # date.weekday(): Monday is 0, Sunday 6
    windows: Mapping[str, RestatementWindow] = dataclasses.field(default_factory=lambda: dict(DEFAULT_WINDOWS))

    def __post_init__(self):
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ScheduleSettingsError(f"SOCIAL_ROI_SCHEDULE_TIMEZONE={self.timezone!r} is not a time zone: use an IANA name such as Europe/Oslo.") from None
        if not 0 <= self.hour <= 23:
            raise ScheduleSettingsError(f"SOCIAL_ROI_SCHEDULE_HOUR={self.hour} is not an hour: use 0-23 (the local hour in SOCIAL_ROI_SCHEDULE_TIMEZONE).")
        for platform, window in self.windows.items():
            if window.nightly_days < 0 or window.weekly_days < window.nightly_days:
                name = f"SOCIAL_ROI_WINDOW_{platform.upper()}"
                raise ScheduleSettingsError(f"{name}_DAYS={window.nightly_days} and {name}_WEEKLY_DAYS={window.weekly_days} do not fit: days must be 0 or more, and the weekly pass at least as long as the nightly one.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "ScheduleSettings":
        def number(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return int(raw)
            except ValueError:
                raise ScheduleSettingsError(f"{name}={raw!r} is not a whole number.") from None

        weekday_name = (env.get("SOCIAL_ROI_WEEKLY_PASS_DAY") or "sunday").strip().lower()
        if weekday_name not in WEEKDAYS:
            raise ScheduleSettingsError(f"SOCIAL_ROI_WEEKLY_PASS_DAY={weekday_name!r} is not a weekday: use one of {', '.join(WEEKDAYS)}.")
        windows = {}
        for platform, default in DEFAULT_WINDOWS.items():
            nightly = number(f"SOCIAL_ROI_WINDOW_{platform.upper()}_DAYS", default.nightly_days)
            # A longer nightly window than the default weekly one lengthens the weekly pass with it.
            weekly = number(f"SOCIAL_ROI_WINDOW_{platform.upper()}_WEEKLY_DAYS", max(default.weekly_days, nightly))
            windows[platform] = RestatementWindow(nightly, weekly)
        return cls(
            timezone=(env.get("SOCIAL_ROI_SCHEDULE_TIMEZONE") or cls.timezone).strip(),
            hour=number("SOCIAL_ROI_SCHEDULE_HOUR", cls.hour),
            weekly_pass_weekday=WEEKDAYS.index(weekday_name),
            windows=windows,
        )

    @property
    def cron_schedule(self) -> str:
        return f"0 {self.hour} * * *"


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


def platform_window_from_tags(tags: Mapping[str, str], platform: str) -> tuple[dt.date, dt.date] | None:
    """The window the nightly schedule chose for `platform`, from a run's tags; None for runs it did
    not launch (a backfill, `social-roi sync`), which fetch their whole partition range."""
    value = tags.get(WINDOW_TAG_PREFIX + platform)
    if not value:
        return None
    first, _, last = value.partition("..")
    return dt.date.fromisoformat(first), dt.date.fromisoformat(last)


def nightly_run_request(night: dt.date, settings: ScheduleSettings, last_partition: dt.date | None = None) -> dg.RunRequest:
    """The one run for the night of `night`: the union of every platform's window as one partition range.

    `last_partition` caps the range at the last day the partitions hold (a schedule set east of
    UTC fires before the UTC day it calls yesterday is complete).
    """
    first_partition = dt.date.fromisoformat(daily_partitions.get_first_partition_key())
    windows = {}
    for platform, (first, last) in platform_windows(night, settings).items():
        # Within the days the partitions hold, so that each platform's window lies inside the run's range.
        last = min(last, last_partition) if last_partition is not None else last
        windows[platform] = (min(max(first, first_partition), last), last)
    start = min(first for first, _last in windows.values())
    end = max(last for _first, last in windows.values())
    return dg.RunRequest(
        # Derived from the night alone: a second evaluation for the same night (a daemon restart,
        # a retried tick) asks for a run Dagster has already launched, and it is skipped.
        run_key=f"{SCHEDULE_NAME}:{night.isoformat()}",
        tags={
            PARTITION_RANGE_START_TAG: start.isoformat(),
            PARTITION_RANGE_END_TAG: end.isoformat(),
            PASS_TAG: "weekly" if is_weekly_pass(night, settings) else "nightly",
            **{WINDOW_TAG_PREFIX + platform: f"{first.isoformat()}..{last.isoformat()}" for platform, (first, last) in windows.items()},
        },
    )


def build_nightly_schedule(job: "dg.JobDefinition | UnresolvedAssetJobDefinition | str" = SYNC_JOB_NAME, settings: ScheduleSettings | None = None) -> dg.ScheduleDefinition:
    """The nightly schedule for `job` (the sync job, or its name), with settings from the environment
    unless given. A function rather than a module-level schedule, so definitions.py can import this
    module without a cycle and tests can pass their own settings."""
    settings = settings or ScheduleSettings.from_env()
    timezone = zoneinfo.ZoneInfo(settings.timezone)
    target = {"job_name": job} if isinstance(job, str) else {"job": job}

    @dg.schedule(
        name=SCHEDULE_NAME,
        cron_schedule=settings.cron_schedule,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every night at {settings.hour:02d}:00 {settings.timezone}: re-sync each platform's restatement window "
        f"({', '.join(f'{p} {w.nightly_days}d' for p, w in settings.windows.items())}; on {WEEKDAYS[settings.weekly_pass_weekday].capitalize()}s "
        f"{', '.join(f'{p} {w.weekly_days}d' for p, w in settings.windows.items())}) in ONE run.",
        **target,
    )
    def nightly_sync(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        fired_at = context.scheduled_execution_time or dt.datetime.now(timezone)  # None when evaluated by hand
        local = fired_at.replace(tzinfo=timezone) if fired_at.tzinfo is None else fired_at.astimezone(timezone)
        # The daily partitions end with the last complete day in their own time zone (UTC).
        last_partition = local.astimezone(zoneinfo.ZoneInfo(daily_partitions.timezone)).date() - dt.timedelta(days=1)
        return nightly_run_request(local.date(), settings, last_partition)

    return nightly_sync

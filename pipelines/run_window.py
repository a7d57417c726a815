"""Which days a run covers: the yearly partitioning of the raw tables (and the monthly one of the
report), the run tags that carry a range of days, and each source's own window inside that range.

A sync is two runs. The ingestion run materializes one partition range of the raw tables (a
backfill, `social-roi sync --start --end`, the nightly schedule): the years that hold its days,
named by Dagster's own range tags, and the days themselves in a `social_roi/days` tag, so that a
sync of three days fetches and replaces those three days and no other. The nightly schedule may
narrow a source to its restatement window with a `social_roi/window/<platform>` tag, and without
one a source fetches the run's days. A run with no days tag (a year backfilled from the UI,
`dagster asset materialize --partition-range`) covers its years' days up to the last complete one.
The models' run that follows (the rebuild job) carries the same days in the days tag: the models
are not partitioned (DECISIONLOG.md, "The raw tables are partitioned by year, and a run's days
travel in a tag").
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from connectors import clock

# The ad platforms keep about three years of history (e.g. 37 months of Meta insights); nobody
# backfills further than that.
FIRST_DAY = dt.date(2023, 1, 1)
YEAR_KEY = "%Y"
MONTH_KEY = "%Y-%m"


def last_complete_day() -> dt.date:
    """The last day the platforms have finished delivering: yesterday in UTC, the partitions' zone
    (on the calendar of SOCIAL_ROI_TODAY when it is set, connectors/clock.py)."""
    return (clock.fixed_day() or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)


def _months(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _calendar_end(yearly: bool) -> tuple[str | None, int]:
    """Where the partitions end: with the year (or month) of the last complete day. Dagster reads the
    real clock and counts whole periods up to its present, so `end_offset=1` adds the one under way;
    a fixed day (SOCIAL_ROI_TODAY) needs `end_date` to stop at its period, and a larger offset to
    reach a period ahead of the real clock's."""
    if clock.fixed_day() is None:
        return None, 1  # the period under way; on its first day it holds no complete day yet (see key_days)
    last, now = last_complete_day(), dt.datetime.now(dt.UTC).date()
    if yearly:
        return str(last.year + 1), max(0, last.year + 1 - now.year)  # exclusive: the year after
    end = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)  # exclusive: the month after
    return end.strftime(MONTH_KEY), max(0, _months(end) - _months(now))


_year_end, _year_offset = _calendar_end(yearly=True)
# The raw tables' partitions: yearly, not monthly nor daily. Dagster records each partition of each
# asset a run covers (its planned event and its materialization, on SQLite each a few transactions
# in two files, some 40 ms), so a 3-year backfill recorded 13 tables x 1,095 days, then 14 x 37 months
# (about 40 s of a 105 s backfill), and now x 4 years (DECISIONLOG.md, "The raw tables are
# partitioned by year, and a run's days travel in a tag").
year_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    start=FIRST_DAY.strftime(YEAR_KEY),
    fmt=YEAR_KEY,
    end=_year_end,
    end_offset=_year_offset,
)
_month_end, _month_offset = _calendar_end(yearly=False)
# The monthly report's partitions: a report covers one month.
month_partitions = dg.MonthlyPartitionsDefinition(
    start_date=FIRST_DAY.strftime(MONTH_KEY), fmt=MONTH_KEY, end_date=_month_end, end_offset=_month_offset
)

# Every partitioned asset uses the same policy: a range is ONE run, never one run per partition that
# would race for the DuckDB lock (the pitfalls noted for our pinned Dagster and dbt versions, point 6 of the team's dagster-dbt notes).
single_run = dg.BackfillPolicy.single_run()
# Dagster 1.13 still marks the `backfill_policy` parameter beta, and says so on every asset
# definition. We depend on it knowingly (above), so the warning is silenced for that parameter only.
warnings.filterwarnings(
    "ignore", message=r"Parameter `backfill_policy` .* is currently in beta", category=dg.BetaWarning
)

WINDOW_TAG_PREFIX = "social_roi/window/"
# The days a run covers, which need not be whole partitions: every run that `social-roi sync`, the
# nightly schedule and the monthly report launch carries it, beside the partitions it materializes; the
# models' run (the rebuild job) carries it alone, and Dagster records one materialization per model
# and run.
DAYS_TAG = "social_roi/days"


def first_and_last_day() -> tuple[dt.date, dt.date]:
    """The first and the last day a run may cover (the last is yesterday in UTC, the last complete day)."""
    last = last_complete_day()
    if last < FIRST_DAY:
        raise ValueError(f"No day to sync: the partitions start on {FIRST_DAY}, after today ({clock.today()}).")
    return FIRST_DAY, last


def range_tags(
    start: dt.date, end: dt.date, partitions: dg.TimeWindowPartitionsDefinition = year_partitions
) -> dict[str, str]:
    """The tags that make a run of exactly the days start..end (inclusive): the partitions that hold
    them (the raw tables' years, or the report's months) as Dagster's partition range, which is what
    it records, and the days, which are what is fetched and replaced."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: start.strftime(partitions.fmt),
        ASSET_PARTITION_RANGE_END_TAG: end.strftime(partitions.fmt),
        **days_tags(start, end),
    }


def days_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """The tag that gives a run the days start..end (inclusive)."""
    return {DAYS_TAG: f"{start.isoformat()}..{end.isoformat()}"}


def key_days(first_key: str, last_key: str) -> tuple[dt.date, dt.date]:
    """The days of the partitions first_key..last_key (years of the raw tables, or months of the
    report), up to the last complete day: the period under way holds its days so far, and on its
    first day none (the first day is then after the last)."""
    partitions = year_partitions if len(first_key) == 4 else month_partitions
    first = partitions.time_window_for_partition_key(first_key).start.date()
    last = partitions.time_window_for_partition_key(last_key).end.date() - dt.timedelta(days=1)
    return first, min(last, last_complete_day())


def partition_dates(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The days a partitioned step covers: the run's days tag, which must lie within the partitions
    the run materializes (a run records only the partitions it covers); without one, their days."""
    window = context.partition_time_window
    covered = (window.start.date(), (window.end - dt.timedelta(days=1)).date())
    tagged = context.run.tags.get(DAYS_TAG)
    if tagged is None:
        return covered[0], min(covered[1], last_complete_day())
    first, last = _days(tagged)
    if first < covered[0] or last > covered[1]:
        keys = context.partition_key_range
        raise dg.Failure(
            description=f"The run's days {first}..{last} ({DAYS_TAG}) lie outside the partitions it materializes "
            f"({keys.start}..{keys.end}): choose the partitions that hold them.",
            allow_retries=False,
        )
    return first, last


def run_dates(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date] | None:
    """The days a run covers, for the steps that are not partitioned (dbt, publication): see `tagged_days`."""
    return tagged_days(context.run.tags)


def tagged_days(tags: Mapping[str, str]) -> tuple[dt.date, dt.date] | None:
    """The days a run covers, from its tags: its days tag (a sync, the models after one, a rebuild),
    else the days of its partition range or its one partition (a year backfilled from the UI,
    `dagster asset materialize --partition-range`); None for a run of no days at all (the UI's
    "Materialize" on the models alone), which rebuilds every day loaded."""
    if DAYS_TAG in tags:
        return _days(tags[DAYS_TAG])
    if ASSET_PARTITION_RANGE_START_TAG in tags and ASSET_PARTITION_RANGE_END_TAG in tags:
        return key_days(tags[ASSET_PARTITION_RANGE_START_TAG], tags[ASSET_PARTITION_RANGE_END_TAG])
    if PARTITION_NAME_TAG in tags:
        return key_days(tags[PARTITION_NAME_TAG], tags[PARTITION_NAME_TAG])
    return None


def _days(value: str) -> tuple[dt.date, dt.date]:
    first, _, last = value.partition("..")
    return dt.date.fromisoformat(first), dt.date.fromisoformat(last)


def window_tags(windows: Mapping[str, tuple[dt.date, dt.date]]) -> dict[str, str]:
    """The tags that narrow each platform of `windows` to its own (first day, last day) in a run."""
    return {
        WINDOW_TAG_PREFIX + platform: f"{first.isoformat()}..{last.isoformat()}"
        for platform, (first, last) in windows.items()
    }


def platform_window_from_tags(tags: Mapping[str, str], platform: str) -> tuple[dt.date, dt.date] | None:
    """The window the nightly schedule chose for `platform`, from a run's tags; None for runs it did
    not launch (a backfill, `social-roi sync`), which fetch all the run's days."""
    value = tags.get(WINDOW_TAG_PREFIX + platform)
    return _days(value) if value else None


def source_window(context: dg.AssetExecutionContext, platform: str, lookback_days: int = 0) -> tuple[dt.date, dt.date]:
    """The days a source fetches in this run: its window from the run's tags (inside the run's
    days), else the run's days (`partition_dates`); plus the source's lookback."""
    since, until = platform_window_from_tags(context.run.tags, platform) or partition_dates(context)
    return since - dt.timedelta(days=lookback_days), until

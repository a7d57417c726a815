"""Which days a run covers: the monthly partitioning of the raw tables, the run tags that carry a
range of days, and each source's own window inside that range.

A sync is two runs. The ingestion run materializes one partition range of the raw tables (a
backfill, `social-roi sync --start --end`, the nightly schedule): the months that hold its days,
named by Dagster's own range tags, and the days themselves in a `social_roi/days` tag, so that a
sync of three days of a month fetches and replaces those three days and no other. The nightly
schedule may narrow a source to its restatement window with a `social_roi/window/<platform>` tag,
and without one a source fetches the run's days. A run with no days tag (a month backfilled from
the UI, `dagster asset materialize --partition-range`) covers its months' days up to the last
complete one. The models' run that follows (the rebuild job) carries the same days in the days tag:
the models are not partitioned (DECISIONLOG.md, "The raw tables are partitioned by month, and a
run's days travel in a tag").
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
MONTH_KEY = "%Y-%m"


def last_complete_day() -> dt.date:
    """The last day the platforms have finished delivering: yesterday in UTC, the partitions' zone
    (on the calendar of SOCIAL_ROI_TODAY when it is set, connectors/clock.py)."""
    return (clock.fixed_day() or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)


def _months(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _calendar_end() -> tuple[str | None, int]:
    """Where the partitions end: with the month of the last complete day. Dagster reads the real
    clock and counts whole months up to its present, so `end_offset=1` adds the month under way;
    a fixed day (SOCIAL_ROI_TODAY) needs `end_date` to stop at its month, and a larger offset to
    reach a month ahead of the real clock's."""
    if clock.fixed_day() is None:
        return None, 1  # the month under way; on its 1st it holds no complete day yet (see month_days)
    last = last_complete_day()
    end = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)  # exclusive: the month after
    return end.strftime(MONTH_KEY), max(0, _months(end) - _months(dt.datetime.now(dt.UTC).date()))


_end_date, _end_offset = _calendar_end()
# Monthly, not daily: Dagster records each partition of each asset a run covers (its planned
# event, its materialization, on SQLite in two files), so a day's partitions made a 3-year backfill
# record 13 tables x 1,095 days; months record 13 x 36 (DECISIONLOG.md, "The raw tables are
# partitioned by month, and a run's days travel in a tag").
month_partitions = dg.MonthlyPartitionsDefinition(
    start_date=FIRST_DAY.strftime(MONTH_KEY), fmt=MONTH_KEY, end_date=_end_date, end_offset=_end_offset
)

# Every partitioned asset uses the same policy: a range is ONE run, never one run per month that
# would race for the DuckDB lock (the pitfalls noted for our pinned Dagster and dbt versions, point 6 of the team's dagster-dbt notes).
single_run = dg.BackfillPolicy.single_run()
# Dagster 1.13 still marks the `backfill_policy` parameter beta, and says so on every asset
# definition. We depend on it knowingly (above), so the warning is silenced for that parameter only.
warnings.filterwarnings(
    "ignore", message=r"Parameter `backfill_policy` .* is currently in beta", category=dg.BetaWarning
)

WINDOW_TAG_PREFIX = "social_roi/window/"
# The days a run covers, which need not be whole months: every run that `social-roi sync`, the
# nightly schedule and the monthly report launch carries it, beside the months it materializes; the
# models' run (the rebuild job) carries it alone, and Dagster records one materialization per model
# and run.
DAYS_TAG = "social_roi/days"


def first_and_last_day() -> tuple[dt.date, dt.date]:
    """The first and the last day a run may cover (the last is yesterday in UTC, the last complete day)."""
    last = last_complete_day()
    if last < FIRST_DAY:
        raise ValueError(f"No day to sync: the partitions start on {FIRST_DAY}, after today ({clock.today()}).")
    return FIRST_DAY, last


def month_key(day: dt.date) -> str:
    """The partition that holds `day`."""
    return day.strftime(MONTH_KEY)


def range_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """The tags that make a run of exactly the days start..end (inclusive): the months that hold them
    as Dagster's partition range, which is what it records, and the days, which are what is fetched
    and replaced."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: month_key(start),
        ASSET_PARTITION_RANGE_END_TAG: month_key(end),
        **days_tags(start, end),
    }


def days_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """The tag that gives a run the days start..end (inclusive)."""
    return {DAYS_TAG: f"{start.isoformat()}..{end.isoformat()}"}


def month_days(first_month: str, last_month: str) -> tuple[dt.date, dt.date]:
    """The days of the months first_month..last_month (partition keys), up to the last complete day:
    the month under way holds its days so far, and on its 1st none (the first day is then after the last)."""
    first = month_partitions.time_window_for_partition_key(first_month).start.date()
    last = month_partitions.time_window_for_partition_key(last_month).end.date() - dt.timedelta(days=1)
    return first, min(last, last_complete_day())


def partition_dates(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The days a partitioned step covers: the run's days tag, which must lie within the months the
    run materializes (a run records only the months it covers); without one, those months' days."""
    window = context.partition_time_window
    months = (window.start.date(), (window.end - dt.timedelta(days=1)).date())
    tagged = context.run.tags.get(DAYS_TAG)
    if tagged is None:
        return months[0], min(months[1], last_complete_day())
    first, last = _days(tagged)
    if first < months[0] or last > months[1]:
        raise dg.Failure(
            description=f"The run's days {first}..{last} ({DAYS_TAG}) lie outside the months it materializes "
            f"({month_key(months[0])}..{month_key(months[1])}): choose the months that hold them.",
            allow_retries=False,
        )
    return first, last


def run_dates(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date] | None:
    """The days a run covers, for the steps that are not partitioned (dbt, publication): see `tagged_days`."""
    return tagged_days(context.run.tags)


def tagged_days(tags: Mapping[str, str]) -> tuple[dt.date, dt.date] | None:
    """The days a run covers, from its tags: its days tag (a sync, the models after one, a rebuild),
    else the days of its partition range or its one partition (a month backfilled from the UI,
    `dagster asset materialize --partition-range`); None for a run of no days at all (the UI's
    "Materialize" on the models alone), which rebuilds every day loaded."""
    if DAYS_TAG in tags:
        return _days(tags[DAYS_TAG])
    if ASSET_PARTITION_RANGE_START_TAG in tags and ASSET_PARTITION_RANGE_END_TAG in tags:
        return month_days(tags[ASSET_PARTITION_RANGE_START_TAG], tags[ASSET_PARTITION_RANGE_END_TAG])
    if PARTITION_NAME_TAG in tags:
        return month_days(tags[PARTITION_NAME_TAG], tags[PARTITION_NAME_TAG])
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

"""Which days a run covers: the daily partitioning of the raw tables, the run tags that carry a
range of days, and each source's own window inside that range.

A sync is two runs. The ingestion run materializes one partition range of the raw tables (a
backfill, `social-roi sync --start --end`, the nightly schedule), named by Dagster's own range tags;
the nightly schedule may narrow a source to its restatement window with a
`social_roi/window/<platform>` tag, and without one a source fetches the whole range. The models'
run that follows (the rebuild job) carries the same days in one `social_roi/days` tag: the models
are not partitioned (DECISIONLOG.md, "Only the raw tables are partitioned by day").
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
# backfills further than that. The partitions end with the last complete day in UTC.
def _calendar_end() -> tuple[str | None, int]:
    """Where the partitions end when the calendar is fixed (SOCIAL_ROI_TODAY, connectors/clock.py):
    Dagster reads the real clock and never counts past its present, so a fixed day ahead of it needs
    `end_offset` to reach it and `end_date` to stop there; a fixed day behind it only `end_date`."""
    fixed = clock.fixed_day()
    if fixed is None:
        return None, 0  # Dagster's defaults: up to the real clock's present
    ahead = (fixed - dt.datetime.now(dt.UTC).date()).days + 1
    return fixed.isoformat(), max(0, ahead)


_end_date, _end_offset = _calendar_end()
daily_partitions = dg.DailyPartitionsDefinition(start_date="2023-01-01", end_date=_end_date, end_offset=_end_offset)

# Every partitioned asset uses the same policy: a range is ONE run, never one run per day that
# would race for the DuckDB lock (the pitfalls noted for our pinned Dagster and dbt versions, point 6 of the team's dagster-dbt notes).
single_run = dg.BackfillPolicy.single_run()
# Dagster 1.13 still marks the `backfill_policy` parameter beta, and says so on every asset
# definition. We depend on it knowingly (above), so the warning is silenced for that parameter only.
warnings.filterwarnings(
    "ignore", message=r"Parameter `backfill_policy` .* is currently in beta", category=dg.BetaWarning
)

WINDOW_TAG_PREFIX = "social_roi/window/"
# The days a run of the models covers (the rebuild job): not a partition range, so that Dagster
# records one materialization per model and run rather than one per model and day.
DAYS_TAG = "social_roi/days"


def first_and_last_day() -> tuple[dt.date, dt.date]:
    """The first and the last day the partitions hold (the last is yesterday in UTC, the last complete day)."""
    first, last = daily_partitions.get_first_partition_key(), daily_partitions.get_last_partition_key()
    if first is None or last is None:
        raise ValueError(f"No day to sync: the partitions start on 2023-01-01, after today ({clock.today()}).")
    return dt.date.fromisoformat(first), dt.date.fromisoformat(last)


def range_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """The tags that make a run of the days start..end (inclusive), as a backfill would."""
    return {ASSET_PARTITION_RANGE_START_TAG: start.isoformat(), ASSET_PARTITION_RANGE_END_TAG: end.isoformat()}


def partition_dates(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The inclusive first and last day of the partitions being materialized."""
    window = context.partition_time_window
    return window.start.date(), (window.end - dt.timedelta(days=1)).date()


def days_tags(start: dt.date, end: dt.date) -> dict[str, str]:
    """The tag that gives a run of the models the days start..end (inclusive)."""
    return {DAYS_TAG: f"{start.isoformat()}..{end.isoformat()}"}


def run_dates(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date] | None:
    """The days a run covers, for the steps that are not partitioned (dbt, publication): its days tag
    (the models after a sync, a rebuild), else its partition range (`dagster asset materialize
    --partition-range`) or its one partition; None for a run of no days at all (the UI's
    "Materialize" on the models alone), which rebuilds every day loaded."""
    tags = context.run.tags
    if DAYS_TAG in tags:
        first, _, last = tags[DAYS_TAG].partition("..")
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return partition_days(tags)


def partition_days(tags: Mapping[str, str]) -> tuple[dt.date, dt.date] | None:
    """The days of a run's partition range, or of its one partition; None for a run of no partition."""
    if ASSET_PARTITION_RANGE_START_TAG in tags and ASSET_PARTITION_RANGE_END_TAG in tags:
        return (
            dt.date.fromisoformat(tags[ASSET_PARTITION_RANGE_START_TAG]),
            dt.date.fromisoformat(tags[ASSET_PARTITION_RANGE_END_TAG]),
        )
    if PARTITION_NAME_TAG in tags:
        day = dt.date.fromisoformat(tags[PARTITION_NAME_TAG])
        return day, day
    return None


def window_tags(windows: Mapping[str, tuple[dt.date, dt.date]]) -> dict[str, str]:
    """The tags that narrow each platform of `windows` to its own (first day, last day) in a run."""
    return {
        WINDOW_TAG_PREFIX + platform: f"{first.isoformat()}..{last.isoformat()}"
        for platform, (first, last) in windows.items()
    }


def platform_window_from_tags(tags: Mapping[str, str], platform: str) -> tuple[dt.date, dt.date] | None:
    """The window the nightly schedule chose for `platform`, from a run's tags; None for runs it did
    not launch (a backfill, `social-roi sync`), which fetch their whole partition range."""
    value = tags.get(WINDOW_TAG_PREFIX + platform)
    if not value:
        return None
    first, _, last = value.partition("..")
    return dt.date.fromisoformat(first), dt.date.fromisoformat(last)


def source_window(context: dg.AssetExecutionContext, platform: str, lookback_days: int = 0) -> tuple[dt.date, dt.date]:
    """The days a source fetches in this run: its window from the run's tags (inside the run's
    range), else the whole partition range; plus the source's lookback."""
    since, until = platform_window_from_tags(context.run.tags, platform) or partition_dates(context)
    return since - dt.timedelta(days=lookback_days), until

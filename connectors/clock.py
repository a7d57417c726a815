"""The pipeline's one calendar: what day "today" is.

Every "yesterday", default window, two-year limit, report month and synthetic advertiser reads the
day here, never from `date.today()` of its own. Setting `SOCIAL_ROI_TODAY=YYYY-MM-DD` moves all of
them together, in the pipeline, its child processes (dbt, a CLI run) and the sandbox alike: the
tests set it once (tests/conftest.py), `make calendar` runs the date-sensitive tests over a year
of days, and an operator can rerun a night exactly as it ran. Unset, it is the machine's own day.

Only the calendar moves: the time of day, and everything measured in seconds (a `Retry-After`
wait, a run's duration), stays the real clock's.
"""

from __future__ import annotations

import datetime as dt
import os

TODAY_SETTING = "SOCIAL_ROI_TODAY"


class ClockSettingError(ValueError):
    """`SOCIAL_ROI_TODAY` holds something that is not a calendar day."""


def today() -> dt.date:
    """The day the pipeline runs on: `SOCIAL_ROI_TODAY` when set, else the machine's local day."""
    return fixed_day() or dt.date.today()


def yesterday() -> dt.date:
    """The last whole day: where a nightly window ends."""
    return today() - dt.timedelta(days=1)


def now(zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """The present moment in `zone`, moved by as many whole days as `SOCIAL_ROI_TODAY` moves the
    calendar (the time of day stays the real one)."""
    real = dt.datetime.now(zone)
    set_day = fixed_day()
    if set_day is None:
        return real
    return real + (set_day - dt.date.today())


def fixed_day() -> dt.date | None:
    value = os.environ.get(TODAY_SETTING, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ClockSettingError(
            f"{TODAY_SETTING}={value!r} is not a day: write it as YYYY-MM-DD (e.g. 2026-12-06), or unset it "
            "to run on the machine's own day."
        ) from None

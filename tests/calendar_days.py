"""`make calendar`: the date-sensitive tests (marked `calendar`), run once for each of many days.

The suite itself runs on one fixed day (tests/conftest.py). The days a pipeline meets over a year
are not alike: a month's last day and the next month's first, 1 January, 29 February, the two
nights a year Europe/Oslo changes its clocks (the advertiser's and the schedule's zone), Sundays
(the nightly schedule's weekly pass) and ordinary weekdays. This runs the marked tests with
SOCIAL_ROI_TODAY set to each, in a fresh pytest process per day (the partitions and the settled
sync are built for that day), and prints the days that failed.

    python tests/calendar_days.py                  # every day below
    python tests/calendar_days.py 2028-02-29 ...   # only these
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from connectors.clock import TODAY_SETTING
from connectors.linkedin_ads.client import DEFAULT_API_VERSION, version_sunset

# A year from March 2027 to March 2028 (which has a 29 February), and the day CI first went red.
MONTH_ENDS_AND_FIRSTS = [
    "2027-03-31", "2027-04-01", "2027-04-30", "2027-05-01", "2027-05-31", "2027-06-30", "2027-07-01",
    "2027-07-31", "2027-08-31", "2027-09-01", "2027-09-30", "2027-10-31", "2027-11-01", "2027-11-30",
    "2027-12-01", "2027-12-31", "2028-01-01", "2028-01-02", "2028-01-31", "2028-02-01", "2028-02-28",
    "2028-02-29", "2028-03-01",
]  # fmt: skip
# Europe/Oslo moves to summer time on the last Sunday of March and back on the last Sunday of
# October; the day after each is the first whose "yesterday" was 23 or 25 hours long.
DAYLIGHT_SAVING_CHANGES = ["2027-03-28", "2027-03-29", "2027-10-31", "2027-11-01", "2026-10-25", "2026-10-26"]
ORDINARY_DAYS = [
    "2026-12-06", "2027-03-03", "2027-03-14", "2027-08-22", "2027-04-14", "2027-05-19", "2027-06-13", "2027-07-15", "2027-08-11",
    "2027-09-19", "2027-10-13", "2027-11-21", "2027-12-15", "2028-01-19", "2028-02-13",
]  # fmt: skip
DAYS = sorted(set(MONTH_ENDS_AND_FIRSTS + DAYLIGHT_SAVING_CHANGES + ORDINARY_DAYS))

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def maintained_linkedin_version(day: dt.date) -> dict[str, str]:
    """LinkedIn retires each monthly API version mid-month a year on (the sandbox answers 426 then,
    as LinkedIn does): the version this release pins stops working on that day, and the release that
    runs then pins a newer one. From that day on, the calendar runs with the version of three months
    before the day, as such a release would; before it, with the pinned one."""
    if day < version_sunset(DEFAULT_API_VERSION):
        return {}
    month = (day.year * 12 + day.month - 1) - 3
    return {"LINKEDIN_API_VERSION": f"{month // 12}{month % 12 + 1:02d}"}


def run_day(day: str) -> tuple[bool, float, str]:
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "calendar", "-q", "-p", "no:cacheprovider"],
        cwd=PROJECT_ROOT,
        env={**os.environ, TODAY_SETTING: day, **maintained_linkedin_version(dt.date.fromisoformat(day))},
        capture_output=True,
        text=True,
    )
    return finished.returncode == 0, time.monotonic() - started, finished.stdout + finished.stderr


def main(days: list[str]) -> int:
    for day in days:
        dt.date.fromisoformat(day)  # a mistyped day fails here, before any run
    failed = []
    for day in days:
        passed, seconds, output = run_day(day)
        summary = output.strip().splitlines()[-1] if output.strip() else "(no output)"
        print(
            f"{day} ({dt.date.fromisoformat(day):%a}): {'ok' if passed else 'FAILED'} in {seconds:.0f} s: {summary}",
            flush=True,
        )
        if not passed:
            failed.append(day)
            print(output[-6000:], flush=True)
    print(
        f"{len(days) - len(failed)} of {len(days)} days passed" + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or DAYS))

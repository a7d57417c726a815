"""Which days a report covers, and which days it is compared with."""

from __future__ import annotations

import calendar
import datetime as dt
import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_period(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a calendar month given as YYYY-MM ('2026-10' → Oct 1 and Oct 31)."""
    matched = _MONTH.match(month.strip())
    if not matched or not 1 <= int(matched[2]) <= 12:
        raise ValueError(f"{month!r} is not a month: give it as YYYY-MM, e.g. 2026-10")
    year, number = int(matched[1]), int(matched[2])
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period a report compares with: for whole calendar months, as many months just before
    (October → September, Q4 → Q3); otherwise the same number of days just before."""
    months = whole_months(start, end)
    if months:
        first = _add_months(start, -months)
        return first, start - dt.timedelta(days=1)
    length = end - start + dt.timedelta(days=1)
    return start - length, start - dt.timedelta(days=1)


def year_before(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same days a year earlier (29 February becomes the 28th; a whole month stays whole)."""
    months = whole_months(start, end)
    if months:
        first = _add_months(start, -12)
        return first, _add_months(first, months) - dt.timedelta(days=1)
    return _same_day_a_year_before(start), _same_day_a_year_before(end)


def check_comparable(start: dt.date, end: dt.date) -> None:
    """ValueError naming the period when the periods a report compares it with (the one before, the
    same days a year earlier) fall off the calendar, which runs from year 1 to 9999."""
    try:
        previous_period(start, end)
        year_before(start, end)
    except (OverflowError, ValueError):  # date arithmetic past 0001-01-01 or 9999-12-31
        raise ValueError(
            f"{start}..{end} cannot be reported: the report compares it with the period before and the year "
            "before, which fall outside the calendar (years 1 to 9999); give the dates of a real period, e.g. "
            "--period 2026-10."
        ) from None


def whole_months(start: dt.date, end: dt.date) -> int:
    """How many calendar months start..end spans when it is made of whole months, else 0."""
    if start.day != 1 or (end + dt.timedelta(days=1)).day != 1 or end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def days_of(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def _add_months(first_of_month: dt.date, months: int) -> dt.date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _same_day_a_year_before(day: dt.date) -> dt.date:
    if (day.month, day.day) == (2, 29):
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def trend_months(end: dt.date, months: int = 6) -> list[tuple[dt.date, dt.date]]:
    """The calendar months up to the one `end` falls in, oldest first, that one cut at `end`: the
    report's trend ("the last 6 months"), so its last month never runs past the report."""
    first_of_last = end.replace(day=1)
    result = []
    for back in range(months - 1, -1, -1):
        first = _add_months(first_of_last, -back)
        last = min(_add_months(first, 1) - dt.timedelta(days=1), end)
        result.append((first, last))
    return result

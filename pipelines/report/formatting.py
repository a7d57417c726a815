"""Numbers, money and dates as the reader's locale writes them, all through Babel.

NULL (a ratio whose denominator was 0, a figure the warehouse does not have) prints as a dash,
never as 0.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from itertools import groupby

from babel import Locale
from babel.dates import format_date, format_interval, format_skeleton
from babel.numbers import (
    format_currency,
    format_decimal,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
)

from pipelines.report.labels import LABELS
from pipelines.report.periods import whole_months

Number = int | float | Decimal

# Metrics of marts.kpi_progress by the kind of number they are.
MONEY_METRICS = {
    "spend",
    "total_cost",
    "revenue",
    "ga4_revenue",
    "return_value",
    "cpl",
    "cpm",
    "cpa_ga4_key_event",
    "cpc_link",
}
PERCENT_METRICS = {
    "roi",
    "ctr_link",
    "engagement_rate_by_impressions",
    "follower_growth",
    "engagement_rate_by_followers",
}
RATIO_METRICS = {"roas"}


class Formatter:
    """Formats figures for one locale and one reporting currency."""

    def __init__(self, locale: str, currency: str) -> None:
        self.locale = locale
        self.currency = currency
        self.none = LABELS[locale]["none"]
        self._babel_locale = Locale.parse(locale)
        # the locale's own percent pattern (e.g. nb "#,##0 %" with a no-break space), with one decimal
        self._percent = copy.copy(self._babel_locale.percent_formats[None])
        self._percent.frac_prec = (1, 1)
        self._minus_sign = get_minus_sign_symbol(locale)

    def money(self, value: Number | None, currency: str | None = None) -> str:
        """An amount with its currency: nb `1 234,50 kr`, en `NOK1,234.50`."""
        if value is None:
            return self.none
        return self._minus(format_currency(value, currency or self.currency, locale=self.locale))

    def percent(self, value: Number | None) -> str:
        """A ratio as a percentage with one decimal: 0.526 → nb `52,6 %`, en `52.6%`."""
        if value is None:
            return self.none
        return self._minus(self._percent.apply(value, self._babel_locale))

    def ratio(self, value: Number | None) -> str:
        """A ratio such as ROAS or an over-claim ratio, with two decimals: nb `0,66`, en `0.66`."""
        if value is None:
            return self.none
        return self._minus(format_decimal(value, format="#,##0.00", locale=self.locale))

    def count(self, value: Number | None) -> str:
        """A whole number of things (impressions, sessions, conversions)."""
        if value is None:
            return self.none
        return self._minus(format_decimal(value, format="#,##0", locale=self.locale))

    def decimal(self, value: Number | None, decimals: int) -> str:
        """A number with a fixed count of decimals (an exchange rate: 11,3654)."""
        if value is None:
            return self.none
        return self._minus(format_decimal(value, format="#,##0." + "0" * decimals, locale=self.locale))

    def axis_number(self, value: float, decimals: int = 0) -> str:
        """A chart's tick label: grouped digits, no currency (the axis label names the unit)."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return self._minus(format_decimal(value, format=pattern, locale=self.locale))

    def axis_percent(self, value: float, decimals: int = 0) -> str:
        """A chart's tick label for a percentage: the locale's pattern, whole percents unless the
        ticks are closer than that (0,5 %, 1,0 %, 1,5 %)."""
        pattern = copy.copy(self._babel_locale.percent_formats[None])
        pattern.frac_prec = (decimals, decimals)
        return self._minus(pattern.apply(value, self._babel_locale))

    def metric(self, metric: str, value: Number | None) -> str:
        """A KPI target or actual, formatted as the kind of number its metric is."""
        if metric in MONEY_METRICS:
            return self.money(value)
        if metric in PERCENT_METRICS:
            return self.percent(value)
        if metric in RATIO_METRICS:
            return self.ratio(value)
        return self.count(value)

    # changes against another period

    def change_percent(self, current: Number | None, previous: Number | None) -> str | None:
        """An amount's change as a signed percentage of the previous amount; None without one."""
        if current is None or previous is None or previous == 0:
            return None
        change = (Decimal(str(current)) - Decimal(str(previous))) / abs(Decimal(str(previous)))
        return self._signed(change, self.percent(change))

    def change_points(self, current: Number | None, previous: Number | None) -> str | None:
        """A percentage's change in percentage points (ROI 52.6 % → 45.0 %: −7.6 points)."""
        if current is None or previous is None:
            return None
        points = (float(current) - float(previous)) * 100
        text = self._minus(format_decimal(points, format="#,##0.0", locale=self.locale))
        return self._signed(points, text) + "\u00a0" + LABELS[self.locale]["points"]

    def change_ratio(self, current: Number | None, previous: Number | None) -> str | None:
        """A ratio's change as a signed difference (ROAS 0.66 → 0.70: +0.04)."""
        if current is None or previous is None:
            return None
        difference = float(current) - float(previous)
        return self._signed(difference, self.ratio(difference))

    def _minus(self, text: str) -> str:
        """Babel writes a hyphen for every locale's minus; write the locale's own sign instead (CLDR's
        minusSign: nb − U+2212, en -), and none before a figure that rounds to zero (`-0,0 %`)."""
        if not text.startswith("-"):
            return text
        if not any(digit in text for digit in "123456789"):
            return text[1:]
        return self._minus_sign + text[1:]

    def _signed(self, value: Number, text: str) -> str:
        """Babel writes a fall's minus sign; a rise gets the locale's plus sign in front."""
        return get_plus_sign_symbol(self.locale) + text if value > 0 else text

    # dates

    def date(self, day: dt.date) -> str:
        return format_date(day, format="long", locale=self.locale)

    def day(self, day: dt.date) -> str:
        """A short day for a chart axis: nb `9. nov.`, en `Nov 9`."""
        return format_skeleton("MMMd", day, locale=self.locale)

    def month(self, day: dt.date) -> str:
        """The calendar month a day falls in, short: nb `nov. 2026`, en `Nov 2026`."""
        return format_skeleton("yMMM", day, locale=self.locale)

    def period(self, start: dt.date, end: dt.date) -> str:
        """`november 2026` for a whole calendar month, else the interval (`9.–25. nov. 2026`)."""
        if whole_months(start, end) == 1:
            return format_date(start, format="LLLL y", locale=self.locale)
        if start == end:
            return self.date(start)
        return format_interval(start, end, skeleton="yMMMd", locale=self.locale)

    def day_ranges(self, days: list[dt.date]) -> str:
        """Days as runs of consecutive days: `1.–8. nov. 2026, 26.–30. nov. 2026`."""
        runs = [
            [day for _, day in run]
            for _, run in groupby(enumerate(sorted(days)), key=lambda pair: pair[1].toordinal() - pair[0])
        ]
        return ", ".join(self.period(run[0], run[-1]) if len(run) > 1 else self.date(run[0]) for run in runs)

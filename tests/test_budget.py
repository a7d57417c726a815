"""Budget against actual: an optional budget per channel (config/budgets.csv), spread evenly over the
days of its period and converted like every cost, set in the monthly report against what the
channel spent on the same days.

The settled sync has one budget (conftest.META_BUDGET_*: Meta's ad spend in NOK, 30 days from the
window's first); the other budgets are built by dbt alone on a copy.
"""

import calendar
import dataclasses
import datetime as dt
import html
import re

import pytest

from conftest import BUDGETS_HEADER, META_BUDGET_NOK, META_BUDGET_PERIOD, copy_of_settled, run_dbt
from connectors.sandbox.advertiser import SyntheticAdvertiser
from pipelines.report import build_report
from pipelines.report.figures import read_figures
from pipelines.report.formatting import Formatter
from pipelines.report.labels import LABELS
from pipelines.report.render import render_html
from test_roi import build_with_bad_rows, nok_per
from warehouse_sql import query

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar


def days_between(first, last):
    """How many days first..last holds (0 when last is before first)."""
    return max(0, (last - first).days + 1)


def budget_table_rows(report_html):
    """The budget table's body rows, each as the text of its cells."""
    [table] = re.findall(r'<table id="budget-table">(.*?)</table>', report_html, re.S)
    body = table.split("<tbody>")[1]
    return [
        [html.unescape(re.sub(r"<[^>]+>", " ", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in body.split("<tr>")[1:]
    ]


@pytest.mark.end_to_end  # two dbt builds of its own: the end-to-end tier keeps make test under 3 minutes
def test_a_budget_in_another_currency_is_spread_evenly_over_its_days_and_converted_at_each_days_rate(
    settled, work_directory, tmp_path
):
    first, last = settled.window
    # from two days before the first day loaded to a week after the last: a plan runs ahead of the data
    period = (first - dt.timedelta(days=2), last + dt.timedelta(days=7))
    budget_days = days_between(*period)
    budgets = tmp_path / "budgets.csv"
    budgets.write_text(BUDGETS_HEADER + f"L1,LinkedIn,{period[0]},{period[1]},2600,eur,total,ads and staff time\n")
    copy = copy_of_settled(settled, work_directory)

    finished = run_dbt(["run", "--select", "int_budgets+"], settled.env_for(copy, SOCIAL_ROI_BUDGETS=budgets))

    assert finished.returncode == 0, finished.stdout[-3000:]
    rows = query(
        copy,
        "select date_day, channel, covers, currency, amount_per_day, rate_day, budget_reporting "
        "from marts.budget_daily where budget_id = 'L1' order by date_day",
    )
    assert [row[0] for row in rows] == [period[0] + dt.timedelta(days=n) for n in range(budget_days)]
    advertiser = SyntheticAdvertiser(seed=7)
    for day, channel, covers, currency, per_day, rate_day, in_nok in rows:
        assert (channel, covers, currency) == ("linkedin", "total", "EUR")
        assert per_day == pytest.approx(2600 / budget_days)
        # a day not loaded yet takes the last loaded day's rate, a day before the data the first's
        assert rate_day == min(max(day, first), last)
        assert in_nok == pytest.approx(2600 / budget_days * nok_per(advertiser, "EUR", rate_day))
    assert sum(row[4] for row in rows) == pytest.approx(2600)


# Every kind of bad budget row, each with what the message must say about it.
BAD_BUDGET_ROWS = {
    "B1,tiktok,2026-11-01,2026-11-30,100,NOK,media,new channel": "channel 'tiktok' is unknown",
    "B2,meta,2026-11-30,2026-11-01,100,NOK,media,": "period_end 2026-11-01 is before period_start 2026-11-30",
    "B3,meta,2026-12-01,2026-12-31,-5,NOK,media,": "amount is negative",
    "B4,meta,2026-10-01,2026-10-31,100,NOK,ads,": "covers 'ads' is not media (ad spend only) or total",
    "B5,meta,2027-01-01,2027-01-31,100,NOK,media,a\nB5,linkedin,2027-01-01,2027-01-31,100,NOK,media,b": "budget_id appears 2 times",
    "B6,linkedin,2026-11-01,2026-11-30,100,NOK,total,\nB7,linkedin,2026-11-15,2026-12-15,100,NOK,total,": "its days overlap budget B7 of the same channel and covers",
}


def test_bad_budget_rows_fail_the_build_with_one_message_naming_every_row_and_its_fix(
    settled, work_directory, tmp_path
):
    budgets = tmp_path / "budgets.csv"

    finished = build_with_bad_rows(
        settled, work_directory, budgets, BUDGETS_HEADER, BAD_BUDGET_ROWS, "int_budgets", "SOCIAL_ROI_BUDGETS"
    )

    assert finished.returncode != 0
    for rows, complaint in BAD_BUDGET_ROWS.items():
        assert f"Budget {rows[:2]}: {complaint}" in finished.stdout, finished.stdout[-3000:]
    assert "Fix the rows and re-run." in finished.stdout


def meta_spend(warehouse, first, last):
    [(spend,)] = query(
        warehouse,
        "select sum(spend_reporting) from marts.cost_daily "
        "where channel = 'meta' and media_type = 'paid' and date_day between ? and ?",
        first,
        last,
    )
    return float(spend)


def test_the_report_sets_each_channels_budget_for_the_period_against_what_it_spent(settled):
    first, last = settled.window
    fmt = Formatter("nb", "NOK")
    budget = META_BUDGET_NOK * days_between(first, last) / days_between(*META_BUDGET_PERIOD)
    spent = meta_spend(settled.warehouse, first, last)

    report = build_report(settled.warehouse, first, last, locale="nb")

    [(channel, covers, *shown)] = budget_table_rows(report.html)
    assert channel.startswith("Meta") and "M1: " in channel
    assert covers == "annonsekjøp"
    # every day of the period is loaded: the budget expected by its last day is the whole budget
    assert shown == [
        fmt.money(budget),
        fmt.money(spent),
        fmt.money(budget - spent),
        fmt.percent(spent / budget),
        fmt.money(budget),
        fmt.percent(spent / budget),
    ]


def test_a_month_still_running_shows_the_budget_expected_by_its_last_loaded_day(settled):
    yesterday = settled.window[1]
    month = (yesterday.replace(day=1), yesterday.replace(day=calendar.monthrange(yesterday.year, yesterday.month)[1]))
    start = max(month[0], META_BUDGET_PERIOD[0])
    per_day = META_BUDGET_NOK / days_between(*META_BUDGET_PERIOD)

    [row] = read_figures(settled.warehouse, *month).budget

    assert (row["channel"], row["covers"], row["last_loaded_day"]) == ("meta", "media", yesterday)
    assert row["budget"] == pytest.approx(per_day * days_between(start, min(month[1], META_BUDGET_PERIOD[1])))
    assert row["expected_to_date"] == pytest.approx(per_day * days_between(start, yesterday))
    spent = meta_spend(settled.warehouse, start, yesterday)
    assert float(row["actual"]) == pytest.approx(spent, abs=0.005)
    assert row["share_of_expected"] == pytest.approx(spent / row["expected_to_date"])


def test_a_period_without_a_budget_says_none_is_set(settled):
    figures = read_figures(settled.warehouse, *settled.window)

    page = render_html(dataclasses.replace(figures, budget=[]), "nb", settled.window[1])

    assert 'id="budget-table"' not in page
    assert LABELS["nb"]["budget_none"] in page

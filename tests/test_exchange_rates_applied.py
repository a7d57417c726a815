"""The exchange rates behind the converted money: marts.fx_rates_applied records the rate each
day's money was converted at, and the report's data notes list exactly those rates and what they
converted (a finance controller reconciles the note with the ledger and with Norges Bank)."""

from __future__ import annotations

import datetime as dt
import html
import re

import duckdb
import pytest
from babel.numbers import format_decimal

from conftest import TOOLS_PERIOD, copy_of_settled, run_dbt
from pipelines.report import build_report
from warehouse_sql import query

# Depends on the calendar day: which days of the window are weekends decides the rates applied.
pytestmark = pytest.mark.calendar

RATE_CHECK = "fx_rates_applied_match_the_converted_money"


def rate(value, locale):
    return format_decimal(value, format="#,##0.0000", locale=locale)


def currency_note(report_html: str, currency: str) -> str:
    """The data note's item for one currency, as the reader sees it: from its code to the end of its sentence."""
    return html.unescape(re.search(rf"\b{currency} \(.*?\.(?=\s|<)", report_html)[0])


def euro_days_and_rates(warehouse, first: dt.date, last: dt.date) -> dict[dt.date, tuple[dt.date, float]]:
    """Independently of the marts' rate lookup: every day of the period on which money in euro was
    converted (spend, the platforms' conversion value, the cost ledger's euro tool, the webinar
    registrations valued in euro), with the last rate Norges Bank published on or before it."""
    money_days = {
        day
        for (day,) in query(
            warehouse,
            "select date_day from marts.cost_daily where currency = 'EUR' and spend <> 0 and date_day between ? and ? "
            "union select date_day from marts.conversions_daily "
            "where currency = 'EUR' and platform_conversion_value <> 0 and date_day between ? and ? "
            "union select date_day from marts.conversions_by_goal "
            "where value_id = 'V3' and ga4_key_events > 0 and date_day between ? and ?",
            first,
            last,
            first,
            last,
            first,
            last,
        )
    }
    money_days |= {
        TOOLS_PERIOD[0] + dt.timedelta(days=n)
        for n in range((TOOLS_PERIOD[1] - TOOLS_PERIOD[0]).days + 1)
        if first <= TOOLS_PERIOD[0] + dt.timedelta(days=n) <= last
    }
    assert query(warehouse, "select count(*) from seeds.fx_rates")[0][0] == 0, "the rates are Norges Bank's alone"
    published = query(
        warehouse,
        "select rate_date, cast(rate as double) from raw.fx_rates where base_currency = 'EUR' and quote_currency = 'NOK'",
    )
    return {day: max((d, r) for d, r in published if d <= day) for day in money_days}


# How each language states the rates applied, their basis, and how old a rate a day took at most.
STATED = {
    "nb": (
        "{n} kurser fra {low} til {high}",
        "Norges Banks midtkurs",
        "høyst 1 dag gammel",
        "høyst {days} dager gammel",
    ),
    "en": ("{n} rates from {low} to {high}", "Norges Bank's mid-rate", "at most 1 day old", "at most {days} days old"),
}


@pytest.mark.parametrize("locale", sorted(STATED))
def test_the_exchange_rate_note_lists_only_the_rates_applied_in_the_period(settled, locale):
    rates_words, basis, one_day_old, days_old = STATED[locale]
    first, last = settled.window
    applied = euro_days_and_rates(settled.warehouse, first, last)
    rate_days = {rate_date for rate_date, _ in applied.values()}
    rates = [value for _, value in applied.values()]
    published_in_the_week_before = query(
        settled.warehouse,
        "select count(*) from raw.fx_rates where base_currency = 'EUR' and rate_date between ? and ?",
        first - dt.timedelta(days=7),
        first - dt.timedelta(days=1),
    )[0][0]
    assert published_in_the_week_before > 0, "the scenario needs rates before the period that were not applied"

    note = currency_note(build_report(settled.warehouse, first, last, locale=locale).html, "EUR")

    stated = rates_words.format(n=len(rate_days), low=rate(min(rates), locale), high=rate(max(rates), locale))
    assert stated in note, note
    assert basis in note, note
    oldest = max((day - rate_date).days for day, (rate_date, _) in applied.items())
    if oldest > 0:  # a weekend or holiday in the period took the last rate before it
        assert (one_day_old if oldest == 1 else days_old.format(days=oldest)) in note, note


@pytest.mark.parametrize(
    ("locale", "ledger_words"), [("nb", "kostnader i kostnadsloggen"), ("en", "costs in the cost ledger")]
)
def test_a_ledger_cost_in_euro_is_listed_among_the_converted_money(settled, locale, ledger_words):
    # The settled ledger bills a scheduling tool in euro (T1) over TOOLS_PERIOD.
    note = currency_note(build_report(settled.warehouse, *TOOLS_PERIOD, locale=locale).html, "EUR")

    used_for = note[note.index("(") + 1 : note.index(")")]
    assert ledger_words in used_for, note


def test_a_ledger_cost_in_a_currency_nothing_else_uses_is_listed_with_its_rates(settled, work_directory, tmp_path):
    copy = copy_of_settled(settled, work_directory)
    first, last = TOOLS_PERIOD
    [(usd_rates,)] = query(
        copy, "select count(*) from raw.fx_rates where base_currency = 'USD' and rate_date <= ?", last
    )
    assert usd_rates > 0 and not query(copy, "select 1 from marts.fx_rates_applied where currency = 'USD'")
    ledger = tmp_path / "cost_ledger.csv"
    ledger.write_text(
        "entry_id,category,channel,campaign_id,period_start,period_end,amount,currency,hours,hourly_rate,note\n"
        + f"U1,tools,linkedin,,{first},{last},50,USD,,,an analytics tool billed in dollars\n"
    )

    # the ledger, its daily spread and the applied rates: what the note reads (the rest of the marts need not move)
    built = run_dbt(
        ["run", "--select", "int_cost_ledger int_other_costs_daily fx_rates_applied"],
        settled.env_for(copy, SOCIAL_ROI_COST_LEDGER=ledger),
    )
    assert built.returncode == 0, built.stdout[-3000:]

    note = currency_note(build_report(copy, first, last, locale="nb").html, "USD")
    assert note.startswith("USD (kostnader i kostnadsloggen):"), note
    [(rate_days, low, high)] = query(
        copy,
        "select count(distinct rate_date), min(rate_to_reporting), max(rate_to_reporting) from marts.fx_rates_applied "
        "where currency = 'USD' and used_for = 'other_costs' and date_day between ? and ?",
        first,
        last,
    )
    assert f"{rate_days} kurser fra {rate(low, 'nb')} til {rate(high, 'nb')}" in note, note


def test_the_applied_rates_are_those_cost_daily_converted_spend_at_after_an_incremental_run_and_a_rebuild(
    settled, work_directory
):
    copy = copy_of_settled(settled, work_directory)
    day = settled.window[0] + dt.timedelta(days=3)
    a_few_rows = query(
        copy,
        "select c.spend, c.spend_reporting, a.rate_to_reporting, a.rate_date, c.date_day from marts.cost_daily c "
        "join marts.fx_rates_applied a on a.date_day = c.date_day and a.currency = c.currency and a.used_for = 'spend' "
        "where c.currency = 'EUR' and c.spend <> 0 order by c.date_day, c.campaign_id limit 5",
    )
    assert len(a_few_rows) == 5
    for spend, spend_reporting, applied, rate_date, date_day in a_few_rows:
        assert round(float(spend) * applied, 2) == pytest.approx(float(spend_reporting), abs=0.005)
        assert rate_date <= date_day
    everything = "select * from marts.fx_rates_applied order by all"
    as_synced = query(copy, everything)
    with duckdb.connect(str(copy)) as connection:  # a rate the marts did not apply, as a drifted mart would hold
        connection.execute(
            "update marts.fx_rates_applied set rate_to_reporting = rate_to_reporting * 1.01 where date_day = ?", [day]
        )

    drifted = run_dbt(["test", "--select", RATE_CHECK], settled.env_for(copy), min_date=str(day), max_date=str(day))
    rebuilt_day = run_dbt(
        ["build", "--select", "fx_rates_applied"], settled.env_for(copy), min_date=str(day), max_date=str(day)
    )
    after_incremental = query(copy, everything)
    rebuilt = run_dbt(["build", "--select", "fx_rates_applied", "--full-refresh"], settled.env_for(copy))

    assert drifted.returncode != 0 and "FAIL" in drifted.stdout and RATE_CHECK in drifted.stdout, drifted.stdout[-3000:]
    assert rebuilt_day.returncode == 0, rebuilt_day.stdout[-3000:]
    assert after_incremental == as_synced, "the day's rows are rebuilt, no other day's is touched or doubled"
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert query(copy, everything) == as_synced

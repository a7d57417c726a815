"""LinkedIn through the whole pipeline: omitted all-zero days, one shape with Meta. Read from the
session's settled sync (its restated days are tested with every platform in test_pipeline)."""

import datetime as dt

import pytest

from connectors.sandbox.advertiser import SyntheticAdvertiser
from connectors.sandbox.linkedin_figures import linkedin_metrics
from warehouse_sql import query

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar


def test_days_linkedin_omits_are_zero_in_the_marts_not_missing_data(settled):
    advertiser = SyntheticAdvertiser(seed=7)
    first, last = settled.window
    omitted = [
        (campaign, first + dt.timedelta(days=n))
        for campaign in advertiser.linkedin_campaigns
        for n in range((last - first).days + 1)
        if linkedin_metrics(advertiser, campaign, first + dt.timedelta(days=n)) is None
    ]
    assert omitted, "the sandbox has LinkedIn campaign-days without delivery in the window"

    for campaign, day in omitted:
        assert query(
            settled.warehouse,
            "select count(*) from marts.cost_daily where campaign_id = ? and date_day = ?",
            campaign.id,
            day,
        ) == [(0,)]
    [(raw_spend,)] = query(settled.warehouse, "select sum(cost_in_local_currency) from raw.linkedin_ads_analytics")
    [(mart_spend,)] = query(settled.warehouse, "select sum(spend) from marts.cost_daily where channel = 'linkedin'")
    assert mart_spend == raw_spend
    assert all(e.passed for e in settled.check_evaluations()), (
        "the raw-vs-mart reconciliation passes with the omitted days"
    )


def test_linkedin_rows_keep_local_cost_beside_usd_and_reach_per_day(settled):
    rows = query(
        settled.warehouse,
        "select currency, spend, spend_usd, approximate_member_reach from staging.stg_linkedin__campaign_analytics",
    )

    assert rows and all(
        currency == "EUR" and spend_usd is not None and reach is not None for currency, _spend, spend_usd, reach in rows
    )

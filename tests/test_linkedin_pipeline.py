"""LinkedIn through the whole pipeline: restated days, omitted all-zero days, one shape with Meta."""

import datetime as dt

from pipelines.runs import run_sync
from warehouse_sql import query

LINKEDIN_CONVERSIONS = "select date_day, sum(platform_conversions) from marts.conversions_daily where channel = 'linkedin' group by 1"


def test_a_restated_linkedin_day_is_updated_and_no_other(pipeline_env, instance, sandbox, yesterday):
    assert run_sync(yesterday - dt.timedelta(days=4), yesterday, instance=instance).success
    before = dict(query(pipeline_env, LINKEDIN_CONVERSIONS))

    sandbox.restate()  # late conversions credited to recent days
    assert run_sync(yesterday, yesterday, instance=instance).success

    after = dict(query(pipeline_env, LINKEDIN_CONVERSIONS))
    assert after[yesterday] > before[yesterday]
    assert {d: v for d, v in after.items() if d != yesterday} == {d: v for d, v in before.items() if d != yesterday}


def test_days_linkedin_omits_are_zero_in_the_marts_not_missing_data(pipeline_env, instance, sandbox, yesterday):
    window = (yesterday - dt.timedelta(days=20), yesterday - dt.timedelta(days=3))
    advertiser = sandbox.advertiser
    omitted = [
        (campaign, window[0] + dt.timedelta(days=n))
        for campaign in advertiser.linkedin_campaigns
        for n in range((window[1] - window[0]).days + 1)
        if advertiser.linkedin_metrics(campaign, window[0] + dt.timedelta(days=n)) is None
    ]
    assert omitted, "the sandbox has LinkedIn campaign-days without delivery in the window"

    result = run_sync(*window, instance=instance)

    assert result.success, "the raw-vs-mart reconciliation test passes with the omitted days"
    for campaign, day in omitted:
        assert query(pipeline_env, "select count(*) from marts.cost_daily where campaign_id = ? and date_day = ?", campaign.id, day) == [(0,)]
    [(raw_spend,)] = query(pipeline_env, "select sum(cost_in_local_currency) from raw.linkedin_ads_analytics")
    [(mart_spend,)] = query(pipeline_env, "select sum(spend) from marts.cost_daily where channel = 'linkedin'")
    assert mart_spend == raw_spend


def test_linkedin_rows_keep_local_cost_beside_usd_and_reach_per_day(pipeline_env, instance, yesterday):
    assert run_sync(yesterday - dt.timedelta(days=6), yesterday - dt.timedelta(days=3), instance=instance).success

    rows = query(pipeline_env, "select currency, spend, spend_usd, approximate_member_reach from staging.stg_linkedin__campaign_analytics")

    assert rows and all(currency == "EUR" and spend_usd is not None and reach is not None for currency, _spend, spend_usd, reach in rows)

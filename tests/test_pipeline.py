"""Whole runs: real Dagster runs in-process, the real SDK over HTTP, real dbt, a real DuckDB file."""

import datetime as dt
import os

import pytest

from pipelines.runs import run_sync
from warehouse_sql import query

CONVERSION_TYPES = {
    "offsite_conversion.fb_pixel_purchase",
    "onsite_conversion.purchase",
    "offsite_conversion.fb_pixel_lead",
    "onsite_conversion.lead_grouped",
}


def figures(warehouse):
    """Row counts and sums a user would check in each layer."""
    return {
        "raw": query(warehouse, "select count(*), sum(spend), sum(impressions) from raw.meta_ads_insights"),
        "linkedin_raw": query(warehouse, "select count(*), sum(cost_in_local_currency), sum(impressions) from raw.linkedin_ads_analytics"),
        "cost": query(warehouse, "select channel, count(*), sum(spend), sum(spend_reporting), sum(total_cost_reporting) from marts.cost_daily group by 1 order by 1"),
        "conversions": query(warehouse, "select channel, count(*), sum(platform_conversions), sum(ga4_revenue_reporting) from marts.conversions_daily group by 1 order by 1"),
        "engagement": query(warehouse, "select count(*), sum(engagements) from marts.engagement_daily"),
        "reach": query(warehouse, "select count(*), sum(impressions) from marts.reach_daily"),
        "ga4_raw": query(warehouse, "select count(*), sum(sessions), sum(total_revenue) from raw.ga4_traffic"),
        "ga4_mart": query(warehouse, "select count(*), sum(sessions), sum(revenue), count(campaign_id) from marts.ga4_traffic_by_campaign"),
        "unmatched": query(warehouse, "select * from marts.unmatched_campaigns order by all"),
        "roi_by_campaign": query(warehouse, "select * from marts.roi_by_campaign order by campaign_id"),
        "roi_by_channel": query(warehouse, "select * from marts.roi_by_channel"),
    }


def conversions_by_day(warehouse):
    return dict(query(warehouse, "select date_day, sum(platform_conversions) from marts.conversions_daily where channel = 'meta' group by 1"))


def test_materializing_a_week_twice_leaves_identical_counts_and_sums(pipeline_env, instance, yesterday):
    week = (yesterday - dt.timedelta(days=13), yesterday - dt.timedelta(days=7))

    assert run_sync(*week, instance=instance).success
    first = figures(pipeline_env)
    assert run_sync(*week, instance=instance).success

    assert figures(pipeline_env) == first
    meta_cost_rows = next(rows for channel, rows, *_ in first["cost"] if channel == "meta")
    assert first["raw"][0][0] > 0 and meta_cost_rows == first["raw"][0][0]
    assert first["linkedin_raw"][0][0] > 0
    assert first["ga4_raw"][0][0] > 0 and first["ga4_mart"][0][0] == first["ga4_raw"][0][0]


def test_a_restated_day_updates_that_day_and_no_other(pipeline_env, instance, sandbox, yesterday):
    assert run_sync(yesterday - dt.timedelta(days=6), yesterday, instance=instance).success
    before = conversions_by_day(pipeline_env)
    roi_before = query(pipeline_env, "select platform_conversions from marts.roi_by_channel where channel = 'meta'")

    sandbox.restate()  # late conversions arrive at the platform
    assert run_sync(yesterday, yesterday, instance=instance).success
    after = conversions_by_day(pipeline_env)

    assert after[yesterday] > before[yesterday]
    assert {day: value for day, value in after.items() if day != yesterday} == {day: value for day, value in before.items() if day != yesterday}
    expected = sum(
        count
        for account in sandbox.advertiser.meta_accounts
        for delivery in sandbox.advertiser.meta_deliveries(account.id, yesterday, yesterday, restatements=1)
        for action_type, count in delivery.actions.items()
        if action_type in CONVERSION_TYPES
    )
    assert after[yesterday] == expected
    assert query(pipeline_env, "select platform_conversions from marts.roi_by_channel where channel = 'meta'") > roi_before


def test_roi_equals_a_hand_computation_from_the_advertisers_own_totals(pipeline_env, instance, sandbox, yesterday, monkeypatch):
    start, end = yesterday - dt.timedelta(days=20), yesterday - dt.timedelta(days=5)
    monkeypatch.setenv("SOCIAL_ROI_REVENUE_SOURCE", "platform")  # the platform's own claim drives ROI here

    assert run_sync(start, end, instance=instance).success

    by_campaign: dict[str, list[float]] = {}
    for account in sandbox.advertiser.meta_accounts:
        for delivery in sandbox.advertiser.meta_deliveries(account.id, start, end):
            totals = by_campaign.setdefault(delivery.campaign.id, [0.0, 0.0])
            totals[0] += delivery.spend
            totals[1] += sum(v for k, v in delivery.action_values.items() if k in CONVERSION_TYPES)
    loaded = {row[0]: row[1:] for row in query(pipeline_env, "select campaign_id, spend, revenue, roas, roi from marts.roi_by_campaign where channel = 'meta' and campaign_id is not null")}
    assert loaded.keys() == by_campaign.keys()
    for campaign_id, (spend, value) in by_campaign.items():
        loaded_spend, revenue, roas, roi = loaded[campaign_id]
        assert float(loaded_spend) == pytest.approx(spend, abs=0.005)
        assert float(revenue) == pytest.approx(value, abs=0.005)
        assert roas == pytest.approx(value / spend)
        assert roi == pytest.approx((value - spend) / spend)
    total_spend = sum(spend for spend, _ in by_campaign.values())
    total_value = sum(value for _, value in by_campaign.values())
    [(spend, roi)] = query(pipeline_env, "select spend, roi from marts.roi_by_channel where channel = 'meta'")
    assert float(spend) == pytest.approx(total_spend, abs=0.01)
    assert roi == pytest.approx((total_value - total_spend) / total_spend)


def test_one_account_with_an_expired_token_loses_nothing_and_the_rest_completes(pipeline_env, instance, sandbox, yesterday):
    day = yesterday - dt.timedelta(days=10)
    assert run_sync(day, day, instance=instance).success
    first_account, second_account = (account.id for account in sandbox.advertiser.meta_accounts)
    per_account = "select account_id, count(*), sum(spend), max(_loaded_at) from raw.meta_ads_insights group by 1 order by 1"
    earlier = dict((row[0], row[1:]) for row in query(pipeline_env, per_account))
    linkedin_before = query(pipeline_env, "select max(_loaded_at) from raw.linkedin_ads_analytics")

    sandbox.faults.arm("meta", "expired_token", times=1)  # the first account's request meets code 190
    result = run_sync(day - dt.timedelta(days=3), day, instance=instance, raise_on_error=False)

    assert result.success, "the other accounts and platforms complete"
    [failed] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed.asset_key.to_user_string() == "raw/meta_ads_insights"
    assert f"act_{first_account}" in failed.description and "code 190" in failed.description and "META_ACCESS_TOKEN" in failed.description
    now = dict((row[0], row[1:]) for row in query(pipeline_env, per_account))
    assert now[first_account] == earlier[first_account], "the failed account keeps its earlier data"
    assert now[second_account][0] > earlier[second_account][0] and now[second_account][2] > earlier[second_account][2]
    assert query(pipeline_env, "select max(_loaded_at) from raw.linkedin_ads_analytics") > linkedin_before


def test_no_token_reaches_run_logs_metadata_or_the_warehouse(pipeline_env, instance, yesterday):
    tokens = [value for name, value in os.environ.items() if name.endswith(("_TOKEN", "_SECRET")) and value]
    assert len(tokens) >= 4, "Meta and LinkedIn tokens, LinkedIn client secret and refresh token"

    result = run_sync(yesterday - dt.timedelta(days=2), yesterday, instance=instance)

    logged = "\n".join(str(record) for record in instance.all_logs(result.run_id))
    metadata = "\n".join(str(m.metadata) for m in result.asset_materializations_for_node("raw_meta_ads_insights") + result.asset_materializations_for_node("raw_linkedin_ads_analytics"))
    tables = [(schema, table, column) for schema, table, column in query(pipeline_env, "select table_schema, table_name, column_name from information_schema.columns where data_type in ('VARCHAR', 'JSON')")]
    for token in tokens:
        assert token not in logged and token not in metadata
        for schema, table, column in tables:
            assert query(pipeline_env, f'select count(*) from "{schema}"."{table}" where "{column}"::varchar like ?', f"%{token}%") == [(0,)]


def test_a_platform_without_credentials_is_skipped_with_one_log_line(pipeline_env, instance, monkeypatch, yesterday):
    monkeypatch.delenv("META_ACCESS_TOKEN")
    monkeypatch.delenv("META_AD_ACCOUNT_IDS")

    result = run_sync(yesterday, yesterday, instance=instance)

    assert result.success
    messages = [record.user_message for record in instance.all_logs(result.run_id)]
    assert sum("meta: skipped, not configured" in message for message in messages) == 1
    assert query(pipeline_env, "select count(*) from raw.meta_ads_insights") == [(0,)]
    assert query(pipeline_env, "select count(*) from marts.roi_by_channel where channel = 'meta' and spend > 0") == [(0,)]

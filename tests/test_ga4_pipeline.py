"""GA4 through the whole pipeline: traffic matched to the ad campaigns its UTM tags name."""

import datetime as dt

import pytest

from connectors.registry import RAW_SOURCES
from connectors.sandbox.advertiser import UNPAID_TRAFFIC
from pipelines.runs import run_sync
from warehouse_sql import query
from pipelines.settings import DBT_PROJECT_DIR

CAMPAIGN_MAPPING = DBT_PROJECT_DIR / "seeds" / "campaign_mapping.csv"


@pytest.fixture
def window(yesterday):
    return yesterday - dt.timedelta(days=16), yesterday - dt.timedelta(days=3)


def ga4_truth_by_utm(sandbox, since, until):
    totals: dict[str, float] = {}
    day = since
    while day <= until:
        for row in sandbox.advertiser.ga4_rows(day):
            totals[row["sessionCampaignName"]] = totals.get(row["sessionCampaignName"], 0.0) + row["totalRevenue"]
        day += dt.timedelta(days=1)
    return totals


def ingested_campaigns(sandbox):
    platforms = {source.platform for source in RAW_SOURCES}
    return [c for c in sandbox.advertiser.meta_campaigns + sandbox.advertiser.linkedin_campaigns if c.platform in platforms]


def test_ga4_revenue_lands_on_the_campaign_its_utm_tags_name(pipeline_env, instance, sandbox, window):
    assert run_sync(*window, instance=instance).success

    truth = ga4_truth_by_utm(sandbox, *window)
    loaded = dict(query(pipeline_env, "select campaign_id, ga4_revenue from marts.roi_by_campaign"))
    tracked = [c for c in ingested_campaigns(sandbox) if c.utm_campaign and c.id in loaded]
    assert len(tracked) >= 4
    for campaign in tracked:
        assert float(loaded[campaign.id]) == pytest.approx(truth.get(campaign.utm_campaign, 0.0), abs=0.01), campaign.name
    methods = {method for (method,) in query(pipeline_env, "select distinct match_method from marts.ga4_traffic_by_campaign where match_method is not null")}
    assert methods == {"campaign_name", "campaign_id", "campaign_mapping"}


def test_what_matched_nothing_is_exactly_the_untracked_spend_and_the_unknown_campaign_tags(pipeline_env, instance, sandbox, window):
    assert run_sync(*window, instance=instance).success

    unmatched = query(pipeline_env, "select problem, campaign_or_utm from marts.unmatched_campaigns")
    spend_side = {name for problem, name in unmatched if problem == "spend_without_tracked_traffic"}
    revenue_side = {name for problem, name in unmatched if problem == "revenue_without_known_campaign"}
    campaigns = ingested_campaigns(sandbox)
    spent = {name for (name,) in query(pipeline_env, "select distinct campaign_name from marts.cost_daily where spend > 0")}
    assert spend_side == {c.name for c in campaigns if c.utm_campaign is None and c.name in spent}
    ingested_ids = {c.id for c in campaigns}
    tags_of_campaigns_not_ingested = {
        c.utm_campaign for c in sandbox.advertiser.meta_campaigns + sandbox.advertiser.linkedin_campaigns
        if c.utm_campaign and c.id not in ingested_ids and c.utm_campaign in ga4_truth_by_utm(sandbox, *window)
    }
    named_unpaid = {name for _, _, name, _ in UNPAID_TRAFFIC if not name.startswith("(")}
    assert revenue_side == named_unpaid | tags_of_campaigns_not_ingested


@pytest.fixture
def restore_campaign_mapping():
    original = CAMPAIGN_MAPPING.read_text()
    yield
    CAMPAIGN_MAPPING.write_text(original)


def test_editing_the_campaign_mapping_seed_moves_revenue(pipeline_env, instance, sandbox, window, restore_campaign_mapping):
    by_name = {c.name.split(" 20")[0]: c for c in sandbox.advertiser.meta_campaigns}
    new_collection, winter_sale = by_name["New Collection"], by_name["Winter Sale"]
    assert run_sync(*window, instance=instance).success
    before = dict(query(pipeline_env, "select campaign_id, ga4_revenue from marts.roi_by_campaign"))
    assert before[new_collection.id] > 0

    CAMPAIGN_MAPPING.write_text(f"channel,utm_campaign,campaign_id,note\nmeta,{new_collection.utm_campaign},{winter_sale.id},moved\n")
    assert run_sync(*window, instance=instance).success

    after = dict(query(pipeline_env, "select campaign_id, ga4_revenue from marts.roi_by_campaign"))
    assert after[new_collection.id] == 0
    assert after[winter_sale.id] == before[winter_sale.id] + before[new_collection.id]


def test_a_restated_ga4_day_is_updated_and_no_other(pipeline_env, instance, sandbox, yesterday):
    assert run_sync(yesterday - dt.timedelta(days=4), yesterday, instance=instance).success
    sessions = "select date_day, sum(sessions) from marts.ga4_traffic_by_campaign group by 1"
    before = dict(query(pipeline_env, sessions))

    sandbox.restate()
    assert run_sync(yesterday, yesterday, instance=instance).success

    after = dict(query(pipeline_env, sessions))
    assert after[yesterday] > before[yesterday]
    assert {d: v for d, v in after.items() if d != yesterday} == {d: v for d, v in before.items() if d != yesterday}


def test_unauthenticated_ga4_is_reported_clearly_and_keeps_its_earlier_data(pipeline_env, instance, sandbox, window):
    assert run_sync(*window, instance=instance).success
    earlier = query(pipeline_env, "select count(*), sum(sessions) from raw.ga4_traffic")

    sandbox.faults.arm("ga4", "unauthenticated", times=None)
    result = run_sync(*window, instance=instance, raise_on_error=False)

    assert result.success, "the ad platforms still complete"
    [failed] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed.asset_key.to_user_string() == "raw/ga4_traffic"
    assert "UNAUTHENTICATED" in failed.description and "GOOGLE_APPLICATION_CREDENTIALS" in failed.description
    assert query(pipeline_env, "select count(*), sum(sessions) from raw.ga4_traffic") == earlier

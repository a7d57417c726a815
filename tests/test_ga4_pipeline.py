"""GA4 through the whole pipeline: traffic matched to the ad campaigns its UTM tags name.

Read from the session's settled sync; editing the campaign mapping is dbt's own job, run alone
on a copy of the warehouse with a mapping file of the test's own (config/campaign_mapping.csv is
never touched).
"""

import datetime as dt

import pytest

from conftest import copy_of_settled, run_dbt
from connectors.registry import PLATFORMS
from connectors.sandbox.advertiser import SyntheticAdvertiser
from connectors.sandbox.ga4_figures import UNPAID_TRAFFIC, ga4_rows
from warehouse_sql import query

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar


@pytest.fixture(scope="module")
def advertiser():
    return SyntheticAdvertiser(seed=7)


def ga4_truth_by_utm(advertiser, since, until):
    totals: dict[str, float] = {}
    for offset in range((until - since).days + 1):
        for row in ga4_rows(advertiser, since + dt.timedelta(days=offset)):
            totals[row["sessionCampaignName"]] = totals.get(row["sessionCampaignName"], 0.0) + row["totalRevenue"]
    return totals


def ingested_campaigns(advertiser):
    platforms = {platform.name for platform in PLATFORMS}
    return [c for c in advertiser.meta_campaigns + advertiser.linkedin_campaigns if c.platform in platforms]


def test_ga4_revenue_lands_on_the_campaign_its_utm_tags_name(settled, advertiser):
    truth = ga4_truth_by_utm(advertiser, *settled.window)
    loaded = dict(query(settled.warehouse, "select campaign_id, ga4_revenue from marts.roi_by_campaign"))

    tracked = [c for c in ingested_campaigns(advertiser) if c.utm_campaign and c.id in loaded]
    assert len(tracked) >= 4
    for campaign in tracked:
        assert float(loaded[campaign.id]) == pytest.approx(truth.get(campaign.utm_campaign, 0.0), abs=0.01), (
            campaign.name
        )
    methods = {
        method
        for (method,) in query(
            settled.warehouse,
            "select distinct match_method from marts.ga4_traffic_by_campaign where match_method is not null",
        )
    }
    assert methods == {"campaign_name", "campaign_id", "campaign_mapping"}


def test_what_matched_nothing_is_exactly_the_untracked_spend_and_the_unknown_campaign_tags(settled, advertiser):
    unmatched = query(settled.warehouse, "select problem, campaign_or_utm from marts.unmatched_campaigns")

    spend_side = {name for problem, name in unmatched if problem == "spend_without_tracked_traffic"}
    revenue_side = {name for problem, name in unmatched if problem == "revenue_without_known_campaign"}
    campaigns = ingested_campaigns(advertiser)
    spent = {
        name
        for (name,) in query(settled.warehouse, "select distinct campaign_name from marts.cost_daily where spend > 0")
    }
    assert spend_side == {c.name for c in campaigns if c.utm_campaign is None and c.name in spent}
    ingested_ids = {c.id for c in campaigns}
    tags_of_campaigns_not_ingested = {
        c.utm_campaign
        for c in advertiser.meta_campaigns + advertiser.linkedin_campaigns
        if c.utm_campaign
        and c.id not in ingested_ids
        and c.utm_campaign in ga4_truth_by_utm(advertiser, *settled.window)
    }
    named_unpaid = {name for _, _, name, _ in UNPAID_TRAFFIC if not name.startswith("(")}
    assert revenue_side == named_unpaid | tags_of_campaigns_not_ingested


# Every model downstream of the mapping, rebuilt (13 s): the end-to-end tier, beside the same edit
# made through `social-roi rebuild` (test_pipeline.py); `make test` stays under 3 minutes.
@pytest.mark.end_to_end
def test_editing_the_campaign_mapping_file_moves_revenue(settled, advertiser, work_directory, tmp_path):
    by_name = {c.name.split(" 20")[0]: c for c in advertiser.meta_campaigns}
    new_collection, winter_sale = by_name["New Collection"], by_name["Winter Sale"]
    before = dict(query(settled.warehouse, "select campaign_id, ga4_revenue from marts.roi_by_campaign"))
    assert before[new_collection.id] > 0
    mapping = tmp_path / "campaign_mapping.csv"
    mapping.write_text(
        f"channel,utm_campaign,campaign_id,note\nmeta,{new_collection.utm_campaign},{winter_sale.id},moved\n"
    )
    copy = copy_of_settled(settled, work_directory)

    # the mapping and what is built from it, with their tests
    finished = run_dbt(
        ["build", "--select", "stg_config__campaign_mapping+"],
        settled.env_for(copy, SOCIAL_ROI_CAMPAIGN_MAPPING=mapping),
        min_date=str(settled.window[0]),
        max_date=str(settled.window[1]),
    )

    assert finished.returncode == 0, finished.stdout[-3000:]
    after = dict(query(copy, "select campaign_id, ga4_revenue from marts.roi_by_campaign"))
    assert after[new_collection.id] == 0
    assert after[winter_sale.id] == before[winter_sale.id] + before[new_collection.id]

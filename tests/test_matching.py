"""Figures a manager can defend: GA4 traffic reaches the right campaign exactly once, whatever
language the campaign is named in. dbt alone, on a copy of the session's settled sync."""

import datetime as dt
from typing import TypedDict

import duckdb
import pytest

from conftest import copy_of_settled, run_dbt
from connectors.sandbox.advertiser import SyntheticAdvertiser
from warehouse_sql import query


@pytest.fixture(scope="module")
def campaigns():
    advertiser = SyntheticAdvertiser(seed=7)
    return {c.name.split(" 20")[0]: c for c in advertiser.meta_campaigns + advertiser.linkedin_campaigns}


class Window(TypedDict):
    """dbt's vars for the settled window."""

    min_date: str
    max_date: str


def window(settled) -> Window:
    return {"min_date": str(settled.window[0]), "max_date": str(settled.window[1])}


def test_norwegian_campaign_names_match_the_tags_people_write_and_names_that_collide_are_reported(
    settled, work_directory, campaigns
):
    winter, black_friday = campaigns["Winter Sale"], campaigns["Black Friday"]
    lead_gen, webinar = campaigns["B2B Lead Gen"], campaigns["Webinar Promotion"]
    revenue = "select campaign_id, ga4_revenue from marts.roi_by_campaign where campaign_id in (?, ?)"
    before = dict(query(settled.warehouse, revenue, winter.id, black_friday.id))
    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:
        rename = "update raw.{} set campaign_name = ? where campaign_id = ?"
        connection.execute(rename.format("meta_ads_insights"), ["Høstsalg 2026", winter.id])
        connection.execute(rename.format("meta_ads_insights"), ["Kari's Kafé", black_friday.id])
        connection.execute(rename.format("linkedin_ads_analytics"), ["Bål 2026", lead_gen.id])
        connection.execute(rename.format("linkedin_ads_analytics"), ["Bal 2026", webinar.id])
        # The same campaign tagged the two ways people write ø in a URL, on alternate days.
        connection.execute(
            "update raw.ga4_traffic set session_campaign_name = "
            "case when day(date) % 2 = 0 then 'hostsalg-2026' else 'hoestsalg_2026' end where session_campaign_name = ?",
            [winter.utm_campaign],
        )
        connection.execute(
            "update raw.ga4_traffic set session_campaign_name = 'karis-kafe' where session_campaign_name = ?",
            [black_friday.utm_campaign],
        )

    finished = run_dbt(["run"], settled.env_for(copy), **window(settled))

    assert finished.returncode == 0, finished.stdout[-3000:]
    matched = query(
        copy,
        "select utm_campaign, campaign_id, match_method from marts.ga4_traffic_by_campaign where utm_campaign in ('hostsalg-2026', 'hoestsalg_2026', 'karis-kafe')",
    )
    assert {tag for tag, _, _ in matched} == {"hostsalg-2026", "hoestsalg_2026", "karis-kafe"}
    assert all(method == "campaign_name" for _, _, method in matched)
    assert {tag: campaign for tag, campaign, _ in matched} == {
        "hostsalg-2026": winter.id,
        "hoestsalg_2026": winter.id,
        "karis-kafe": black_friday.id,
    }
    assert dict(query(copy, revenue, winter.id, black_friday.id)) == before, (
        "every tagged krone still reaches its campaign, once"
    )
    collided = query(
        copy, "select campaign_id from marts.unmatched_campaigns where problem = 'campaign_name_not_unique' order by 1"
    )
    assert collided == sorted([(lead_gen.id,), (webinar.id,)])


def test_two_mapping_rows_that_normalise_to_the_same_tag_stop_the_build_naming_both(
    settled, work_directory, campaigns, tmp_path
):
    new_collection = campaigns["New Collection"]
    mapping = tmp_path / "campaign_mapping.csv"
    mapping.write_text(
        "channel,utm_campaign,campaign_id,note\n"
        f"meta,nc-prospect-q4,{new_collection.id},as tagged in the ads\n"
        f"meta,NC Prospect Q4,{new_collection.id},as someone typed it again\n"
    )
    copy = copy_of_settled(settled, work_directory)

    finished = run_dbt(
        ["run", "--select", "stg_config__campaign_mapping"], settled.env_for(copy, SOCIAL_ROI_CAMPAIGN_MAPPING=mapping)
    )

    assert finished.returncode != 0
    assert (
        "campaign_mapping rows 'NC Prospect Q4' and 'nc-prospect-q4' (channel meta) both normalise to nc_prospect_q4"
        in finished.stdout
    ), finished.stdout[-3000:]


def test_traffic_counted_twice_in_the_marts_fails_the_reconciliation_with_raw(settled, work_directory):
    copy = copy_of_settled(settled, work_directory)
    day = settled.window[0]
    with duckdb.connect(str(copy)) as connection:  # one GA4 row attached twice, as a bad join would
        connection.execute(
            "insert into marts.ga4_traffic_by_campaign select * from marts.ga4_traffic_by_campaign where date_day = ? and revenue > 0 limit 1",
            [day],
        )

    finished = run_dbt(
        ["test", "--select", "marts_reconcile_ga4_and_claims_with_raw"],
        settled.env_for(copy),
        **window(settled),
    )

    assert finished.returncode != 0 and "FAIL 1 marts_reconcile_ga4_and_claims_with_raw" in finished.stdout.replace(
        "\x1b[31m", ""
    ).replace("\x1b[0m", ""), finished.stdout[-3000:]


def test_a_campaign_tagged_on_some_days_only_is_reported_with_the_untagged_share_of_its_spend(
    settled, work_directory, campaigns
):
    winter = campaigns["Winter Sale"]
    first = settled.window[0]
    untagged = (first, first + dt.timedelta(days=4))
    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:  # five days on which the ads carried no UTM tags
        connection.execute(
            "delete from raw.ga4_traffic where session_campaign_name = ? and date between ? and ?",
            [winter.utm_campaign, *untagged],
        )

    finished = run_dbt(["run", "--select", "stg_ga4__traffic+"], settled.env_for(copy), **window(settled))

    assert finished.returncode == 0, finished.stdout[-3000:]
    [(spend, share, first_day, last_day)] = query(
        copy,
        "select spend, untagged_spend_share, first_day, last_day from marts.unmatched_campaigns where problem = 'partly_tagged' and campaign_id = ?",
        winter.id,
    )
    [(untagged_spend, total_spend)] = query(
        copy,
        "select sum(spend) filter (where date_day between ? and ? and link_clicks > 0), sum(spend) from marts.cost_daily where campaign_id = ?",
        *untagged,
        winter.id,
    )
    assert spend == untagged_spend and share == pytest.approx(float(untagged_spend) / float(total_spend))
    assert untagged[0] <= first_day <= last_day <= untagged[1]
    assert query(
        settled.warehouse, "select count(*) from marts.unmatched_campaigns where problem = 'partly_tagged'"
    ) == [(0,)], "fully tagged before"


def test_organic_traffic_tagged_with_a_paid_campaign_stays_out_of_its_roi_and_lands_on_the_organic_side(
    settled, work_directory, campaigns
):
    winter = campaigns["Winter Sale"]
    day = settled.window[0]
    of_the_campaign = (
        "select roi, ga4_revenue, organic_sessions, organic_revenue from marts.roi_by_campaign where campaign_id = ?"
    )
    [(roi_before, revenue_before, _, organic_before)] = query(settled.warehouse, of_the_campaign, winter.id)
    by_side = "select media_type, ga4_revenue from marts.roi_by_channel where channel = 'meta'"
    sides_before = dict(query(settled.warehouse, by_side))
    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:
        # An unpaid post whose link carries the paid campaign's utm_campaign, with a big sale behind it.
        connection.execute(
            "insert into raw.ga4_traffic by name select * replace ('facebook' as session_source, 'organic' as session_medium, "
            "'Organic Social' as session_default_channel_group, 40 as sessions, 2 as key_events, 50000.00 as total_revenue, "
            "50000.00 as purchase_revenue) from raw.ga4_traffic where session_campaign_name = ? and date = ? limit 1",
            [winter.utm_campaign, day],
        )

    finished = run_dbt(["run", "--select", "stg_ga4__traffic+"], settled.env_for(copy), **window(settled))

    assert finished.returncode == 0, finished.stdout[-3000:]
    [(roi, revenue, organic_sessions, organic_revenue)] = query(copy, of_the_campaign, winter.id)
    assert (roi, revenue) == (roi_before, revenue_before), "the campaign's ROI does not move"
    assert organic_before == 0 and organic_sessions == 40 and organic_revenue == 50000
    sides = dict(query(copy, by_side))
    assert sides["paid"] == sides_before["paid"]
    assert sides["organic"] == sides_before["organic"] + 50000
    referral = query(
        copy,
        "select distinct media_type from marts.ga4_traffic_by_campaign where source = 'l.facebook.com' and medium = 'referral'",
    )
    assert referral == [("organic",)], "l.facebook.com / referral is organic social, never paid meta"

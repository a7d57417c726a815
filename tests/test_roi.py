"""ROI a manager can defend: every channel in one reporting currency, with non-media costs, GA4
revenue beside the platforms' claims, and clear failures for missing rates and bad ledger rows.

Figures are read from the session's settled sync; the failures are dbt's own (run alone, on a copy).
"""

import calendar
import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from conftest import (
    LEAD_VALUE_NOK,
    LEDGER_HEADER,
    MAPPING_FILES,
    ORGANIC_WINDOW,
    QUIET_WINDOW,
    REGISTRATION_CLOSE_RATE,
    REGISTRATION_DEAL_EUR,
    STAFF_PERIOD,
    TARGETS_HEADER,
    TOOLS_PERIOD,
    VALUES_HEADER,
    copy_of_settled,
    run_dbt,
)
from connectors.sandbox.advertiser import SyntheticAdvertiser
from connectors.sandbox.fx_rates import is_publication_day
from connectors.sandbox.ga4_figures import ga4_rows
from connectors.sandbox.meta_figures import meta_deliveries
from warehouse_sql import query

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar

# The Meta action types the marts count as conversions: the ones config/conversion_goals.csv
# names for Meta that the sandbox's advertiser fires (the file's aggregates are left out).
CONVERSION_TYPES = {
    "offsite_conversion.fb_pixel_purchase",
    "onsite_conversion.purchase",
    "offsite_conversion.fb_pixel_lead",
    "onsite_conversion.lead_grouped",
}


@pytest.fixture(scope="module")
def advertiser():
    """The settled sync's advertiser (same seed), to compute the expected figures independently."""
    return SyntheticAdvertiser(seed=7)


def days(since, until):
    return [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]


def nok_per(advertiser, currency, day):
    """What the pipeline must use: Norges Bank's rate of the day, else of the last publication day."""
    if currency == "NOK":
        return 1.0
    while not is_publication_day(day):
        day -= dt.timedelta(days=1)
    return round(advertiser.fx_rate(day, currency, "NOK"), 4)


def cents(value):
    return round(value + 0.0, 2)


def expected_roi(advertiser, window, tools_campaign_id):
    """Campaign totals in NOK computed from the advertiser's own figures, independently of the pipeline."""
    campaigns = advertiser.meta_campaigns + advertiser.linkedin_campaigns
    spend, other, revenue = defaultdict(float), defaultdict(float), defaultdict(float)
    for day in days(*window):
        spend_nok = {}
        for campaign in campaigns:
            truth = advertiser.campaign_day(campaign, day)
            if truth is None:
                continue
            currency = advertiser.account(campaign.account_id).currency
            spend_nok[campaign.id] = truth.spend * nok_per(advertiser, currency, day)
            spend[campaign.id] += cents(truth.spend * nok_per(advertiser, currency, day))
        if STAFF_PERIOD[0] <= day <= STAFF_PERIOD[1]:
            linkedin = {c.id: spend_nok[c.id] for c in advertiser.linkedin_campaigns if c.id in spend_nok}
            for campaign_id, amount in linkedin.items():
                other[campaign_id] += cents(1600.0 * amount / sum(linkedin.values()))
        if TOOLS_PERIOD[0] <= day <= TOOLS_PERIOD[1]:
            other[tools_campaign_id] += cents(20.0 * nok_per(advertiser, "EUR", day))
        for row in ga4_rows(advertiser, day):
            for campaign in campaigns:
                if campaign.utm_campaign and campaign.utm_campaign == row["sessionCampaignName"]:
                    revenue[campaign.id] += row["totalRevenue"]
    return spend, other, revenue


def test_roi_per_campaign_and_channel_in_the_reporting_currency_matches_a_hand_computation_to_the_cent(
    settled, advertiser
):
    spend, other, revenue = expected_roi(advertiser, QUIET_WINDOW, settled.tools_campaign_id)

    rows = query(
        settled.warehouse,
        "select campaign_id, spend, other_costs, total_cost, ga4_revenue, roas, roi, reporting_currency, "
        "valued_conversions_value, ga4_sessions from marts.roi_by_campaign_between(?, ?) where campaign_id is not null",
        *QUIET_WINDOW,
    )
    assert {row[0] for row in rows} == set(spend)
    for campaign_id, loaded_spend, loaded_other, total, ga4_revenue, roas, roi, currency, valued, sessions in rows:
        assert currency == "NOK"
        assert float(loaded_spend) == pytest.approx(spend[campaign_id], abs=0.005)
        assert float(loaded_other) == pytest.approx(other[campaign_id], abs=0.005)
        assert float(total) == pytest.approx(spend[campaign_id] + other[campaign_id], abs=0.005)
        assert float(ga4_revenue) == pytest.approx(revenue[campaign_id], abs=0.005)
        assert roas == pytest.approx(float(ga4_revenue) / float(loaded_spend))
        if sessions == 0:
            assert roi is None, "untracked spend: its return is not measured"
        else:
            assert roi == pytest.approx((float(ga4_revenue) + float(valued) - float(total)) / float(total))
    by_channel = {
        channel: (float(total), roi)
        for channel, total, roi in query(
            settled.warehouse,
            "select channel, total_cost, roi from marts.roi_by_channel_between(?, ?) where spend > 0",
            *QUIET_WINDOW,
        )
    }
    linkedin_ids = {c.id for c in advertiser.linkedin_campaigns}
    linkedin_total = sum(spend[c] + other[c] for c in linkedin_ids if c in spend)
    assert by_channel["linkedin"][0] == pytest.approx(linkedin_total, abs=0.01)
    assert linkedin_total > sum(spend[c] for c in linkedin_ids if c in spend) + 15_000, (
        "staff time is in the total cost"
    )


def test_meta_claims_equal_a_hand_computation_from_the_advertisers_own_totals(settled, advertiser):
    by_campaign: dict[str, list[float]] = {}
    for account in advertiser.meta_accounts:
        for delivery in meta_deliveries(advertiser, account.id, *QUIET_WINDOW):
            totals = by_campaign.setdefault(delivery.campaign.id, [0.0, 0.0])
            totals[0] += delivery.spend
            totals[1] += sum(v for k, v in delivery.action_values.items() if k in CONVERSION_TYPES)

    loaded = {
        row[0]: row[1:]
        for row in query(
            settled.warehouse,
            "select campaign_id, spend, platform_conversion_value, roas_platform_claimed from marts.roi_by_campaign_between(?, ?) "
            "where channel = 'meta' and campaign_id is not null",
            *QUIET_WINDOW,
        )
    }

    assert loaded.keys() == by_campaign.keys()
    for campaign_id, (spend, value) in by_campaign.items():
        loaded_spend, claimed, roas = loaded[campaign_id]
        assert float(loaded_spend) == pytest.approx(spend, abs=0.005)
        assert float(claimed) == pytest.approx(value, abs=0.005)
        assert roas == pytest.approx(value / spend)


def test_a_platforms_conversions_are_the_events_the_goals_file_names_for_it(settled, work_directory, tmp_path):
    # Take Meta's instant-form leads and LinkedIn's Lead Gen Form leads out of the goals file.
    goals = tmp_path / "conversion_goals.csv"
    left_out = ("meta,onsite_conversion.lead_grouped,", "linkedin,ONE_CLICK_LEADS,")
    lines = Path(settled.env["SOCIAL_ROI_CONVERSION_GOALS"]).read_text().splitlines(keepends=True)
    goals.write_text("".join(line for line in lines if not line.startswith(left_out)))
    copy = copy_of_settled(settled, work_directory)
    claimed = "select channel, sum(platform_conversions) from marts.{} where channel in ('meta', 'linkedin') group by 1"
    [(instant_forms,)] = query(
        copy,
        "select sum(action_count) from staging.stg_meta__actions where action_type = 'onsite_conversion.lead_grouped'",
    )
    [(lead_forms,)] = query(copy, "select sum(one_click_leads) from staging.stg_linkedin__campaign_analytics")
    before = dict(query(copy, claimed.format("conversions_daily")))

    finished = run_dbt(
        ["run", "--select", "stg_config__conversion_goals", "conversions_daily", "conversions_by_goal"],
        settled.env_for(copy, SOCIAL_ROI_CONVERSION_GOALS=goals),
    )

    assert finished.returncode == 0, finished.stdout[-3000:]
    after = dict(query(copy, claimed.format("conversions_daily")))
    assert instant_forms > 0 and lead_forms > 0
    assert after == {"linkedin": before["linkedin"] - lead_forms, "meta": before["meta"] - instant_forms}
    # the campaign days' conversions and the claims by goal are one count
    assert after == dict(query(copy, claimed.format("conversions_by_goal")))


def test_with_platform_revenue_roi_follows_each_platforms_own_claim(settled, work_directory):
    copy = copy_of_settled(settled, work_directory)

    finished = run_dbt(
        ["run", "--select", "roi_by_campaign", "roi_by_channel"],
        settled.env_for(copy),
        revenue_source="platform",
    )

    assert finished.returncode == 0, finished.stdout[-3000:]
    rows = query(
        copy,
        "select revenue_source, revenue, platform_conversion_value, valued_conversions_value, return_value, total_cost,"
        " roi from marts.roi_by_campaign where total_cost > 0",
    )
    assert rows
    for source, revenue, claimed, valued, return_value, total, roi in rows:
        assert source == "platform" and revenue == claimed and return_value == claimed + valued
        assert roi == pytest.approx((float(return_value) - float(total)) / float(total))


def test_a_missing_exchange_rate_fails_the_build_naming_the_currency_and_days(settled, work_directory):
    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("delete from raw.fx_rates")  # no official rates fetched, none in the seed
    day = QUIET_WINDOW[0]

    finished = run_dbt(
        ["run", "--select", "+cost_daily"],
        settled.env_for(copy),
        min_date=str(day),
        max_date=str(day + dt.timedelta(days=2)),
    )

    assert finished.returncode != 0
    named = re.search(r"No exchange rate into NOK for EUR on ([-\d, ]+) \(nor within 7 days before\)", finished.stdout)
    assert named, finished.stdout[-3000:]
    named_days = [dt.date.fromisoformat(text) for text in named.group(1).split(", ")]
    assert named_days and all(day <= named_day <= day + dt.timedelta(days=2) for named_day in named_days)
    assert "fx_rates.csv" in finished.stdout and "SOCIAL_ROI_FX_CURRENCIES" in finished.stdout


# Every kind of bad ledger row, each with what the message must say about it.
BAD_LEDGER_ROWS = {
    "B1,tools,meta,,2026-11-10,2026-11-01,100,NOK,,,oops": "period_end 2026-11-01 is before period_start 2026-11-10",
    "B2,tools,tiktok,,2026-11-01,2026-11-10,100,NOK,,,new channel": "channel 'tiktok' is unknown",
    "B3,staff_time,meta,,2026-11-01,2026-11-10,,NOK,-5,700,typo": "hours is negative",
    "B4,tools,meta,999,2026-11-01,2026-11-10,100,NOK,,,typo": "campaign_id 999 is not a meta campaign in the warehouse",
    "B5,tools,meta,,2026-11-01,2026-11-10,100,NOK,,,a\nB5,tools,linkedin,,2026-11-01,2026-11-10,100,NOK,,,b": "entry_id appears 2 times",
}


def build_with_bad_rows(settled, work_directory, config_file, header, bad_rows, model, setting):
    """dbt builds `model` on a copy of the settled warehouse, with `config_file` holding the bad
    rows (each key one or more CSV lines) behind `setting`."""
    config_file.write_text(header + "\n".join(bad_rows) + "\n")
    copy = copy_of_settled(settled, work_directory)
    return run_dbt(["run", "--select", model], settled.env_for(copy, **{setting: config_file}))


def test_bad_cost_ledger_rows_fail_the_build_with_one_message_naming_every_row_and_its_fix(
    settled, work_directory, tmp_path
):
    ledger = tmp_path / "cost_ledger.csv"

    finished = build_with_bad_rows(
        settled, work_directory, ledger, LEDGER_HEADER, BAD_LEDGER_ROWS, "int_cost_ledger", "SOCIAL_ROI_COST_LEDGER"
    )

    assert finished.returncode != 0
    for rows, complaint in BAD_LEDGER_ROWS.items():
        assert f"Cost ledger row {rows[:2]}: {complaint}" in finished.stdout, finished.stdout[-3000:]


# The user's mappings read by the stg_config__* models: each file's header and one good row (line
# 2), then every kind of bad row its model checks (from line 3 on, one or more CSV lines each), with
# what the message must say about it.
BAD_MAPPING_ROWS = {
    "channel_mapping": (
        "SOCIAL_ROI_CHANNEL_MAPPING",
        "source,medium,channel,media_type\nfacebook,*,meta,\n",
        {
            ",cpc,meta,": "line 3: source and medium are required (`*` matches any)",
            "tiktok,cpc,,paid": "line 4: channel is empty: name the channel the traffic belongs to",
            "newsletter,email,email,\nNewsletter, EMAIL ,email,": "lines 5 and 6 both map source 'newsletter' and "
            "medium 'email' (the traffic would count twice): keep one of them",
            "linkedin,cpc,linkedin,sponsored": "line 7: media_type 'sponsored' is not one of paid, organic, other "
            "(leave it empty for GA4's own rule)",
        },
    ),
    "conversion_goals": (
        "SOCIAL_ROI_CONVERSION_GOALS",
        "platform,event,goal,counted_on,campaign_id,note\nmeta,offsite_conversion.fb_pixel_purchase,purchase,,,\n",
        {
            "tiktok,complete_payment,purchase,,,": "line 3: platform 'tiktok' is not one of meta, linkedin, ga4",
            "meta,,purchase,,,": "line 4: event is empty: name the platform's event",
            "meta,offsite_conversion.fb_pixel_lead,,,,": "line 5: goal is empty: name the goal the event counts for",
            "ga4,generate_lead,lead,app,,": "line 6: counted_on 'app' is not website or platform (leave it empty for "
            "website)",
            "linkedin,lead_form,lead,platform,123,\nlinkedin,lead_form,lead,platform,123,again": "lines 7 and 8 both "
            "map linkedin event 'lead_form' of campaign 123 (its conversions would count twice): keep one of them",
            "ga4,sign_up,sign_up,,,\nGA4, sign_up ,sign_up,,,": "lines 9 and 10 both map ga4 event 'sign_up' without "
            "a campaign_id (its conversions would count twice): keep one of them",
            ",complete_payment,purchase,,,": "line 11: platform is empty: use one of meta, linkedin, ga4",
        },
    ),
    "campaign_objectives": (
        "SOCIAL_ROI_CAMPAIGN_OBJECTIVES",
        "platform,objective,verdict_basis,note\nmeta,OUTCOME_AWARENESS,awareness,\n",
        {
            "linkedin,,consideration,": "line 3: platform and objective are required",
            "meta,OUTCOME_SALES,sales,": "line 4: verdict_basis 'sales' is not one of awareness, consideration, "
            "conversion",
            "meta,OUTCOME_LEADS,conversion,\nMeta ,OUTCOME_LEADS,consideration,second thoughts": "lines 5 and 6 both "
            "judge meta objective OUTCOME_LEADS: keep one of them",
            "meta,OUTCOME_TRAFFIC,,": "line 7: verdict_basis is empty: use one of awareness, consideration, conversion",
        },
    ),
}


@pytest.mark.parametrize("mapping", BAD_MAPPING_ROWS)
def test_bad_mapping_rows_stop_the_build_with_one_message_naming_the_file_every_line_and_its_fix(
    settled, work_directory, tmp_path, mapping
):
    setting, good_lines, bad_rows = BAD_MAPPING_ROWS[mapping]
    built = f"select * from staging.stg_config__{mapping} order by all"
    mapping_file = tmp_path / f"{mapping}.csv"
    mapping_file.write_text(good_lines + "\n".join(bad_rows) + "\n")
    copy = copy_of_settled(settled, work_directory)

    finished = run_dbt(["run", "--select", f"stg_config__{mapping}"], settled.env_for(copy, **{setting: mapping_file}))

    assert finished.returncode != 0
    message = "; ".join(f"{mapping} {complaint}" for complaint in bad_rows.values())
    assert f"{message} (in {mapping_file}). Fix the rows and re-run." in finished.stdout, finished.stdout[-3000:]
    assert query(copy, built) == query(settled.warehouse, built), "the mapping built before stays as it was"


def test_no_table_sums_reach_without_saying_so(settled):
    reach_columns = {
        name
        for (name,) in query(
            settled.warehouse,
            "select distinct column_name from information_schema.columns where table_schema = 'marts' and column_name like '%reach%'",
        )
    }

    assert reach_columns == {
        "reach_daily",
        "reach_sum_of_daily_upper_bound",
        "engagement_rate_by_daily_reach",
        "lifetime_reach",  # one post's own unique reach (marts.posts)
        "engagement_rate_by_lifetime_reach",
    }


def test_kpi_targets_show_actual_against_target(settled):
    rows = {
        row[0]: row[1:]
        for row in query(settled.warehouse, "select target_id, actual_value, status from marts.kpi_progress")
    }

    meta_spend = query(
        settled.warehouse,
        "select sum(spend_reporting) from marts.cost_daily where channel = 'meta' and date_day between ? and ?",
        *QUIET_WINDOW,
    )[0][0]
    assert rows["K1"] == (pytest.approx(float(meta_spend)), "met")
    assert rows["K2"][1] == "not_met"


def test_a_target_whose_period_is_still_running_shows_its_pace(settled):
    paced = "select actual_value, days_elapsed, days_in_period, expected_to_date, projected_value, status from marts.kpi_progress where target_id = ?"

    [(spend, elapsed, days, expected, projected, status)] = query(settled.warehouse, paced, "Q1")
    [(cpc, _, _, cpc_expected, cpc_projected, cpc_status)] = query(settled.warehouse, paced, "Q2")

    first, last = settled.window
    assert (elapsed, days) == ((last - first).days + 1, 90)
    assert expected == pytest.approx(1_000_000 * elapsed / 90)
    assert projected == pytest.approx(spend / elapsed * 90)
    assert status == "at_risk", "a million in a quarter is far beyond the current pace"
    assert (cpc_expected, cpc_projected, cpc_status) == (1000, cpc, "on_track"), "a ratio's pace is the ratio so far"


# Every kind of KPI target that cannot be measured honestly, with what the message must say.
BAD_TARGET_ROWS = {
    "T1,spend,tiktok,,2026-11-01,2026-11-30,1,at_least,": "channel 'tiktok' is unknown",
    "T2,spend,meta,999,2026-11-01,2026-11-30,1,at_least,": "campaign_id 999 is not a campaign in the warehouse",
    "T3,roas,,,2026-11-01,2026-11-30,1,at_least,": "roas needs a channel or a campaign",
    "T4,spend,meta,,2026-11-01,2026-11-30,1,at_least,\nT4,spend,linkedin,,2026-11-01,2026-11-30,1,at_least,": "target_id appears 2 times",
}


def test_kpi_targets_that_cannot_be_measured_honestly_fail_with_one_message_naming_every_row(
    settled, work_directory, tmp_path
):
    targets = tmp_path / "kpi_targets.csv"

    finished = build_with_bad_rows(
        settled, work_directory, targets, TARGETS_HEADER, BAD_TARGET_ROWS, "kpi_progress", "SOCIAL_ROI_KPI_TARGETS"
    )

    assert finished.returncode != 0
    for rows, complaint in BAD_TARGET_ROWS.items():
        assert f"KPI target {rows[:2]}: {complaint}" in finished.stdout, finished.stdout[-3000:]


def test_any_window_is_one_query_away(settled):
    middle = QUIET_WINDOW[0] + dt.timedelta(days=3), QUIET_WINDOW[0] + dt.timedelta(days=6)

    between = query(
        settled.warehouse,
        "select channel, spend from marts.roi_by_channel_between(?, ?) where spend > 0 order by channel",
        *middle,
    )
    by_hand = query(
        settled.warehouse,
        "select channel, sum(spend_reporting) from marts.cost_daily where date_day between ? and ? group by 1 having sum(spend_reporting) > 0 order by 1",
        *middle,
    )

    assert between == by_hand
    social = "select scope, spend, total_cost, return_value, roi from marts.{}"
    assert query(settled.warehouse, social.format("roi_social_totals_between('1900-01-01', '2999-12-31')")) == query(
        settled.warehouse, social.format("roi_social_totals")
    ), "the social totals for any window too"


@pytest.mark.end_to_end  # two dbt builds of its own: the end-to-end tier keeps make test under 3 minutes
def test_a_cost_booked_to_a_campaign_that_stopped_spending_stays_on_it_when_only_recent_days_are_rebuilt(
    settled, work_directory, advertiser, tmp_path, yesterday
):
    stopped = min(
        (
            c
            for c in advertiser.meta_campaigns + advertiser.linkedin_campaigns
            if c.end and settled.window[0] <= c.end < yesterday
        ),
        key=lambda c: c.end,
    )
    ledger = tmp_path / "cost_ledger.csv"
    channel = "meta" if stopped in advertiser.meta_campaigns else "linkedin"
    ledger.write_text(
        LEDGER_HEADER
        + f"X1,tools,{channel},{stopped.id},{settled.window[0]},{settled.window[1]},1700,NOK,,,licence for the campaign\n"
    )
    copy = copy_of_settled(settled, work_directory)
    env = settled.env_for(copy, SOCIAL_ROI_COST_LEDGER=ledger)
    of_the_campaign = (
        "select account_id, other_costs, total_cost, roi from marts.roi_by_campaign where campaign_id = ? order by all"
    )
    full = run_dbt(["run"], env, min_date=str(settled.window[0]), max_date=str(settled.window[1]))
    assert full.returncode == 0, full.stdout[-3000:]
    after_full_rebuild = query(copy, of_the_campaign, stopped.id)

    # A nightly-style run over the days after the campaign's last spend.
    nightly = run_dbt(["run"], env, min_date=str(stopped.end + dt.timedelta(days=1)), max_date=str(yesterday))

    assert nightly.returncode == 0, nightly.stdout[-3000:]
    assert query(copy, of_the_campaign, stopped.id) == after_full_rebuild
    [(account_id, other_costs, _total, _roi)] = after_full_rebuild
    assert account_id == stopped.account_id and float(other_costs) == pytest.approx(1700, abs=0.05)


def test_config_files_in_a_folder_with_a_quote_in_its_name_build_as_anywhere_else(settled, work_directory, tmp_path):
    config = tmp_path / "Kari's checkout" / "config"
    config.mkdir(parents=True)
    settings = {}
    for setting in (
        "SOCIAL_ROI_COST_LEDGER",
        "SOCIAL_ROI_KPI_TARGETS",
        "SOCIAL_ROI_CONVERSION_VALUES",
        "SOCIAL_ROI_BUDGETS",
        *MAPPING_FILES,
    ):
        original = Path(settled.env[setting])
        settings[setting] = config / original.name
        settings[setting].write_text(original.read_text())
    copy = copy_of_settled(settled, work_directory)
    models = {
        "stg_config__campaign_mapping": "staging",
        "stg_config__channel_mapping": "staging",
        "stg_config__conversion_goals": "staging",
        "stg_config__campaign_objectives": "staging",
        "int_cost_ledger": "intermediate",
        "int_conversion_values": "intermediate",
        "int_budgets": "intermediate",
        "kpi_progress": "marts",
    }
    counted = " union all ".join(
        f"select '{model}', count(*) from {schema}.{model}" for model, schema in models.items()
    )
    before = dict(query(copy, counted))

    finished = run_dbt(["run", "--select", *models], settled.env_for(copy, **settings))

    assert finished.returncode == 0, finished.stdout[-3000:]
    after = dict(query(copy, counted))
    assert after == before and all(after.values())


def test_a_cost_whose_period_runs_past_the_last_loaded_day_is_charged_only_up_to_it(settled, work_directory, tmp_path):
    first, last = settled.window
    quarter_end = first + dt.timedelta(days=89)
    ledger = tmp_path / "cost_ledger.csv"
    ledger.write_text(LEDGER_HEADER + f"R1,agency_fees,linkedin,,{first},{quarter_end},9000,NOK,,,quarterly retainer\n")
    copy = copy_of_settled(settled, work_directory)

    # A bare dbt run: the default window reaches far into the future.
    finished = run_dbt(["run", "--select", "int_cost_ledger+"], settled.env_for(copy, SOCIAL_ROI_COST_LEDGER=ledger))

    assert finished.returncode == 0, finished.stdout[-3000:]
    [(charged, last_charged)] = query(
        copy, "select sum(other_costs_reporting), max(date_day) from marts.cost_daily where other_costs_reporting > 0"
    )
    assert last_charged == last
    assert float(charged) == pytest.approx(9000 * ((last - first).days + 1) / 90, abs=0.05)


def test_months_are_dates_and_a_month_the_warehouse_holds_in_part_says_so(settled):
    rows = query(
        settled.warehouse,
        "select distinct typeof(month), month, days_in_data, is_partial_month from marts.roi_by_channel_monthly order by month",
    )

    # the organic pages were synced from further back than the ads (conftest.ORGANIC_WINDOW)
    first, last = ORGANIC_WINDOW[0], settled.window[1]
    expected = {}
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        expected[day.replace(day=1)] = expected.get(day.replace(day=1), 0) + 1
    # a month is partial unless the data holds its every day (as when yesterday was the last of a month
    # the organic window began on the eve of)
    assert [(kind, month, days, partial) for kind, month, days, partial in rows] == [
        ("DATE", month, days, days < calendar.monthrange(month.year, month.month)[1])
        for month, days in expected.items()
    ]


def test_channels_without_ads_have_no_over_claim_ratio(settled):
    ratios = {
        (channel, media): ratio
        for channel, media, ratio in query(
            settled.warehouse, "select channel, media_type, over_claim_ratio from marts.roi_by_channel"
        )
    }

    assert ratios[("meta", "paid")] > 0 and ratios[("linkedin", "paid")] > 0
    assert {key: ratio for key, ratio in ratios.items() if key[1] != "paid"} == {
        ("meta", "organic"): None,
        ("linkedin", "organic"): None,  # the organization pages' engagement
        ("direct", "other"): None,
        ("email", "other"): None,
        ("organic", "other"): None,
        ("referral", "other"): None,
    }


def test_social_totals_are_the_social_channels_sums_paid_and_with_organic(settled):
    by_channel = query(
        settled.warehouse,
        "select media_type, sum(spend), sum(total_cost), sum(ga4_revenue), sum(ga4_sessions) from marts.roi_by_channel "
        "where channel in ('meta', 'linkedin') group by cube (media_type) order by media_type nulls last",
    )
    sums = {media or "all": row for media, *row in by_channel}
    totals = {
        scope: row
        for scope, *row in query(
            settled.warehouse,
            "select scope, spend, total_cost, ga4_revenue, ga4_sessions, return_value, roi from marts.roi_social_totals",
        )
    }

    assert totals["all paid social"][:4] == sums["paid"]
    assert totals["all social"][:4] == sums["all"]
    spend, total_cost, revenue, _sessions, return_value, roi = totals["all social"]
    assert roi == pytest.approx((float(return_value) - float(total_cost)) / float(total_cost)), "a ratio of the sums"


def test_a_cost_booked_to_a_channels_organic_side_stays_out_of_its_paid_roi(settled, work_directory, tmp_path):
    first, last = settled.window
    days = (last - first).days + 1
    ledger = tmp_path / "cost_ledger.csv"
    ledger.write_text(
        LEDGER_HEADER.strip()
        + ",media_type\n"
        + f"O1,staff_time,meta,,{first},{last},,NOK,{days},500,community manager for unpaid posts,organic\n"
        + f"P1,tools,meta,,{first},{last},{days}00,NOK,,,ads tool,\n"
    )
    copy = copy_of_settled(settled, work_directory)

    finished = run_dbt(
        ["run", "--select", "int_cost_ledger+"],
        settled.env_for(copy, SOCIAL_ROI_COST_LEDGER=ledger),
        min_date=str(first),
        max_date=str(last),
    )

    assert finished.returncode == 0, finished.stdout[-3000:]
    sides = {
        media: (float(other), roi)
        for media, other, roi in query(
            copy, "select media_type, other_costs, roi from marts.roi_by_channel where channel = 'meta'"
        )
    }
    assert sides["organic"][0] == pytest.approx(500 * days, abs=0.05), (
        "the community manager's hours are the organic side's"
    )
    # The tool's cost is spread over the day's campaigns by spend share, each campaign-day rounded to the cent
    # (DECISIONLOG, "Exchange rates stay exact until they meet arithmetic"): up to half a cent per row it lands on.
    carrying = query(
        copy,
        "select count(*) from marts.cost_daily where channel = 'meta' and media_type = 'paid' and other_costs_reporting <> 0",
    )[0][0]
    assert sides["paid"][0] == pytest.approx(100 * days, abs=0.005 * carrying), (
        "the ads tool, and nothing else, is the paid side's"
    )
    assert sides["organic"][1] is not None, "organic social has an ROI of its own"


def test_days_the_platforms_may_still_restate_are_flagged_provisional(settled):
    rows = query(
        settled.warehouse,
        "select channel, media_type, provisional_days, is_provisional from marts.roi_by_channel_monthly "
        "where month = date_trunc('month', ?::date) order by all",
        settled.window[1],
    )

    provisional = {(channel, media): (days, flag) for channel, media, days, flag in rows}
    first, last = settled.window
    days_this_month = (last - max(first, last.replace(day=1))).days + 1
    # The sources' nightly windows, with GA4's 3 days for every channel's web traffic.
    for key, window in {("meta", "paid"): 7, ("linkedin", "paid"): 14, ("direct", "other"): 3}.items():
        assert provisional[key] == (min(window, days_this_month), True), key
    # The longest window is LinkedIn's 14 days: the days before it are final on every channel.
    final = query(
        settled.warehouse,
        "select bool_or(is_provisional), sum(provisional_days) from marts.roi_by_channel_between(?, ?)",
        first,
        last - dt.timedelta(days=14),
    )
    assert final == [(False, 0)], "days older than every window are final"


def test_a_row_that_counts_days_in_more_than_one_time_zone_carries_a_warning(settled, advertiser):
    # Meta's accounts and the GA4 property count Oslo days; LinkedIn reports UTC days.
    assert query(settled.warehouse, "select distinct account_timezone from raw.meta_ads_insights") == [
        (advertiser.meta_accounts[0].timezone,)
    ], "each row carries the zone the Meta account node states"
    campaigns = {
        campaign_id: (zones, warning)
        for campaign_id, zones, warning in query(
            settled.warehouse, "select campaign_id, time_zones, time_zone_warning from marts.roi_by_campaign"
        )
    }
    oslo_only = campaigns[advertiser.meta_campaigns[0].id]
    tagged_linkedin = next(c for c in advertiser.linkedin_campaigns if c.utm_campaign)
    untagged_linkedin = next(c for c in advertiser.linkedin_campaigns if not c.utm_campaign)

    assert oslo_only == ("Europe/Oslo", None), "a Meta campaign's spend and traffic share the Oslo day"
    zones, warning = campaigns[tagged_linkedin.id]
    assert zones == "Europe/Oslo, UTC"
    assert "2 time zones (Europe/Oslo, UTC)" in warning and "different dates" in warning
    assert campaigns[untagged_linkedin.id] == ("UTC", None), "no GA4 traffic: only LinkedIn's UTC days"
    channels = dict(
        query(
            settled.warehouse,
            "select channel || '/' || media_type, time_zone_warning is not null from marts.roi_by_channel",
        )
    )
    assert channels["meta/paid"] is False and channels["linkedin/paid"] is True and channels["direct/other"] is False
    assert query(settled.warehouse, "select bool_and(time_zone_warning is not null) from marts.roi_social_totals") == [
        (True,)
    ]


def ga4_key_events_of(advertiser, campaign, window):
    """The campaign's GA4 key events over the window, from the advertiser's own traffic."""
    return sum(
        row["keyEvents"]
        for day in days(*window)
        for row in ga4_rows(advertiser, day)
        if campaign.utm_campaign and row["sessionCampaignName"] == campaign.utm_campaign
    )


def test_a_lead_campaigns_return_is_its_leads_at_the_agreed_value_and_its_roi_follows(settled, advertiser):
    lead_gen = next(c for c in advertiser.linkedin_campaigns if c.conversion_event == "lead" and c.utm_campaign)
    leads = ga4_key_events_of(advertiser, lead_gen, QUIET_WINDOW)

    [(leads_ga4, valued, revenue, return_value, total, roi, cpl, spend)] = query(
        settled.warehouse,
        "select leads_ga4, valued_conversions_value, revenue, return_value, total_cost, roi, cpl, spend "
        "from marts.roi_by_campaign_between(?, ?) where campaign_id = ?",
        *QUIET_WINDOW,
        lead_gen.id,
    )

    assert leads > 0 and leads_ga4 == leads
    assert float(valued) == leads * LEAD_VALUE_NOK and revenue == 0, "a lead campaign sells nothing itself"
    assert return_value == valued
    assert roi == pytest.approx((float(return_value) - float(total)) / float(total))
    assert cpl == pytest.approx(float(spend) / leads), "CPL: media spend per GA4 lead"


def test_a_value_set_in_euros_for_a_period_is_converted_at_each_days_rate(settled, advertiser):
    webinar = next(c for c in advertiser.linkedin_campaigns if c.conversion_event == "registration")
    expected = sum(
        round(
            ga4_key_events_of(advertiser, webinar, (day, day))
            * REGISTRATION_CLOSE_RATE
            * REGISTRATION_DEAL_EUR
            * nok_per(advertiser, "EUR", day),
            2,
        )
        for day in days(*QUIET_WINDOW)
    )

    [(registrations, valued)] = query(
        settled.warehouse,
        "select registrations_ga4, valued_conversions_value from marts.roi_by_campaign_between(?, ?) "
        "where campaign_id = ?",
        *QUIET_WINDOW,
        webinar.id,
    )

    assert registrations > 0
    assert float(valued) == pytest.approx(expected, abs=0.005)


def test_sign_ups_are_worth_the_value_ga4_reports_for_them(settled, advertiser):
    newsletter = next(c for c in advertiser.meta_campaigns if c.conversion_event == "sign_up" and c.utm_campaign)
    [(sign_ups, valued)] = query(
        settled.warehouse,
        "select sign_ups_ga4, valued_conversions_value from marts.roi_by_campaign_between(?, ?) where campaign_id = ?",
        *QUIET_WINDOW,
        newsletter.id,
    )

    assert sign_ups > 0
    assert float(valued) == pytest.approx(150.0 * sign_ups, abs=0.005), "GA4's key-event default value"


def meta_actions_of(advertiser, campaign, window):
    """The campaign's Meta action counts and values over the window, as the platform reports them."""
    counts, values = defaultdict(float), defaultdict(float)
    for delivery in meta_deliveries(advertiser, campaign.account_id, *window):
        if delivery.campaign.id == campaign.id:
            for action_type, count in delivery.actions.items():
                counts[action_type] += count
            for action_type, value in delivery.action_values.items():
                values[action_type] += value
    return counts, values


def test_meta_purchases_and_leads_are_counted_apart_and_compared_like_with_like(settled, advertiser):
    rows = query(
        settled.warehouse,
        "select campaign_id, spend, purchases_claimed, purchases_claimed_on_platform, purchases_ga4, cpa_purchase, "
        "over_claim_ratio_purchases from marts.roi_by_campaign_between(?, ?) where channel = 'meta'",
        *QUIET_WINDOW,
    )
    by_id = {row[0]: row[1:] for row in rows}
    buyer = next(c for c in advertiser.meta_campaigns if c.conversion_event == "purchase" and c.utm_campaign)
    lead_campaign = next(c for c in advertiser.meta_campaigns if c.goal == "lead" and c.id in by_id)
    claims, _ = meta_actions_of(advertiser, buyer, QUIET_WINDOW)
    pixel, in_shop = claims["offsite_conversion.fb_pixel_purchase"], claims["onsite_conversion.purchase"]

    spend, purchases_claimed, in_shop_claimed, purchases_ga4, cpa_purchase, over_claim = by_id[buyer.id]

    assert purchases_claimed == pixel + in_shop and pixel > 0
    assert in_shop_claimed == in_shop, "shop purchases on Facebook and Instagram: on the platform"
    assert purchases_ga4 == ga4_key_events_of(advertiser, buyer, QUIET_WINDOW)
    assert over_claim == pytest.approx(pixel / purchases_ga4), "the pixel's purchases over the purchases GA4 saw"
    assert cpa_purchase == pytest.approx(float(spend) / purchases_ga4)
    [(purchase_revenue, ga4_revenue)] = query(
        settled.warehouse,
        "select purchase_revenue, ga4_revenue from marts.roi_by_campaign_between(?, ?) where campaign_id = ?",
        *QUIET_WINDOW,
        buyer.id,
    )
    assert 0 < purchase_revenue <= ga4_revenue, "purchases' part of GA4's revenue"
    assert by_id[lead_campaign.id][1] == 0, "a lead campaign claims no purchases"


def linkedin_leads_in_quiet_window(settled, campaign_id: str) -> tuple:
    """A LinkedIn campaign's leads over the quiet window as the raw tables hold them: counted by its
    LEAD conversion rule (website), and by its Lead Gen Forms (oneClickLeads, on LinkedIn)."""
    [(by_rule, form_leads)] = query(
        settled.warehouse,
        "select (select sum(conversions) from raw.linkedin_ads_conversions where campaign_id = ? and conversion_type = 'LEAD'"
        " and date between ? and ?), (select sum(one_click_leads) from raw.linkedin_ads_analytics where campaign_id = ?"
        " and date between ? and ?)",
        campaign_id,
        *QUIET_WINDOW,
        campaign_id,
        *QUIET_WINDOW,
    )
    return by_rule, form_leads


def test_lead_form_leads_are_never_set_against_ga4(settled, advertiser):
    lead_gen = next(c for c in advertiser.linkedin_campaigns if c.conversion_event == "lead" and c.utm_campaign)
    by_rule, form_leads = linkedin_leads_in_quiet_window(settled, lead_gen.id)
    [(all_form_leads, all_claimed)] = query(
        settled.warehouse,
        "select sum(one_click_leads), sum(external_website_conversions + one_click_leads) from raw.linkedin_ads_analytics "
        "where date between ? and ?",
        *QUIET_WINDOW,
    )
    leads_seen = ga4_key_events_of(advertiser, lead_gen, QUIET_WINDOW)

    [(leads_claimed, on_platform, leads_ga4, over_claim)] = query(
        settled.warehouse,
        "select leads_claimed, leads_claimed_on_platform, leads_ga4, over_claim_ratio_leads "
        "from marts.roi_by_campaign_between(?, ?) where campaign_id = ?",
        *QUIET_WINDOW,
        lead_gen.id,
    )
    [(platform_only, platform_conversions, key_events, channel_over_claim)] = query(
        settled.warehouse,
        "select platform_only_conversions, platform_conversions, ga4_key_events, over_claim_ratio "
        "from marts.roi_by_channel_between(?, ?) where channel = 'linkedin' and media_type = 'paid'",
        *QUIET_WINDOW,
    )

    assert form_leads > by_rule > 0 and leads_seen > 0
    assert leads_claimed == by_rule + form_leads, "a lead is a lead, wherever it was filled in"
    assert on_platform == form_leads, "Lead Gen Form leads are filled in on LinkedIn"
    assert leads_ga4 == leads_seen
    assert over_claim == pytest.approx(by_rule / leads_seen), "only the website's leads against GA4's"
    assert platform_conversions == all_claimed and platform_only == all_form_leads
    assert channel_over_claim == pytest.approx((all_claimed - all_form_leads) / key_events)


def test_a_pixel_lead_fired_on_a_sign_up_counts_as_a_sign_up_for_its_campaign(settled, advertiser):
    # The sandbox's Meta sign-up and webinar campaigns fire the pixel's Lead event on their sign-ups
    # and registrations; the conversion_goals seed maps them per campaign.
    remapped = [c for c in advertiser.meta_campaigns if c.goal == "lead"]
    compared = []
    for campaign in remapped:
        stem = {"sign_up": "sign_ups", "registration": "registrations"}[campaign.conversion_event]
        found = query(
            settled.warehouse,
            f"select leads_claimed, {stem}_claimed, {stem}_claimed_on_platform, {stem}_ga4, over_claim_ratio_{stem} "
            "from marts.roi_by_campaign_between(?, ?) where campaign_id = ?",
            *QUIET_WINDOW,
            campaign.id,
        )
        if not found:
            continue  # ended before the window
        [(leads, claimed, on_platform, observed, over_claim)] = found
        claims, _ = meta_actions_of(advertiser, campaign, QUIET_WINDOW)
        pixel, instant_forms = claims["offsite_conversion.fb_pixel_lead"], claims["onsite_conversion.lead_grouped"]
        seen = ga4_key_events_of(advertiser, campaign, QUIET_WINDOW)

        assert leads == 0, f"{campaign.name}: its pixel leads are {stem}"
        assert claimed == pixel + instant_forms and on_platform == instant_forms
        assert observed == seen
        if seen:
            assert over_claim == pytest.approx(pixel / seen), f"the pixel's {stem} over the {stem} GA4 saw"
            compared.append(campaign.conversion_event)
    assert "sign_up" in compared, "the active newsletter campaign converts in the window"


def test_a_linkedin_conversion_rule_of_type_lead_counts_as_leads_without_configuration(settled, advertiser):
    lead_gen = next(c for c in advertiser.linkedin_campaigns if c.conversion_event == "lead" and c.utm_campaign)
    by_rule, form_leads = linkedin_leads_in_quiet_window(settled, lead_gen.id)

    [(leads_claimed, purchases_claimed)] = query(
        settled.warehouse,
        "select leads_claimed, purchases_claimed from marts.roi_by_campaign_between(?, ?) where campaign_id = ?",
        *QUIET_WINDOW,
        lead_gen.id,
    )

    assert by_rule > 0
    assert leads_claimed == by_rule + form_leads, "the LEAD rule's conversions and the Lead Gen Form leads"
    assert purchases_claimed == 0


def test_an_awareness_campaign_is_judged_on_cpm_and_untracked_spend_has_no_roi(settled, advertiser):
    awareness = next(c for c in advertiser.meta_campaigns if c.objective == "awareness")
    buyer = next(c for c in advertiser.meta_campaigns if c.objective == "sales" and c.utm_campaign)
    verdicts = {
        campaign_id: rest
        for campaign_id, *rest in query(
            settled.warehouse,
            "select campaign_id, objective, verdict_basis, primary_kpi, roi, roi_null_reason, cpm, spend, impressions "
            "from marts.roi_by_campaign_between(?, ?)",
            *QUIET_WINDOW,
        )
    }

    objective, basis, kpi, roi, reason, cpm, spend, impressions = verdicts[awareness.id]
    assert (objective, basis, kpi) == ("OUTCOME_AWARENESS", "awareness", "cpm")
    assert (roi, reason) == (None, "no_tracked_traffic"), "no tagged link: not measured, not −1"
    assert verdicts[buyer.id][:3] == ["OUTCOME_SALES", "conversion", "roi"] and verdicts[buyer.id][3] is not None
    [(actual, target, status)] = query(
        settled.warehouse, "select actual_value, target_value, status from marts.kpi_progress where target_id = 'A1'"
    )
    assert actual == pytest.approx(float(spend) / impressions * 1000) == pytest.approx(cpm)
    assert status == ("met" if actual <= target else "not_met")


# Every kind of conversion value row that cannot be applied honestly, with what the message must say.
BAD_VALUE_ROWS = {
    "B1,webinar,,,,,100,,,NOK,,": "goal 'webinar' is not one of",
    "B2,lead,,,,,-5,,,NOK,,": "value is negative",
    "B3,lead,meta,,,,100,,,XYZ,,": "currency 'XYZ' has no exchange rate into NOK",
    "B4,sign_up,,,2026-11-01,2026-11-20,10,,,NOK,,\nB5,sign_up,,,2026-11-15,2026-11-30,12,,,NOK,,": "its period overlaps row(s) B5",
    "B6,purchase,,,,,100,,,NOK,,": "purchases are valued by the revenue they bring",
    "B7,lead,linkedin,,,,,0.2,,NOK,,": "close_rate needs a deal_value",
}


def test_conversion_values_that_cannot_be_applied_honestly_fail_with_one_message_naming_every_row(
    settled, work_directory, tmp_path
):
    values = tmp_path / "conversion_values.csv"

    finished = build_with_bad_rows(
        settled,
        work_directory,
        values,
        VALUES_HEADER,
        BAD_VALUE_ROWS,
        "int_conversion_values",
        "SOCIAL_ROI_CONVERSION_VALUES",
    )

    assert finished.returncode != 0
    for rows, complaint in BAD_VALUE_ROWS.items():
        assert f"Conversion value row {rows[:2]}: {complaint}" in finished.stdout, finished.stdout[-3000:]

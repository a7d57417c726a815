"""ROI a manager can defend: every channel in one reporting currency, with non-media costs, GA4
revenue beside the platforms' claims, and clear failures for missing rates and bad ledger rows."""

import datetime as dt
from collections import defaultdict

import pytest

from connectors.sandbox.norges_bank import is_publication_day
from pipelines.runs import run_sync
from warehouse_sql import query

LEDGER_HEADER = "entry_id,category,channel,campaign_id,period_start,period_end,amount,currency,hours,hourly_rate,note\n"
TARGETS_HEADER = "target_id,metric,channel,campaign_id,period_start,period_end,target_value,direction,note\n"


@pytest.fixture
def window(yesterday):
    # Settled days only: no late conversions or late GA4 data move under the assertions.
    return yesterday - dt.timedelta(days=16), yesterday - dt.timedelta(days=4)


@pytest.fixture
def write_config(tmp_path, monkeypatch):
    def write(variable: str, text: str):
        path = tmp_path / f"{variable.lower()}.csv"
        path.write_text(text)
        monkeypatch.setenv(variable, str(path))

    return write


def days(since, until):
    return [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]


def nok_per(sandbox, currency, day):
    """What the pipeline must use: Norges Bank's rate of the day, else of the last publication day."""
    if currency == "NOK":
        return 1.0
    while not is_publication_day(day):
        day -= dt.timedelta(days=1)
    return round(sandbox.advertiser.fx_rate(day, currency, "NOK"), 4)


def cents(value):
    return round(value + 0.0, 2)


def expected_roi(sandbox, window, staff_period, tools_period, tools_campaign):
    """Campaign totals in NOK computed from the advertiser's own figures, independently of the pipeline."""
    advertiser = sandbox.advertiser
    campaigns = advertiser.meta_campaigns + advertiser.linkedin_campaigns
    spend, other, revenue = defaultdict(float), defaultdict(float), defaultdict(float)
    for day in days(*window):
        spend_nok = {}
        for campaign in campaigns:
            truth = advertiser.campaign_day(campaign, day)
            if truth is None:
                continue
            currency = advertiser.account(campaign.account_id).currency
            spend_nok[campaign.id] = truth.spend * nok_per(sandbox, currency, day)
            spend[campaign.id] += cents(truth.spend * nok_per(sandbox, currency, day))
        if staff_period[0] <= day <= staff_period[1]:
            linkedin = {c.id: spend_nok[c.id] for c in advertiser.linkedin_campaigns if c.id in spend_nok}
            for campaign_id, amount in linkedin.items():
                other[campaign_id] += cents(1600.0 * amount / sum(linkedin.values()))
        if tools_period[0] <= day <= tools_period[1]:
            other[tools_campaign.id] += cents(20.0 * nok_per(sandbox, "EUR", day))
        for row in advertiser.ga4_rows(day):
            for campaign in campaigns:
                if campaign.utm_campaign and campaign.utm_campaign == row["sessionCampaignName"]:
                    revenue[campaign.id] += row["totalRevenue"]
    return spend, other, revenue


def test_roi_per_campaign_and_channel_in_the_reporting_currency_matches_a_hand_computation_to_the_cent(pipeline_env, instance, sandbox, window, write_config):
    staff_period = (window[0], window[0] + dt.timedelta(days=9))
    tools_period = (window[0] + dt.timedelta(days=2), window[0] + dt.timedelta(days=6))
    black_friday = next(c for c in sandbox.advertiser.meta_campaigns if c.name.startswith("Black Friday"))
    write_config("SOCIAL_ROI_COST_LEDGER", LEDGER_HEADER
                 + f"S1,staff_time,linkedin,,{staff_period[0]},{staff_period[1]},,NOK,20,800,community manager\n"
                 + f"T1,tools,meta,{black_friday.id},{tools_period[0]},{tools_period[1]},100,EUR,,,scheduling tool\n")

    assert run_sync(*window, instance=instance).success

    spend, other, revenue = expected_roi(sandbox, window, staff_period, tools_period, black_friday)
    rows = query(pipeline_env, "select campaign_id, spend, other_costs, total_cost, ga4_revenue, roas, roi, reporting_currency from marts.roi_by_campaign where campaign_id is not null")
    assert {row[0] for row in rows} == set(spend)
    for campaign_id, loaded_spend, loaded_other, total, ga4_revenue, roas, roi, currency in rows:
        assert currency == "NOK"
        assert float(loaded_spend) == pytest.approx(spend[campaign_id], abs=0.005)
        assert float(loaded_other) == pytest.approx(other[campaign_id], abs=0.005)
        assert float(total) == pytest.approx(spend[campaign_id] + other[campaign_id], abs=0.005)
        assert float(ga4_revenue) == pytest.approx(revenue[campaign_id], abs=0.005)
        assert roas == pytest.approx(float(ga4_revenue) / float(loaded_spend))
        assert roi == pytest.approx((float(ga4_revenue) - float(total)) / float(total))
    by_channel = {channel: (float(total), roi) for channel, total, roi in query(pipeline_env, "select channel, total_cost, roi from marts.roi_by_channel where spend > 0")}
    linkedin_ids = {c.id for c in sandbox.advertiser.linkedin_campaigns}
    linkedin_total = sum(spend[c] + other[c] for c in linkedin_ids if c in spend)
    assert by_channel["linkedin"][0] == pytest.approx(linkedin_total, abs=0.01)
    assert linkedin_total > sum(spend[c] for c in linkedin_ids if c in spend) + 15_000, "staff time is in the total cost"


def test_a_missing_exchange_rate_fails_the_build_naming_the_currency_and_days(pipeline_env, instance, window, monkeypatch):
    monkeypatch.delenv("SOCIAL_ROI_FX_CURRENCIES")  # no official rates fetched, none in the seed

    result = run_sync(window[0], window[0] + dt.timedelta(days=2), instance=instance, raise_on_error=False)

    assert not result.success
    message = "\n".join(e.event_specific_data.error.message for e in result.all_events if e.is_step_failure)
    assert f"No exchange rate into NOK for EUR on {window[0]}" in message
    assert "fx_rates.csv" in message and "SOCIAL_ROI_FX_CURRENCIES" in message


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        ("B1,tools,meta,,2026-11-10,2026-11-01,100,NOK,,,oops", "period_end 2026-11-01 is before period_start 2026-11-10"),
        ("B2,tools,tiktok,,2026-11-01,2026-11-10,100,NOK,,,new channel", "channel 'tiktok' is unknown"),
        ("B3,staff_time,meta,,2026-11-01,2026-11-10,,NOK,-5,700,typo", "hours is negative"),
    ],
)
def test_a_bad_cost_ledger_row_fails_with_a_message_naming_the_row(pipeline_env, instance, window, write_config, row, complaint):
    write_config("SOCIAL_ROI_COST_LEDGER", LEDGER_HEADER + row + "\n")

    result = run_sync(window[0], window[0], instance=instance, raise_on_error=False)

    assert not result.success
    message = "\n".join(e.event_specific_data.error.message for e in result.all_events if e.is_step_failure)
    assert f"Cost ledger row {row.split(',')[0]}" in message and complaint in message


def test_no_table_sums_reach_without_saying_so(pipeline_env, instance, window):
    assert run_sync(window[0], window[0] + dt.timedelta(days=1), instance=instance).success

    reach_columns = {name for (name,) in query(pipeline_env, "select distinct column_name from information_schema.columns where table_schema = 'marts' and column_name like '%reach%'")}

    assert reach_columns == {"reach_daily", "reach_sum_of_daily_upper_bound", "engagement_rate_by_daily_reach"}


def test_kpi_targets_show_actual_against_target(pipeline_env, instance, window, write_config):
    write_config("SOCIAL_ROI_KPI_TARGETS", TARGETS_HEADER
                 + f"K1,spend,meta,,{window[0]},{window[1]},1,at_least,spend something\n"
                 + f"K2,cpc_link,linkedin,,{window[0]},{window[1]},0.01,at_most,impossible\n")

    assert run_sync(*window, instance=instance).success

    rows = {row[0]: row[1:] for row in query(pipeline_env, "select target_id, actual_value, status from marts.kpi_progress")}
    meta_spend = query(pipeline_env, "select sum(spend_reporting) from marts.cost_daily where channel = 'meta'")[0][0]
    assert rows["K1"] == (pytest.approx(float(meta_spend)), "met")
    assert rows["K2"][1] == "not met"


def test_any_window_is_one_query_away(pipeline_env, instance, window):
    assert run_sync(*window, instance=instance).success

    middle = window[0] + dt.timedelta(days=3), window[0] + dt.timedelta(days=6)
    between = query(pipeline_env, "select channel, spend from marts.roi_by_channel_between(?, ?) where spend > 0 order by channel", *middle)
    by_hand = query(pipeline_env, "select channel, sum(spend_reporting) from marts.cost_daily where date_day between ? and ? group by 1 having sum(spend_reporting) > 0 order by 1", *middle)

    assert between == by_hand

"""The report holds its own period's figures only, and says plainly what the figures cannot show:
KPI targets measured up to the report's last day, the unmatched table over the report's days, and
spend whose clicks reached no GA4 session named as a tracking problem.

Reports are built from the session's settled sync (read-only); expected figures are summed here
from the daily marts with SQL of the test's own."""

import datetime as dt
import html
import re

import pytest
from babel.numbers import format_decimal

from conftest import (
    FOLLOWER_QUARTER,
    LEAD_VALUE_NOK,
    ORGANIC_WINDOW,
    QUARTER,
    REGISTRATION_CLOSE_RATE,
    REGISTRATION_DEAL_EUR,
)
from pipelines.report import build_report
from pipelines.report.figures import read_figures
from warehouse_sql import query

pytestmark = pytest.mark.calendar


@pytest.fixture(scope="module")
def first_week(settled):
    """The settled sync's first eight days: a period that ends before the data does."""
    start = settled.window[0]
    return start, start + dt.timedelta(days=7)


def text_of(report_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", report_html))


def test_the_unmatched_table_counts_the_reports_own_days_only(settled, first_week):
    start, end = first_week
    [(awareness_spend, awareness_clicks)] = query(
        settled.warehouse,
        "select sum(c.spend), sum(c.link_clicks) from marts.cost_daily as c "
        "join intermediate.int_ad_campaigns as a using (channel, campaign_id) "
        "where a.campaign_name like 'Brand Awareness%' and c.date_day between ? and ?",
        start,
        end,
    )

    figures = read_figures(settled.warehouse, start, end)

    [row] = [row for row in figures.unmatched if row["campaign_or_utm"].startswith("Brand Awareness")]
    assert row["spend"] == awareness_spend and row["link_clicks"] == awareness_clicks
    assert (row["first_day"], row["last_day"]) == (start, end), "not the days after the period"


def test_a_kpi_target_that_runs_past_the_period_is_measured_up_to_the_periods_last_day(settled, first_week):
    start, end = first_week
    [(meta_spend,)] = query(
        settled.warehouse,
        "select sum(spend_reporting) from marts.cost_daily where channel = 'meta' and date_day between ? and ?",
        QUARTER[0],
        end,
    )

    figures = read_figures(settled.warehouse, start, end)

    q1 = next(row for row in figures.kpi if row["target_id"] == "Q1")  # meta spend over a running quarter
    assert q1["actual_value"] == pytest.approx(float(meta_spend))
    assert q1["days_elapsed"] == (end - QUARTER[0]).days + 1 and q1["data_until"] == end
    assert q1["status"] in ("on_track", "at_risk"), "the quarter runs on past the report's end"
    report = text_of(build_report(settled.warehouse, start, end, locale="en").html)
    assert f"({(end - QUARTER[0]).days + 1} of {(QUARTER[1] - QUARTER[0]).days + 1} days)" in report


def test_spend_whose_clicks_reached_no_ga4_session_is_reported_as_a_tracking_problem(settled, window_report):
    start, end = settled.window
    untracked = query(
        settled.warehouse,
        "select a.campaign_name, sum(c.spend_reporting), sum(c.link_clicks) from marts.cost_daily as c "
        "join intermediate.int_ad_campaigns as a using (channel, campaign_id) "
        "where c.date_day between ? and ? and c.spend > 0 and c.campaign_id not in ("
        "  select campaign_id from marts.ga4_traffic_by_campaign"
        "  where campaign_id is not null and sessions > 0 and date_day between ? and ?) "
        "group by all",
        start,
        end,
        start,
        end,
    )
    [(all_spend,)] = query(
        settled.warehouse,
        "select sum(spend_reporting) from marts.cost_daily where date_day between ? and ? and channel in ('meta', 'linkedin')",
        start,
        end,
    )
    assert {name.split(" 2")[0] for name, _, _ in untracked} == {"Brand Awareness", "Employer Branding"}
    spend = sum(amount for _, amount, _ in untracked)

    report = window_report("nb").html

    [notice] = re.findall(r'<p class="notice" id="tracking-problem">(.*?)</p>', report, re.S)
    notice = html.unescape(notice)
    assert format_decimal(spend, "#,##0.00", locale="nb") + "\N{NO-BREAK SPACE}kr" in notice
    assert format_decimal(sum(clicks for *_, clicks in untracked), locale="nb") + " lenkeklikk" in notice
    assert (
        f"({format_decimal(spend / all_spend * 100, '0.0', locale='nb')}\N{NO-BREAK SPACE}% av annonsekjøpet)" in notice
    )
    for name, _, _ in untracked:
        assert html.escape(name) in notice or name in notice
    assert report.count("sporing mangler") == len(untracked), "each untracked campaign's row says so"


def audience_row(report_html: str, network: str) -> str:
    audience = html.unescape(re.search(r'<section id="audience">.*?</section>', report_html, re.S)[0])
    return re.search(rf"<tr><td>{network}</td>(.*?)</tr>", audience, re.S)[1]


def test_linkedins_engagement_per_follower_sets_the_whole_periods_engagements_against_its_followers(settled):
    start, end = ORGANIC_WINDOW
    rates = query(
        settled.warehouse,
        "select sum(engagements) / (count(engagements) * avg(followers)), count(followers) from marts.audience_daily"
        " where network = 'linkedin' and date_day between ? and ? group by account_id",
        start,
        end,
    )
    assert all(counted < (end - start).days for _, counted in rates), "LinkedIn counts followers on snapshot days only"
    [(whole_period,)] = query(
        settled.warehouse,
        "select sum(e) / sum(d) from (select sum(engagements) as e, count(engagements) * avg(followers) as d"
        " from marts.audience_daily where network = 'linkedin' and date_day between ? and ? group by account_id)",
        start,
        end,
    )

    figures = read_figures(settled.warehouse, start, end)

    [linkedin] = [row for row in figures.audience if row["network"] == "linkedin"]
    assert linkedin["engagement_rate_by_followers"] == pytest.approx(whole_period)
    row = audience_row(build_report(settled.warehouse, start, end, locale="en").html, "LinkedIn")
    assert "unfollows are not reported" in row, "its growth says why it is unknown"


def test_instagram_growth_is_one_figure_in_the_follower_table_and_the_kpi_block(settled):
    """F1 (conftest) is Instagram's follower growth over a quarter that began the day after the
    organic window's first day; a report over the same days shows the same growth in both places,
    and one over the window from its first day works its eve back from that day's net change."""
    start, end = FOLLOWER_QUARTER[0], ORGANIC_WINDOW[1]

    figures = read_figures(settled.warehouse, start, end)

    [instagram] = [row for row in figures.audience if row["network"] == "instagram"]
    [f1] = [row for row in figures.kpi if row["target_id"] == "F1"]
    assert instagram["follower_growth_rate"] == pytest.approx(f1["actual_value"])
    from_first_day = read_figures(settled.warehouse, ORGANIC_WINDOW[0], end)
    [instagram] = [row for row in from_first_day.audience if row["network"] == "instagram"]
    [(first_day_start,)] = query(
        settled.warehouse,
        "select sum(followers - net_follower_growth) from marts.audience_daily where network = 'instagram' and date_day = ?",
        ORGANIC_WINDOW[0],
    )
    assert instagram["followers_start"] == first_day_start and instagram["followers_basis"] == "derived_from_snapshot"
    row = audience_row(build_report(settled.warehouse, ORGANIC_WINDOW[0], end, locale="en").html, "Instagram")
    assert "with daily follows and unfollows" in row and "unknown" not in row


def notes_of(report_html: str) -> list[str]:
    notes = re.search(r'<ul class="notes">(.*?)</ul>', report_html, re.S)[1]
    return [html.unescape(note) for note in re.findall(r"<li>(.*?)</li>", notes, re.S)]


def test_the_data_notes_name_each_agreed_value_used_and_they_add_up_to_the_headlines(settled, window_report):
    start, end = settled.window
    figures = read_figures(settled.warehouse, start, end)

    assert {row["value_id"] for row in figures.conversion_values} == {"V1", "V2", "V3"}
    assert sum(row["value"] for row in figures.conversion_values) == figures.totals["valued_conversions_value"]
    [note] = [note for note in notes_of(window_report("en").html) if "V1" in note]
    assert f"(V1): NOK{LEAD_VALUE_NOK:,.2f} per conversion" in note
    assert f"(V3): {REGISTRATION_CLOSE_RATE * 100:.1f}% become customers at €{REGISTRATION_DEAL_EUR:,.2f}" in note
    assert "(V2): the value GA4 recorded on the event" in note


def test_the_ledgers_costs_in_the_data_notes_add_up_to_the_headlines_other_costs(settled, window_report):
    start, end = settled.window
    figures = read_figures(settled.warehouse, start, end)

    assert sum(row["amount"] for row in figures.ledger_costs) == pytest.approx(
        float(figures.totals["other_costs"]), abs=0.05
    )
    notes = notes_of(window_report("nb").html)
    [ledger] = [note for note in notes if note.startswith("Andre kostnader fra kostnadsloggen")]
    assert "LinkedIn betalt, arbeidstid" in ledger and "Meta betalt, verktøy" in ledger
    assert any("sett SOCIAL_ROI_REVENUE_VAT" in note for note in notes), "VAT not set: the report says so"


def test_the_trend_shows_each_month_of_the_last_six_with_data_up_to_the_reports_end(settled, window_report):
    start, end = settled.window
    by_month = dict(
        query(
            settled.warehouse,
            "select date_trunc('month', date_day)::date, sum(total_cost_reporting) from marts.cost_daily"
            " where channel in ('meta', 'linkedin') and date_day between ? and ? group by all",
            start - dt.timedelta(days=200),
            end,
        )
    )

    figures = read_figures(settled.warehouse, start, end)

    assert [row["month_start"] for row in figures.trend] == sorted(by_month)
    for row in figures.trend:
        assert row["total_cost"] == by_month[row["month_start"]]
        assert row["month_end"] <= end
    report = window_report("en").html
    assert len(
        re.findall(r"<tr><td>\w{3} \d{4}", re.search(r'<table id="trend-table">.*?</table>', report, re.S)[0])
    ) == len(by_month)


def test_provisional_days_are_marked_on_the_figures_they_touch_with_the_money_they_hold(settled, window_report):
    start, end = settled.window
    figures = read_figures(settled.warehouse, start, end)
    [meta] = [row for row in figures.channels if (row["channel"], row["media_type"]) == ("meta", "paid")]
    days = meta["provisional_days"]
    assert days > 0, "the settled window ends on the last loaded day, inside Meta's restatement window"
    [(cost,)] = query(
        settled.warehouse,
        "select sum(total_cost_reporting) from marts.cost_daily"
        " where channel = 'meta' and media_type = 'paid' and date_day > ? and date_day <= ?",
        end - dt.timedelta(days=days),
        end,
    )

    report = window_report("en").html

    [note] = [note for note in notes_of(report) if note.startswith("Meta: the last")]
    assert f"Meta: the last {days} days" in note and f"They hold NOK{cost:,.2f} of total cost" in note
    channel_table = html.unescape(re.search(r'<table id="channel-table">.*?</table>', report, re.S)[0])
    assert f'Meta paid<br><span class="muted provisional">provisional: {days} days may still change' in channel_table
    assert 'id="headline-provisional"' in report
    assert "(provisional from " in report, "the daily chart says from which day"


def test_each_roi_dash_says_why_there_is_no_roi(settled, window_report):
    start, end = settled.window

    report = text_of(window_report("en").html)

    assert "– (no tracked traffic)" in report, "the untracked awareness campaigns"
    assert "– (no cost to divide by)" in report, "an organic row no ledger cost is booked to"
    assert "– (no data)" in report, "the previous period, before the warehouse's first day"

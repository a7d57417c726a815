"""The report as a controller and a boss read it: each table on one cost basis named in its
header, campaigns ranked by ROI with the losers named, cost per result by channel, Norwegian words
as Norwegians use them, and KPI targets that say what they cover.

Reports are built from the session's settled sync (read-only); expected figures come from the ROI
tables' table macros or the daily marts, read here with SQL of the test's own."""

import datetime as dt
import html
import re

import duckdb
import pytest
from babel.numbers import format_currency

from conftest import copy_of_settled
from connectors.sandbox.demo_plans import write_demo_plans
from pipelines.report import build_report
from warehouse_sql import query

pytestmark = pytest.mark.calendar


def table(report_html: str, table_id: str) -> str:
    return html.unescape(re.search(rf'<table id="{table_id}">.*?</table>', report_html, re.S)[0])


def header(table_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", table_html, re.S)]


def heading_before(report_html: str, table_id: str) -> str:
    before = report_html[: report_html.index(f'<table id="{table_id}">')]
    return html.unescape(re.findall(r"<h3>(.*?)</h3>", before)[-1])


@pytest.fixture(scope="module")
def english(window_report):
    return window_report("en").html


def test_each_money_table_says_which_cost_it_divides_by_and_mixes_no_other(english):
    assert heading_before(english, "channel-table") == "Profitability by channel, on total cost"
    assert heading_before(english, "channel-cost-table") == "Cost per result by channel, on media spend (paid traffic)"
    assert heading_before(english, "campaign-table").startswith("Profitability, on total cost")
    assert heading_before(english, "campaign-cost-table") == "Cost per result, on media spend"
    # ROI (on total cost) and cost per conversion (on spend) never stand in one table
    for table_id in ("channel-table", "campaign-table"):
        assert not any(column.startswith(("Cost per", "ROAS")) for column in header(table(english, table_id)))
    for table_id in ("channel-cost-table", "campaign-cost-table"):
        assert not any(column.startswith("ROI") for column in header(table(english, table_id)))


def test_campaigns_are_ranked_by_roi_and_those_that_lost_money_are_named_worst_first(settled, english):
    start, end = settled.window
    rows = query(
        settled.warehouse,
        "select campaign_name, roi from marts.roi_by_campaign_between(?, ?)"
        " where campaign_id is not null and roi is not null and verdict_basis <> 'awareness' order by roi desc",
        start,
        end,
    )
    losers = [name for name, roi in rows if roi < 0]
    assert losers, "the settled advertiser has campaigns that lose money"

    campaign_names = re.findall(r"<tr[^>]*><td>(.*?)<br>", table(english, "campaign-table"))
    ranked = [name for name in campaign_names if name in {n for n, _ in rows}]
    assert ranked == [name for name, _ in rows if name in ranked], "best ROI first"
    named = html.unescape(re.search(r'<p id="losers"><strong>(.*?)</strong>', english, re.S)[1])
    assert [name for name in losers[::-1] if name in named] == losers[::-1]
    assert named.index(losers[-1]) < named.index(losers[0]), "the worst first"
    top = table(english, "top-by-roi")
    assert not any(name in top for name in losers), "the top list holds only campaigns that made money"


def test_cost_per_purchase_and_per_lead_are_shown_for_each_paid_channel_on_ad_spend(settled, english):
    start, end = settled.window
    expected = query(
        settled.warehouse,
        "select channel, cpa_purchase, cpl from marts.roi_by_channel_between(?, ?) where media_type = 'paid'",
        start,
        end,
    )

    costs = table(english, "channel-cost-table")

    for channel, cpa_purchase, cpl in expected:
        row = re.search(rf"<tr><td>{channel_label(channel)}</td>(.*?)</tr>", costs, re.S)[1]
        for amount in (cpa_purchase, cpl):
            if amount is not None:
                assert format_currency(amount, "NOK", locale="en") in row


def channel_label(channel: str) -> str:
    return {"meta": "Meta", "linkedin": "LinkedIn"}[channel]


def test_the_norwegian_report_uses_norwegian_words_for_goals_channels_and_ga4(window_report):
    report = html.unescape(window_report("nb").html)
    body = re.sub(r"<svg.*?</svg>", "", report.split("<body>", 1)[1], flags=re.S)
    body = re.sub(r'<table id="kpi">.*?</table>', "", body, flags=re.S)  # the targets' notes are the user's own words
    text = re.sub(r"<[^>]+>", " ", body)

    assert "Kostnad per registrering" in text and "Kostnad per påmelding" in text and "Kostnad per kundeemne" in text
    assert "GA4-egenskapens" in text and "eiendommens" not in text
    assert "Engasjement per person nådd" in text
    for english_word in ("Email", "Referral", "leads", "avkastning", "awareness"):
        assert not re.search(rf"\b{english_word}\b", text), english_word


def test_a_kpi_target_on_ga4_figures_over_all_channels_says_it_covers_the_whole_website(settled, work_directory):
    copy = copy_of_settled(settled, work_directory)
    start, end = settled.window
    with duckdb.connect(str(copy)) as connection:
        connection.execute(
            "insert into marts.kpi_progress (target_id, metric, channel, period_start, period_end, target_value, direction)"
            " values ('site', 'ga4_revenue', 'all channels', ?, ?, 1000, 'at_least')",
            [start, end],
        )

    report = build_report(copy, start, end, locale="en").html

    row = re.search(r"<tr><td>site</td>(.*?)</tr>", table(report, "kpi"), re.S)[1]
    assert "the whole website (all channels, not only social media)" in row


def test_the_demos_lead_target_measures_cost_per_lead(tmp_path):
    files = write_demo_plans(tmp_path, dt.date(2026, 11, 1), dt.date(2026, 11, 30))

    targets = (tmp_path / "demo_kpi_targets.csv").read_text(encoding="utf-8").splitlines()

    assert files["SOCIAL_ROI_KPI_TARGETS"].endswith("demo_kpi_targets.csv")
    lead_targets = [line for line in targets if "kundeemne" in line]
    assert lead_targets and all(line.split(",")[1] == "cpl" for line in lead_targets)

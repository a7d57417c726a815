"""Every money figure of the monthly report, recomputed from the raw tables: the report must print
what the platforms' own rows, Norges Bank's rates and the user's files add up to.

The recomputation (tests/report_recomputed.sql) reads only `raw.*`, the files the settled sync ran
with (cost ledger, conversion values, and the mappings channel_mapping, campaign_mapping and
conversion_goals); it never reads a staging model, an
intermediate model, a mart or the report's queries. It applies the rules DECISIONLOG.md documents,
written anew: the day's Norges Bank rate (the latest at most 7 days old), money rounded to the cent
per campaign-day, the ledger spread evenly over its days and by spend share, GA4 traffic matched to
campaigns by its tags, GA4 key events valued by the conversion values file.

Compared, as the reader sees them (Babel's formats, nb and en), for two periods (the settled
sync's whole window, and its last 7 days, which hold provisional days and whose previous period
has data):
- the headline cards: total cost (with ad spend and other costs in its hint), observed revenue,
  valued conversions, their sum (with both parts in its hint), ROI on revenue, ROI with agreed
  value, ROAS of paid traffic (with organic revenue in its hint), and each card's previous period;
- the channel profitability table (`channel-table`): total cost, revenue, valued conversions, both
  ROIs, and the previous period's ROI, per channel and media type;
- the channel cost-per-result table (`channel-cost-table`): spend, ROAS, the cost per purchase,
  lead, sign-up and registration (on GA4's counts), CPC and CPM;
- the campaign profitability table (`campaign-table`): spend, other costs, total cost, revenue,
  valued conversions and both ROIs per campaign.

Not compared here: the changes between periods (arithmetic on figures compared here), which
rows are flagged provisional, and the other sections (KPI targets, the campaign cost-per-result,
awareness, funnel, claims and top-campaign tables, the audience): the platforms' own conversion
claims, engagement and reach are not recomputed.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
import unicodedata
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from babel import Locale
from babel.numbers import format_currency, format_decimal, get_minus_sign_symbol

from pipelines.report import build_report, previous_period
from pipelines.report.labels import CODES, LABELS, channel_name

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar

LOCALES = ("nb", "en")
RECOMPUTATION = Path(__file__).with_name("report_recomputed.sql")
# The periods reported on, from the settled sync's window: all of it (its previous period holds the
# organic pages' days only), and its last week (days still provisional; its previous week holds part
# of each ledger entry).
PERIODS = {
    "whole window": lambda window: window,
    "last 7 days": lambda window: (window[1] - dt.timedelta(days=6), window[1]),
}
GOALS = ("purchases", "leads", "sign_ups", "registrations")  # the cost-per-result table's goal columns, in order
# How the warehouse names the campaign row of costs and traffic no campaign carries.
NO_CAMPAIGN = "(no campaign: unallocated costs, unmatched traffic)"
ZERO = Decimal("0.00")


def utm_key(text: str | None, long: bool) -> str | None:
    """A campaign name or UTM tag as it is matched (DECISIONLOG.md, "Norwegian campaign names match
    their UTM tags"): lower case, apostrophes dropped, æ ø å written ae o a (or ae oe aa), other
    accents stripped, every run of other characters one `_`."""
    if text is None:
        return None
    text = re.sub("['’`´]", "", text.strip().lower())
    for letter, spelled in (("æ", "ae"), ("ø", "oe" if long else "o"), ("å", "aa" if long else "a")):
        text = text.replace(letter, spelled)
    text = "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))
    return re.sub("[^a-z0-9]+", "_", text).strip("_")


@dataclasses.dataclass
class Row:
    """One row of sums: a channel × media type, a campaign, or all social."""

    spend: Decimal = ZERO
    other_costs: Decimal = ZERO
    revenue: Decimal = ZERO
    valued: Decimal = ZERO
    sessions: int = 0
    impressions: int = 0
    link_clicks: int = 0
    goals: dict[str, float] = dataclasses.field(default_factory=lambda: dict.fromkeys(GOALS, 0.0))

    @property
    def total_cost(self) -> Decimal:
        return self.spend + self.other_costs

    @property
    def untracked(self) -> bool:
        """Spend no GA4 session followed: its return is unknown, so it has no ROI."""
        return self.spend > 0 and self.sessions == 0

    def roi(self, with_agreed_value: bool) -> float | None:
        if self.untracked or not self.total_cost:
            return None
        returned = self.revenue + (self.valued if with_agreed_value else 0)
        return float(returned - self.total_cost) / float(self.total_cost)

    def roi_reason(self) -> str:
        return "no_tracked_traffic" if self.untracked else "no_cost"

    def add(self, facts: dict) -> None:
        self.spend += facts["spend"] or 0
        self.other_costs += facts["other_costs"] or 0
        self.revenue += facts["revenue"] or 0
        self.valued += facts["valued"] or 0
        self.sessions += int(facts["ga4_sessions"] or 0)
        self.impressions += int(facts["impressions"] or 0)
        self.link_clicks += int(facts["link_clicks"] or 0)
        for goal in GOALS:
            self.goals[goal] += facts[goal] or 0


@dataclasses.dataclass
class Recomputed:
    channels: dict[tuple[str, str], Row]  # (channel, media type) → sums, the ad channels' rows
    campaigns: dict[tuple[str, str | None], tuple[str, Row]]  # (channel, campaign id) → name, sums

    @property
    def social(self) -> Row:
        return _summed(self.channels.values())

    @property
    def paid(self) -> Row:
        return _summed(row for (_, media_type), row in self.channels.items() if media_type == "paid")


def _summed(rows) -> Row:
    total = Row()
    for row in rows:
        total.spend += row.spend
        total.other_costs += row.other_costs
        total.revenue += row.revenue
        total.valued += row.valued
        total.sessions += row.sessions
    return total


def recompute(connection: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> Recomputed:
    """The period's rows of the ad channels (meta, linkedin), summed per channel × media type and
    per campaign; a campaign is named as on its latest day in the period."""
    cursor = connection.execute(
        "select * from recomputed_facts where date_day between ? and ? and channel in ('meta', 'linkedin')",
        [start, end],
    )
    names = [column[0] for column in cursor.description]
    facts = [dict(zip(names, values)) for values in cursor.fetchall()]
    channels: dict[tuple[str, str], Row] = {}
    campaigns: dict[tuple[str, str | None], Row] = {}
    latest_name: dict[tuple[str, str | None], tuple[dt.date, str]] = {}
    for fact in facts:
        channels.setdefault((fact["channel"], fact["media_type"]), Row()).add(fact)
        if fact["organic_pages"]:
            continue
        key = (fact["channel"], fact["campaign_id"])
        campaign = campaigns.setdefault(key, Row())
        # a campaign is bought media: only its paid traffic's revenue and conversions are its return
        if fact["media_type"] == "paid":
            campaign.add(fact)
        if fact["campaign_name"] and fact["date_day"] >= latest_name.get(key, (dt.date.min, ""))[0]:
            latest_name[key] = (fact["date_day"], fact["campaign_name"])
    named = {key: (latest_name.get(key, (None, NO_CAMPAIGN))[1], row) for key, row in campaigns.items()}
    return Recomputed(channels, named)


@pytest.fixture(scope="module")
def raw_sums(settled):
    """The settled warehouse's raw tables and the sync's files, summed per day by the test's own SQL."""
    with duckdb.connect(str(settled.warehouse), read_only=True) as connection:
        connection.create_function("utm_key", utm_key, [str, bool], str)
        parameters = {
            "ledger": settled.env["SOCIAL_ROI_COST_LEDGER"],
            "conversion_values": settled.env["SOCIAL_ROI_CONVERSION_VALUES"],
            "channel_mapping": settled.env["SOCIAL_ROI_CHANNEL_MAPPING"],
            "campaign_mapping": settled.env["SOCIAL_ROI_CAMPAIGN_MAPPING"],
            "conversion_goals": settled.env["SOCIAL_ROI_CONVERSION_GOALS"],
        }
        for statement in RECOMPUTATION.read_text(encoding="utf-8").split(";\n"):
            code = re.sub("--[^\n]*", "", statement)  # the comments name parameters too
            connection.execute(code, {name: value for name, value in parameters.items() if f"${name}" in code})
        yield connection


class Page(HTMLParser):
    """The report's headline cards and its tables (by id), as text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: list[dict[str, list[str]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._card_depth = 0
        self._field: str | None = None
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "div" and self._card_depth:
            self._card_depth += 1
            self._field = attributes.get("class") or ""
            self.cards[-1].setdefault(self._field, []).append("")
        elif tag == "div" and attributes.get("class") == "card":
            self._card_depth = 1
            self.cards.append({})
        elif tag == "table" and (table_id := attributes.get("id")):
            self._table = table_id
            self.tables[table_id] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag == "td":
            self._cell = []
        elif self._cell is not None and tag == "br":
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "div" and self._card_depth:
            self._card_depth -= 1
            self._field = None
        elif tag == "table":
            self._table = None
        elif tag == "td" and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._card_depth > 1 and self._field:
            self.cards[-1][self._field][-1] += data
        elif self._cell is not None:
            self._cell.append(data)

    def body_rows(self, table: str) -> list[list[str]]:
        """The table's rows with cells (the header row has none)."""
        return [row for row in self.tables[table] if row]


@dataclasses.dataclass
class Printed:
    """One report as printed, the figures recomputed for its period and for the period before, and
    the reader's formats (Babel's, with the locale's own minus sign: U+2212 in nb)."""

    locale: str
    page: Page
    expected: Recomputed
    previous: Recomputed

    @property
    def words(self) -> dict[str, str]:
        return LABELS[self.locale]

    def headline(self) -> dict[str, dict[str, list[str]]]:
        """The cards by label: the first of each, the headline's (other sections may show cards too)."""
        cards: dict[str, dict[str, list[str]]] = {}
        for card in self.page.cards:
            cards.setdefault(card["label"][0].strip(), card)
        return cards

    def money(self, value) -> str:
        return self._minus(format_currency(value, "NOK", locale=self.locale))

    def percent(self, value) -> str:
        if value is None:
            return self.words["none"]
        pattern = copy.copy(Locale.parse(self.locale).percent_formats[None])
        pattern.frac_prec = (1, 1)
        return self._minus(pattern.apply(value, Locale.parse(self.locale)))

    def quotient(self, numerator: Decimal, denominator: Decimal) -> str:
        """A ratio such as ROAS, two decimals: none where the denominator is 0."""
        if not denominator:
            return self.words["none"]
        return self._minus(format_decimal(float(numerator) / float(denominator), format="#,##0.00", locale=self.locale))

    def per(self, amount: Decimal, count: float, scale: int = 1) -> str:
        """A cost per something, in money: none where nothing was counted."""
        return self.money(float(amount) / count * scale) if count else self.words["none"]

    def roi(self, row: Row | None, with_agreed_value: bool = True) -> str:
        """An ROI as the tables print it: the percentage, or "–" and why there is none."""
        if row is None:
            return f"{self.words['none']} ({CODES[self.locale]['roi_null_reason']['no_data']})"
        value = row.roi(with_agreed_value)
        if value is not None:
            return self.percent(value)
        return f"{self.words['none']} ({CODES[self.locale]['roi_null_reason'][row.roi_reason()]})"

    def _minus(self, text: str) -> str:
        if text.startswith("-") and any(digit in text for digit in "123456789"):
            return get_minus_sign_symbol(self.locale) + text[1:]
        return text.removeprefix("-")

    def hint_parts(self, key: str, hint: str) -> dict[str, str]:
        """The figures a card's hint names, read back through its label's own wording."""
        pattern = re.escape(self.words[key])
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", pattern)
        match = re.fullmatch(pattern, hint.strip())
        assert match, f"the {key} card's hint {hint!r} does not read as {self.words[key]!r}"
        return match.groupdict()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("period", PERIODS)
def test_every_money_figure_the_report_prints_is_what_the_raw_rows_add_up_to(
    settled, window_report, raw_sums, period, locale
):
    start, end = PERIODS[period](settled.window)
    whole_window = (start, end) == settled.window
    report = window_report(locale) if whole_window else build_report(settled.warehouse, start, end, locale=locale)
    printed = Printed(
        locale,
        Page(report.html),
        recompute(raw_sums, start, end),
        recompute(raw_sums, *previous_period(start, end)),
    )

    # every section at once, so that a difference shows with all the others
    shown, expected = {}, {}
    for section in (headline_cards, headline_hints, channel_table, channel_cost_table, campaign_table):
        shown[section.__name__], expected[section.__name__] = section(printed)
    assert shown == expected


# Each section: (what the report prints, what the raw rows give), as the reader's text.


def headline_cards(printed: Printed) -> tuple[dict, dict]:
    """Each card's figure for the period, and the previous period's beside it (before its change)
    when that period has any row."""
    social, paid, before = printed.expected.social, printed.expected.paid, printed.previous.social
    words = printed.words
    roas = (paid.revenue, paid.spend)
    roas_before = (printed.previous.paid.revenue, printed.previous.paid.spend)
    figures = {
        "total_cost": (printed.money(social.total_cost), printed.money(before.total_cost)),
        "revenue_ga4": (printed.money(social.revenue), printed.money(before.revenue)),
        "valued_conversions": (printed.money(social.valued), printed.money(before.valued)),
        "return_value": (printed.money(social.revenue + social.valued), printed.money(before.revenue + before.valued)),
        "roi_on_revenue": (printed.roi(social, with_agreed_value=False), printed.percent(before.roi(False))),
        "roi": (printed.roi(social), printed.percent(before.roi(True))),
        "paid_roas": (printed.quotient(*roas), printed.quotient(*roas_before)),
    }
    cards = printed.headline()
    said = f"{words['previous']}: "
    shown = {
        key: (
            cards[words[key]]["value"][0].strip(),
            cards[words[key]]["compare"][0].strip().removeprefix(said).split(" (")[0],
        )
        for key in figures
        if words[key] in cards
    }
    if not printed.previous.channels:
        figures = {key: (value, words["no_previous"]) for key, (value, _) in figures.items()}
    return shown, figures


def headline_hints(printed: Printed) -> tuple[dict, dict]:
    """The parts the cards' hints name: ad spend and other costs, revenue and valued conversions,
    the organic revenue ROAS leaves out."""
    social, paid = printed.expected.social, printed.expected.paid
    words = printed.words
    cards = printed.headline()
    shown = {
        hint: printed.hint_parts(hint, cards[words[card]]["hint"][0])
        for card, hint in (
            ("total_cost", "total_cost_hint"),
            ("return_value", "return_value_hint"),
            ("paid_roas", "paid_roas_hint"),
        )
    }
    return shown, {
        "total_cost_hint": {"spend": printed.money(social.spend), "other": printed.money(social.other_costs)},
        "return_value_hint": {"revenue": printed.money(social.revenue), "valued": printed.money(social.valued)},
        "paid_roas_hint": {"organic": printed.money(social.revenue - paid.revenue)},
    }


def channel_table(printed: Printed) -> tuple[dict, dict]:
    """Per channel and media type: total cost, revenue, valued conversions, both ROIs, and the
    previous period's ROI."""
    words = printed.words
    expected = {
        f"{channel_name(channel)} {words[media_type]}": [
            printed.money(row.total_cost),
            printed.money(row.revenue),
            printed.money(row.valued),
            printed.roi(row, with_agreed_value=False),
            printed.roi(row),
            printed.roi(printed.previous.channels.get((channel, media_type))),
        ]
        for (channel, media_type), row in printed.expected.channels.items()
    }
    # the name's first line: a second says whether the row's last days are provisional
    return {row[0].split("\n")[0]: row[1:] for row in printed.page.body_rows("channel-table")}, expected


def channel_cost_table(printed: Printed) -> tuple[dict, dict]:
    """Per paid channel: spend, ROAS, the cost per purchase, lead, sign-up and registration (GA4's
    counts), CPC on link clicks and CPM."""
    expected = {
        channel_name(channel): [
            printed.money(row.spend),
            printed.quotient(row.revenue, row.spend),
            *[printed.per(row.spend, row.goals[goal]) for goal in GOALS],
            printed.per(row.spend, row.link_clicks),
            printed.per(row.spend, row.impressions, scale=1000),
        ]
        for (channel, media_type), row in printed.expected.channels.items()
        if media_type == "paid"
    }
    return {row[0]: row[1:] for row in printed.page.body_rows("channel-cost-table")}, expected


def campaign_table(printed: Printed) -> tuple[dict, dict]:
    """Per campaign (by name and channel): spend, other costs, total cost, revenue, valued
    conversions and both ROIs; the row of costs and traffic no campaign carries when it holds any."""
    expected = {
        (name, channel_name(channel)): [
            printed.money(row.spend),
            printed.money(row.other_costs),
            printed.money(row.total_cost),
            printed.money(row.revenue),
            printed.money(row.valued),
            printed.roi(row, with_agreed_value=False),
            printed.roi(row),
        ]
        for (channel, campaign_id), (name, row) in printed.expected.campaigns.items()
        if campaign_id is not None or row.total_cost or row.revenue or row.valued
    }
    shown = {}
    for cells in printed.page.body_rows("campaign-table"):
        name, details = cells[0].split("\n", 1)
        shown[(name.strip(), details.strip().split(" · ")[0])] = cells[1:]
    return shown, expected

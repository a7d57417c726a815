"""The synthetic advertiser: the one truth every sandbox platform reports, each in its own words.

A small agency client with its ad accounts, campaigns (CAMPAIGN_PLAN), what each campaign really did
each day (``campaign_day``), how far late conversions have arrived (``restatement_factor``) and the
day's exchange rates (``fx_rate``). How a platform words that truth lives beside its API:
``meta_figures.py`` (insights rows, action types, ad splits), ``linkedin_figures.py`` (adAnalytics
metrics), ``ga4_figures.py`` (sessions and revenue per source / medium / campaign, unpaid traffic).

The same seed always gives the same accounts, campaigns and daily figures, so tests can compare
what the pipeline loaded with what the advertiser "really" did. Figures depend only on
(seed, campaign, day) and on how far late conversions have been restated; they do not depend on
which API serves them or how the request is paged.

Campaign lifetimes are laid out relative to ``today`` so that "the last 30 days" always has
delivery, whatever day the demo runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import re

from connectors import clock

# Days whose conversions are still arriving: the platforms restate them on later syncs.
LATE_CONVERSION_DAYS = 3

# The campaign plan: (platform, account index, name, goal, status, utm source, utm medium, utm campaign).
# utm campaign: "slug" = the name normalised (the default match), "id" = the campaign id (matched by
# id), None = untracked (spend GA4 never sees), any other text = needs the campaign mapping seed.
# Ended campaigns: DELETED/ARCHIVED stopped two weeks ago, PAUSED a few days ago.
CAMPAIGN_PLAN = [
    ("meta", 0, "Black Friday {year} - Retargeting", "purchase", "ACTIVE", "facebook", "paid_social", "slug"),
    ("meta", 0, "Winter Sale {year} - Broad", "purchase", "ACTIVE", "ig", "cpc", "slug"),
    ("meta", 0, "Summer Clearance {year}", "purchase", "DELETED", "facebook", "paid_social", "slug"),
    ("meta", 0, "Brand Awareness {year} - Video", "purchase", "ACTIVE", None, None, None),
    ("meta", 1, "Newsletter Signup {year} - Lookalike", "lead", "ACTIVE", "fb", "paid_social", "id"),
    ("meta", 1, "New Collection {year} - Prospecting", "purchase", "ACTIVE", "facebook", "cpc", "nc-prospect-q4"),
    ("meta", 1, "Webinar Registrations {year} - Lookalike", "lead", "PAUSED", "m.facebook.com", "paid_social", "slug"),
    ("meta", 1, "Free Trial {year} - Retargeting", "lead", "ARCHIVED", "instagram", "paid_social", "slug"),
    ("linkedin", 0, "B2B Lead Gen {year} - Decision Makers", "lead", "ACTIVE", "linkedin", "cpc", "slug"),
    ("linkedin", 0, "Webinar Promotion {year} - IT Managers", "lead", "ACTIVE", "lnkd.in", "paid_social", "slug"),
    ("linkedin", 0, "Employer Branding {year}", "lead", "ACTIVE", None, None, None),
    ("linkedin", 0, "Product Launch {year} - Sponsored Content", "purchase", "PAUSED", "linkedin.com", "cpc", "slug"),
]

# Campaigns bought for reach rather than response, and lead campaigns whose conversion is a sign-up
# or a webinar registration rather than a sales lead (names without the year).
AWARENESS_CAMPAIGNS = ("Brand Awareness", "Employer Branding")
SIGN_UP_AND_REGISTRATION_CAMPAIGNS = {
    "Newsletter Signup": "sign_up",
    "Free Trial": "sign_up",
    "Webinar": "registration",
}


@dataclasses.dataclass(frozen=True)
class AdAccount:
    id: str  # digits only, as Meta's account_id field carries it
    name: str
    currency: str
    timezone: str
    business_id: str


@dataclasses.dataclass(frozen=True)
class Ga4Property:
    id: str
    currency: str
    timezone: str


@dataclasses.dataclass(frozen=True)
class Campaign:
    id: str
    account_id: str
    platform: str  # "meta" or "linkedin"
    name: str
    utm_source: str | None  # what the ads' landing-page URLs carry; None: untracked
    utm_medium: str | None
    utm_campaign: str | None
    goal: str  # "purchase" or "lead"
    status: str  # ACTIVE, PAUSED, ARCHIVED or DELETED
    start: dt.date
    end: dt.date | None
    daily_budget: float
    cpm: float
    ctr: float
    conversion_rate: float
    average_order_value: float
    ad_ids: tuple[str, str]
    adset_id: str

    @property
    def objective(self) -> str:
        """What the campaign was bought for, in plain words: `awareness` (judged on reach and CPM),
        `leads` or `sales`. Each platform words it its own way (Meta's OUTCOME_*, LinkedIn's
        objectiveType)."""
        if self.name.startswith(AWARENESS_CAMPAIGNS):
            return "awareness"
        return "sales" if self.goal == "purchase" else "leads"

    @property
    def conversion_event(self) -> str:
        """The one conversion a tracked visit from this campaign ends in: `purchase`, `lead` (a form),
        `sign_up` (newsletter, free trial) or `registration` (a webinar). Each platform names it its
        own way (GA4 event names, LinkedIn conversion rule types, Meta action types)."""
        if self.goal == "purchase":
            return "purchase"
        for prefix, event in SIGN_UP_AND_REGISTRATION_CAMPAIGNS.items():
            if self.name.startswith(prefix):
                return event
        return "lead"


def on_platform_conversions(campaign: Campaign, conversions: int) -> int:
    """How many of a campaign's conversions happen on the ad platform itself and never reach the
    website GA4 measures: forms filled in without leaving the app (Meta's instant forms,
    facebook.com/business/help/1481110642193373; LinkedIn's Lead Gen Forms, whose leads adAnalytics
    counts as oneClickLeads, learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/ads-reporting)
    and Meta Shops purchases made in Facebook or Instagram (onsite_conversion.purchase). The rest
    are website conversions, the only ones GA4 can observe. Meta's lead campaigns send two in three
    to the website, LinkedIn's one in three (B2B forms prefilled from the profile); a tenth of Meta's
    purchases are made in its shops."""
    if campaign.goal == "purchase":
        return conversions // 10 if campaign.platform == "meta" else 0
    if campaign.platform == "meta":
        return conversions // 3
    return conversions - conversions // 3


@dataclasses.dataclass(frozen=True)
class CampaignDay:
    """One campaign's real day; each platform module words it its own way."""

    campaign: Campaign
    day: dt.date
    spend: float  # in the ad account's currency
    impressions: int
    reach: int
    clicks: int
    link_clicks: int  # clicks that reached the landing page
    reactions: int
    comments: int
    shares: int
    saves: int
    follows: int
    video_views: int
    final_conversions: int  # what the platform will claim once late conversions are in
    conversions: int  # what it claims so far (grows with restatements for recent days)
    order_value: float  # per purchase, account currency
    web_sessions_per_link_click: float  # share of landing-page clicks GA4 records as sessions
    web_observed_share: float  # share of claimed conversions GA4 also sees (platforms over-claim)


def seeded_random(*parts: object) -> random.Random:
    """The random stream named by `parts`: each figure draws from its own stream (advertiser, campaign-day,
    ad split, unpaid traffic), so adding a draw to one never shifts the numbers of another."""
    # A str seed is hashed with SHA-512 by `random`, so this is stable across processes and runs.
    return random.Random(":".join(str(part) for part in parts))


# How people write Norwegian letters in a URL's UTM tag: ø and å as o and a, æ as ae (what the
# pipeline's own normalize_utm macro expects: DECISIONLOG.md, "Norwegian campaign names match their UTM tags").
URL_SPELLING = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def slugify(name: str) -> str:
    """'Black Friday 2026 - Retargeting' → 'black_friday_2026_retargeting'; 'Havørn' → 'havorn'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower().translate(URL_SPELLING)).strip("_")


@dataclasses.dataclass(frozen=True)
class AgencyScale:
    """An agency's book instead of one client (`make bench`): this many accounts and properties in all.

    The demo client's accounts come first, as they are; each further ad account runs
    `campaigns_per_account` always-on campaigns, and each further GA4 property sees the traffic the
    first one sees (a load to carry and requests to count, not figures to reconcile).
    """

    meta_accounts: int = 50
    linkedin_accounts: int = 20
    ga4_properties: int = 20
    campaigns_per_account: int = 40


# The demo's advertiser. Another brand (the agency demo's other clients) puts its name before every
# campaign's, as agencies name their clients' campaigns, so that no two clients share a campaign name.
DEMO_BRAND = "Nordlys Outdoor"


class SyntheticAdvertiser:
    """A small agency client: two Meta ad accounts (NOK), one LinkedIn ad account (EUR), one GA4
    property (NOK) that sees the traffic all of them send, tagged as CAMPAIGN_PLAN says. With an
    AgencyScale, the agency's other clients' accounts beside them.

    `brand` names its accounts, Pages and profiles; `currency` is what its Meta accounts spend and
    its GA4 property reports in (LinkedIn's account always spends EUR)."""

    def __init__(
        self,
        seed: int = 7,
        today: dt.date | None = None,
        extra_linkedin_campaigns: int = 0,
        agency: AgencyScale | None = None,
        brand: str = DEMO_BRAND,
        currency: str = "NOK",
    ):
        self.seed = seed
        self.today = today or clock.today()
        self.brand = brand
        rng = seeded_random("advertiser", seed)
        self.meta_accounts = [
            AdAccount(
                id=str(1_000_000_000 + rng.randrange(10_000_000) * 10 + index),
                name=f"{brand} {suffix}",
                currency=currency,
                timezone="Europe/Oslo",
                business_id=str(2_000_000_000 + rng.randrange(10_000_000)),
            )
            for index, suffix in enumerate(["NO", "Webshop"])
        ]
        self.linkedin_accounts = [
            AdAccount(
                id=str(500_000_000 + rng.randrange(10_000_000)),
                name=f"{brand} B2B",
                currency="EUR",
                timezone="Europe/Oslo",
                business_id="",
            )
        ]
        self.ga4_property = Ga4Property(
            id=str(400_000_000 + rng.randrange(10_000_000)), currency=currency, timezone="Europe/Oslo"
        )
        plan = list(CAMPAIGN_PLAN) + [
            # filler campaigns for scenarios that need many (LinkedIn's 15,000-element cut)
            ("linkedin", 0, f"Always On {{year}} - Segment {n:03d}", "lead", "ACTIVE", "linkedin", "cpc", "slug")
            for n in range(extra_linkedin_campaigns)
        ]
        campaigns = [self._campaign(rng, *entry) for entry in plan]
        # Each GA4 property sees its own client's traffic: the advertiser's sees every campaign of its own.
        self.ga4_properties = [self.ga4_property]
        self._ga4_campaigns = {self.ga4_property.id: campaigns}
        if agency is not None:
            campaigns = campaigns + self._agency_accounts(agency)
        self.meta_campaigns = [c for c in campaigns if c.platform == "meta"]
        self.linkedin_campaigns = [c for c in campaigns if c.platform == "linkedin"]
        self._accounts = {a.id: a for a in self.meta_accounts + self.linkedin_accounts}

    def _agency_accounts(self, agency: AgencyScale) -> list[Campaign]:
        """The other clients' accounts, campaigns and properties, drawn from a generator of their own so
        that the demo client's figures stay as they are. Client k (from 1) has the k-th further Meta
        account, LinkedIn account and GA4 property, as far as each platform's count goes."""
        rng = seeded_random("agency", self.seed)
        clients = max(
            agency.meta_accounts - len(self.meta_accounts),
            agency.linkedin_accounts - len(self.linkedin_accounts),
            agency.ga4_properties - 1,
        )
        campaigns: list[Campaign] = []
        for client in range(1, clients + 1):
            seen = []
            for platform, accounts, wanted, currency, source, medium in (
                ("meta", self.meta_accounts, agency.meta_accounts, "NOK", "facebook", "paid_social"),
                ("linkedin", self.linkedin_accounts, agency.linkedin_accounts, "EUR", "linkedin", "cpc"),
            ):
                if len(accounts) >= wanted:
                    continue
                accounts.append(
                    AdAccount(
                        id=str((1_000_000_000 if platform == "meta" else 500_000_000) + rng.randrange(10_000_000) * 10),
                        name=f"Agency client {client:02d}",
                        currency=currency,
                        timezone="Europe/Oslo",
                        business_id=str(2_000_000_000 + rng.randrange(10_000_000)) if platform == "meta" else "",
                    )
                )
                seen += [
                    self._campaign(
                        rng,
                        platform,
                        len(accounts) - 1,
                        f"Client {client:02d} Always On {{year}} - {n:02d}",
                        "purchase",
                        "ACTIVE",
                        source,
                        medium,
                        "slug",
                    )
                    for n in range(agency.campaigns_per_account)
                ]
            if len(self.ga4_properties) < agency.ga4_properties:
                prop = Ga4Property(
                    id=str(400_000_000 + rng.randrange(10_000_000)), currency="NOK", timezone="Europe/Oslo"
                )
                self.ga4_properties.append(prop)
                self._ga4_campaigns[prop.id] = seen
            campaigns += seen
        return campaigns

    def _campaign(self, rng, platform, account_index, name, goal, status, source, medium, utm) -> Campaign:
        account = (self.meta_accounts if platform == "meta" else self.linkedin_accounts)[account_index]
        name = name.format(year=self.today.year)
        if self.brand != DEMO_BRAND:
            name = f"{self.brand} – {name}"
        start = self.today - dt.timedelta(days=rng.randint(45, 200))
        end = None
        if status in ("DELETED", "ARCHIVED"):
            end = self.today - dt.timedelta(days=rng.randint(10, 16))
        elif status == "PAUSED":
            end = self.today - dt.timedelta(days=rng.randint(3, 6))
        campaign_id = (
            str(23_850_000_000_000_000 + rng.randrange(10**12))
            if platform == "meta"
            else str(180_000_000 + rng.randrange(10**7))
        )
        currency_scale = 1.0 if account.currency == "NOK" else 0.085  # EUR budgets, CPMs and order values
        return Campaign(
            id=campaign_id,
            account_id=account.id,
            platform=platform,
            name=name,
            utm_source=source,
            utm_medium=medium,
            utm_campaign={"slug": slugify(name), "id": campaign_id}.get(utm, utm),
            goal=goal,
            status=status,
            start=start,
            end=end,
            daily_budget=round(rng.uniform(300, 2500) * currency_scale * (3 if platform == "linkedin" else 1), 0),
            cpm=rng.uniform(45, 120) * currency_scale * (3 if platform == "linkedin" else 1),
            ctr=rng.uniform(0.006, 0.02),
            conversion_rate=rng.uniform(0.01, 0.05) if goal == "purchase" else rng.uniform(0.05, 0.15),
            average_order_value=(rng.uniform(350, 1400) * currency_scale) if goal == "purchase" else 0.0,
            ad_ids=(campaign_id[:-3] + "101", campaign_id[:-3] + "102"),
            adset_id=campaign_id[:-3] + "001",
        )

    def account(self, account_id: str) -> AdAccount | None:
        return self._accounts.get(account_id)

    def campaigns_seen_by(self, property_id: str) -> list[Campaign]:
        """The campaigns whose traffic a GA4 property sees (tagged or not)."""
        return self._ga4_campaigns.get(property_id, [])

    def campaigns_of(self, account_id: str) -> list[Campaign]:
        return [c for c in self.meta_campaigns + self.linkedin_campaigns if c.account_id == account_id]

    def fx_rate(self, day: dt.date, currency: str, into: str) -> float:
        """The sandbox's daily exchange rate (units of `into` per unit of `currency`)."""
        if currency == into:
            return 1.0
        per_nok = {
            "NOK": 1.0,
            "EUR": 11.6 + 0.25 * math.sin(day.toordinal() / 9),
            "USD": 10.7 + 0.2 * math.cos(day.toordinal() / 11),
        }
        return round(per_nok[currency] / per_nok[into], 6)

    def restatement_factor(self, day: dt.date, restatements: int) -> float:
        """Share of a day's final conversions that the platform reports so far.

        Days older than LATE_CONVERSION_DAYS are final. Recent days start low and grow with each
        restatement (each new sync sees more of the late conversions), never past the final figure.
        """
        age = (self.today - day).days
        if age > LATE_CONVERSION_DAYS:
            return 1.0
        return min(1.0, 0.55 + 0.1 * age + 0.15 * restatements)

    def campaign_day(self, campaign: Campaign, day: dt.date, restatements: int = 0) -> CampaignDay | None:
        """What really happened for one campaign on one day, whatever platform reports it.

        None when the campaign did not deliver (not yet started, ended, or a day without delivery).
        """
        if day < campaign.start or (campaign.end and day > campaign.end) or day >= self.today:
            return None
        rng = seeded_random(campaign.platform, self.seed, campaign.id, day.isoformat())
        if rng.random() < 0.04:  # budget exhausted early / ad in review: no delivery that day
            return None
        weekend_lift = 1.15 if day.weekday() >= 5 else 1.0
        spend = round(campaign.daily_budget * rng.uniform(0.75, 1.02) * weekend_lift, 2)
        impressions = int(spend / campaign.cpm * 1000 * rng.uniform(0.9, 1.1))
        clicks = int(impressions * campaign.ctr * rng.uniform(0.8, 1.2))
        link_clicks = int(clicks * rng.uniform(0.55, 0.75))
        reactions = int(impressions * 0.004 * rng.uniform(0.5, 1.5))
        final_conversions = round(link_clicks * campaign.conversion_rate * rng.uniform(0.7, 1.3))
        return CampaignDay(
            campaign=campaign,
            day=day,
            spend=spend,
            impressions=impressions,
            reach=int(impressions / rng.uniform(1.08, 1.6)),
            clicks=clicks,
            link_clicks=link_clicks,
            reactions=reactions,
            comments=int(reactions * rng.uniform(0.05, 0.2)),
            shares=int(reactions * rng.uniform(0.03, 0.1)),
            saves=int(reactions * rng.uniform(0.02, 0.08)),
            follows=int(reactions * rng.uniform(0.01, 0.05)),
            video_views=int(impressions * rng.uniform(0.05, 0.2)),
            final_conversions=final_conversions,
            conversions=math.floor(final_conversions * self.restatement_factor(day, restatements)),
            order_value=campaign.average_order_value * rng.uniform(0.85, 1.15),
            web_sessions_per_link_click=rng.uniform(0.75, 0.9),
            web_observed_share=rng.uniform(0.6, 0.8),
        )

"""A deterministic synthetic advertiser: the single source of truth behind every sandbox API.

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
from collections.abc import Iterator

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
# Web traffic no ad campaign bought: (source, medium, campaign, GA4 default channel group).
# The first two carry campaign names that match no ad campaign: revenue without a known campaign.
UNPAID_TRAFFIC = [
    ("newsletter", "email", "spring_newsletter", "Email"),
    ("partner-blog", "referral", "partner_webinar_2026", "Referral"),
    ("google", "organic", "(organic)", "Organic Search"),
    ("(direct)", "(none)", "(direct)", "Direct"),
    ("l.facebook.com", "referral", "(referral)", "Organic Social"),
]
# Days whose GA4 figures still change (GA4 settles in 24-48 h).
GA4_LATE_DAYS = 2


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


@dataclasses.dataclass(frozen=True)
class DailyDelivery:
    """What one campaign (or ad) delivered on one day, as numbers rather than wire strings."""

    campaign: Campaign
    day: dt.date
    ad_id: str | None
    spend: float
    impressions: int
    reach: int
    clicks: int
    inline_link_clicks: int
    actions: dict[str, int]
    action_values: dict[str, float]


def _rng(*parts: object) -> random.Random:
    # A str seed is hashed with SHA-512 by `random`, so this is stable across processes and runs.
    return random.Random(":".join(str(part) for part in parts))


def slugify(name: str) -> str:
    """'Black Friday 2026 - Retargeting' → 'black_friday_2026_retargeting'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


SOCIAL_SOURCES = {"facebook", "fb", "ig", "instagram", "m.facebook.com", "l.facebook.com", "linkedin", "linkedin.com", "lnkd.in"}


def ga4_channel_group(source: str, medium: str) -> str:
    """GA4's default channel grouping for the sources the sandbox uses: social sources count as
    Paid Social only with a paid medium (cpc, ppc, paid…); `social` lands in Organic Social."""
    if source in SOCIAL_SOURCES:
        return "Paid Social" if re.fullmatch(r".*cp.*|ppc|retargeting|paid.*", medium) else "Organic Social"
    return "Referral"


class SyntheticAdvertiser:
    """A small agency client: two Meta ad accounts (NOK), one LinkedIn ad account (EUR), one GA4
    property (NOK) that sees the traffic all of them send, tagged as CAMPAIGN_PLAN says."""

    def __init__(self, seed: int = 7, today: dt.date | None = None, extra_linkedin_campaigns: int = 0):
        self.seed = seed
        self.today = today or dt.date.today()
        rng = _rng("advertiser", seed)
        self.meta_accounts = [
            AdAccount(
                id=str(1_000_000_000 + rng.randrange(10_000_000) * 10 + index),
                name=name,
                currency="NOK",
                timezone="Europe/Oslo",
                business_id=str(2_000_000_000 + rng.randrange(10_000_000)),
            )
            for index, name in enumerate(["Nordlys Outdoor NO", "Nordlys Outdoor Webshop"])
        ]
        self.linkedin_accounts = [
            AdAccount(id=str(500_000_000 + rng.randrange(10_000_000)), name="Nordlys Outdoor B2B", currency="EUR", timezone="Europe/Oslo", business_id="")
        ]
        self.ga4_property = Ga4Property(id=str(400_000_000 + rng.randrange(10_000_000)), currency="NOK", timezone="Europe/Oslo")
        plan = list(CAMPAIGN_PLAN) + [
            # filler campaigns for scenarios that need many (LinkedIn's 15,000-element cut)
            ("linkedin", 0, f"Always On {{year}} - Segment {n:03d}", "lead", "ACTIVE", "linkedin", "cpc", "slug")
            for n in range(extra_linkedin_campaigns)
        ]
        campaigns = [self._campaign(rng, *entry) for entry in plan]
        self.meta_campaigns = [c for c in campaigns if c.platform == "meta"]
        self.linkedin_campaigns = [c for c in campaigns if c.platform == "linkedin"]

    def _campaign(self, rng, platform, account_index, name, goal, status, source, medium, utm) -> Campaign:
        account = (self.meta_accounts if platform == "meta" else self.linkedin_accounts)[account_index]
        name = name.format(year=self.today.year)
        start = self.today - dt.timedelta(days=rng.randint(45, 200))
        end = None
        if status in ("DELETED", "ARCHIVED"):
            end = self.today - dt.timedelta(days=rng.randint(10, 16))
        elif status == "PAUSED":
            end = self.today - dt.timedelta(days=rng.randint(3, 6))
        campaign_id = str(23_850_000_000_000_000 + rng.randrange(10**12)) if platform == "meta" else str(180_000_000 + rng.randrange(10**7))
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
        return next((a for a in self.meta_accounts + self.linkedin_accounts if a.id == account_id), None)

    def campaigns_of(self, account_id: str) -> list[Campaign]:
        return [c for c in self.meta_campaigns + self.linkedin_campaigns if c.account_id == account_id]

    def fx_rate(self, day: dt.date, currency: str, into: str) -> float:
        """The sandbox's daily exchange rate (units of `into` per unit of `currency`)."""
        if currency == into:
            return 1.0
        per_nok = {"NOK": 1.0, "EUR": 11.6 + 0.25 * math.sin(day.toordinal() / 9), "USD": 10.7 + 0.2 * math.cos(day.toordinal() / 11)}
        return round(per_nok[currency] / per_nok[into], 6)

    def linkedin_metrics(self, campaign: Campaign, day: dt.date, restatements: int = 0) -> dict[str, float] | None:
        """LinkedIn's adAnalytics figures for one campaign-day, or None when it omits the day
        (LinkedIn leaves out days where every metric is zero)."""
        truth = self.campaign_day(campaign, day, restatements)
        if truth is None:
            return None
        leads = truth.conversions - truth.conversions // 3 if campaign.goal == "lead" else 0
        website = truth.conversions - leads
        metrics = {
            "impressions": truth.impressions,
            "clicks": truth.clicks,
            "landingPageClicks": truth.link_clicks,
            "costInLocalCurrency": truth.spend,
            "costInUsd": round(truth.spend * self.fx_rate(day, "EUR", "USD"), 2),
            "externalWebsiteConversions": website,
            "oneClickLeads": leads,
            "conversionValueInLocalCurrency": round(website * truth.order_value, 2) if campaign.goal == "purchase" else 0.0,
            "likes": truth.reactions,
            "comments": truth.comments,
            "shares": truth.shares,
            "follows": truth.follows,
            "videoViews": truth.video_views,
            "approximateMemberReach": truth.reach,
        }
        # LinkedIn's own definition: clicks, likes, comments, shares and follows.
        metrics["totalEngagements"] = truth.clicks + truth.reactions + truth.comments + truth.shares + truth.follows
        return metrics

    def ga4_rows(self, day: dt.date, restatements: int = 0) -> list[dict]:
        """GA4's report for one day: one row per (source, medium, campaign), revenue in the
        property currency. Paid rows follow the ads' link clicks and real conversions (GA4 sees
        fewer conversions than the platforms claim); unpaid traffic comes on top."""
        if day >= self.today:
            return []
        settle = 1.0 if (self.today - day).days > GA4_LATE_DAYS else min(1.0, 0.7 + 0.1 * (self.today - day).days + 0.15 * restatements)
        rows = []
        for campaign in self.meta_campaigns + self.linkedin_campaigns:
            truth = self.campaign_day(campaign, day)
            if truth is None or campaign.utm_source is None:
                continue
            sessions = int(truth.link_clicks * truth.web_sessions_per_link_click * settle)
            if not sessions:
                continue
            key_events = int(round(truth.final_conversions * truth.web_observed_share * settle))
            transactions = key_events if campaign.goal == "purchase" else 0
            currency = self.account(campaign.account_id).currency
            revenue = round(transactions * truth.order_value * self.fx_rate(day, currency, self.ga4_property.currency), 2)
            rows.append(self._ga4_row(day, campaign.utm_source, campaign.utm_medium, campaign.utm_campaign,
                                      campaign.id if campaign.utm_campaign == campaign.id else "(not set)",
                                      ga4_channel_group(campaign.utm_source, campaign.utm_medium), sessions, key_events, transactions, revenue))
        for source, medium, name, group in UNPAID_TRAFFIC:
            rng = _rng("ga4", self.seed, source, name, day.isoformat())
            sessions = int(rng.uniform(20, 600 if medium in ("organic", "(none)") else 80) * settle)
            key_events = int(sessions * rng.uniform(0.01, 0.04))
            revenue = round(key_events * rng.uniform(500, 900), 2)
            rows.append(self._ga4_row(day, source, medium, name, "(not set)", group, sessions, key_events, key_events, revenue))
        return rows

    @staticmethod
    def _ga4_row(day, source, medium, campaign_name, campaign_id, group, sessions, key_events, transactions, revenue) -> dict:
        return {
            "date": day, "sessionSource": source, "sessionMedium": medium, "sessionCampaignName": campaign_name,
            "sessionCampaignId": campaign_id, "sessionDefaultChannelGroup": group,
            "sessions": sessions, "totalUsers": int(sessions * 0.92), "engagedSessions": int(sessions * 0.58),
            "keyEvents": key_events, "purchaseRevenue": revenue, "totalRevenue": revenue, "transactions": transactions,
        }

    def restatement_factor(self, day: dt.date, restatements: int) -> float:
        """Share of a day's final conversions that the platform reports so far.

        Days older than LATE_CONVERSION_DAYS are final. Recent days start low and grow with each
        restatement (each new sync sees more of the late conversions), never past the final figure.
        """
        age = (self.today - day).days
        if age > LATE_CONVERSION_DAYS:
            return 1.0
        return min(1.0, 0.55 + 0.1 * age + 0.15 * restatements)

    def campaign_day(self, campaign: Campaign, day: dt.date, restatements: int = 0) -> "CampaignDay | None":
        """What really happened for one campaign on one day, whatever platform reports it.

        None when the campaign did not deliver (not yet started, ended, or a day without delivery).
        """
        if day < campaign.start or (campaign.end and day > campaign.end) or day >= self.today:
            return None
        rng = _rng(campaign.platform, self.seed, campaign.id, day.isoformat())
        if rng.random() < 0.04:  # budget exhausted early / ad in review: no delivery that day
            return None
        weekend_lift = 1.15 if day.weekday() >= 5 else 1.0
        spend = round(campaign.daily_budget * rng.uniform(0.75, 1.02) * weekend_lift, 2)
        impressions = int(spend / campaign.cpm * 1000 * rng.uniform(0.9, 1.1))
        clicks = int(impressions * campaign.ctr * rng.uniform(0.8, 1.2))
        link_clicks = int(clicks * rng.uniform(0.55, 0.75))
        reactions = int(impressions * 0.004 * rng.uniform(0.5, 1.5))
        final_conversions = int(round(link_clicks * campaign.conversion_rate * rng.uniform(0.7, 1.3)))
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

    def meta_delivery(self, campaign: Campaign, day: dt.date, restatements: int = 0) -> DailyDelivery | None:
        """The campaign's Meta delivery on `day`, or None when there was none (the API omits the row)."""
        truth = self.campaign_day(campaign, day, restatements)
        if truth is None:
            return None
        link_clicks, reactions, comments, shares, saves, video_views = (
            truth.link_clicks, truth.reactions, truth.comments, truth.shares, truth.saves, truth.video_views
        )
        conversions, order_value = truth.conversions, truth.order_value
        spend, impressions, reach, clicks = truth.spend, truth.impressions, truth.reach, truth.clicks

        actions = {
            "link_click": link_clicks,
            "post_reaction": reactions,
            "comment": comments,
            "post": shares,
            "onsite_conversion.post_save": saves,
            "video_view": video_views,
        }
        actions["post_engagement"] = link_clicks + reactions + comments + shares + saves + video_views
        actions["page_engagement"] = actions["post_engagement"] + int(reactions * 0.05)
        values: dict[str, float] = {}
        if campaign.goal == "purchase" and conversions:
            onsite = conversions // 10
            pixel = conversions - onsite
            actions["offsite_conversion.fb_pixel_purchase"] = pixel
            values["offsite_conversion.fb_pixel_purchase"] = round(pixel * order_value, 2)
            if onsite:
                actions["onsite_conversion.purchase"] = onsite
                values["onsite_conversion.purchase"] = round(onsite * order_value, 2)
            # omni_purchase aggregates the two above: counting it as well would double count.
            actions["omni_purchase"] = conversions
            values["omni_purchase"] = round(sum(values.values()), 2)
        elif campaign.goal == "lead" and conversions:
            on_facebook = conversions // 3
            actions["offsite_conversion.fb_pixel_lead"] = conversions - on_facebook
            if on_facebook:
                actions["onsite_conversion.lead_grouped"] = on_facebook
            actions["lead"] = conversions  # aggregate of the two lead types above
        return DailyDelivery(
            campaign=campaign,
            day=day,
            ad_id=None,
            spend=spend,
            impressions=impressions,
            reach=reach,
            clicks=clicks,
            inline_link_clicks=link_clicks,
            actions=actions,
            action_values=values,
        )

    def meta_ad_deliveries(self, campaign_day: DailyDelivery) -> list[DailyDelivery]:
        """Split a campaign's day over its two ads so that ad-level figures add up to the campaign's."""
        share = _rng("adsplit", self.seed, campaign_day.campaign.id).uniform(0.35, 0.65)

        def split_int(total: int) -> tuple[int, int]:
            first = int(round(total * share))
            return first, total - first

        def split_money(total: float) -> tuple[float, float]:
            first = round(total * share, 2)
            return first, round(total - first, 2)

        spend = split_money(campaign_day.spend)
        counts = {field: split_int(getattr(campaign_day, field)) for field in ("impressions", "reach", "clicks", "inline_link_clicks")}
        actions = {key: split_int(value) for key, value in campaign_day.actions.items()}
        values = {key: split_money(value) for key, value in campaign_day.action_values.items()}
        return [
            dataclasses.replace(
                campaign_day,
                ad_id=ad_id,
                spend=spend[i],
                **{field: pair[i] for field, pair in counts.items()},
                actions={key: pair[i] for key, pair in actions.items() if pair[i]},
                action_values={key: pair[i] for key, pair in values.items() if pair[i]},
            )
            for i, ad_id in enumerate(campaign_day.campaign.ad_ids)
        ]

    def meta_deliveries(
        self, account_id: str, since: dt.date, until: dt.date, restatements: int = 0
    ) -> Iterator[DailyDelivery]:
        """Every campaign-day with delivery in [since, until] for one account, day by day."""
        day = since
        while day <= until:
            for campaign in self.campaigns_of(account_id):
                delivery = self.meta_delivery(campaign, day, restatements)
                if delivery is not None:
                    yield delivery
            day += dt.timedelta(days=1)

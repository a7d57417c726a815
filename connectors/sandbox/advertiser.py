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
from collections.abc import Iterator

# Days whose conversions are still arriving: the platforms restate them on later syncs.
LATE_CONVERSION_DAYS = 3

CAMPAIGN_THEMES = [
    ("Black Friday", "purchase"),
    ("Winter Sale", "purchase"),
    ("Newsletter Signup", "lead"),
    ("Brand Awareness", "purchase"),
    ("Webinar Registrations", "lead"),
    ("Retargeting Cart", "purchase"),
    ("New Collection", "purchase"),
    ("Free Trial", "lead"),
]
AUDIENCES = ["Prospecting", "Retargeting", "Lookalike", "Broad"]


@dataclasses.dataclass(frozen=True)
class AdAccount:
    id: str  # digits only, as Meta's account_id field carries it
    name: str
    currency: str
    timezone: str
    business_id: str


@dataclasses.dataclass(frozen=True)
class Campaign:
    id: str
    account_id: str
    name: str
    utm_campaign: str  # what the ads' landing-page URLs carry as utm_campaign
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
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_").replace("__", "_")


class SyntheticAdvertiser:
    """A small agency client: a few Meta ad accounts, each with a handful of campaigns."""

    def __init__(self, seed: int = 7, today: dt.date | None = None):
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
        self.meta_campaigns = [
            campaign
            for index, account in enumerate(self.meta_accounts)
            for campaign in self._campaigns_for(account, rng, first_theme=index * 3)
        ]

    def _campaigns_for(self, account: AdAccount, rng: random.Random, first_theme: int) -> list[Campaign]:
        campaigns = []
        for number in range(4):
            theme, goal = CAMPAIGN_THEMES[(first_theme + number) % len(CAMPAIGN_THEMES)]
            audience = AUDIENCES[rng.randrange(len(AUDIENCES))]
            name = f"{theme} {self.today.year} - {audience}"
            start = self.today - dt.timedelta(days=rng.randint(45, 200))
            # The third campaign of each account ended two weeks ago; on the first account it was
            # then deleted, so its history only comes back when all statuses are requested.
            ended = number == 2
            end = self.today - dt.timedelta(days=rng.randint(10, 16)) if ended else None
            status = ("DELETED" if first_theme == 0 else "ARCHIVED") if ended else "ACTIVE"
            if number == 3 and first_theme != 0:
                status = "PAUSED"
                end = self.today - dt.timedelta(days=rng.randint(3, 6))
            campaign_id = str(23_850_000_000_000_000 + rng.randrange(10**12))
            campaigns.append(
                Campaign(
                    id=campaign_id,
                    account_id=account.id,
                    name=name,
                    utm_campaign=slugify(name),
                    goal=goal,
                    status=status,
                    start=start,
                    end=end,
                    daily_budget=round(rng.uniform(300, 2500), 0),
                    cpm=rng.uniform(45, 120),
                    ctr=rng.uniform(0.006, 0.02),
                    conversion_rate=rng.uniform(0.01, 0.05) if goal == "purchase" else rng.uniform(0.05, 0.15),
                    average_order_value=rng.uniform(350, 1400) if goal == "purchase" else 0.0,
                    ad_ids=(campaign_id[:-3] + "101", campaign_id[:-3] + "102"),
                    adset_id=campaign_id[:-3] + "001",
                )
            )
        return campaigns

    def account(self, account_id: str) -> AdAccount | None:
        return next((a for a in self.meta_accounts if a.id == account_id), None)

    def campaigns_of(self, account_id: str) -> list[Campaign]:
        return [c for c in self.meta_campaigns if c.account_id == account_id]

    def restatement_factor(self, day: dt.date, restatements: int) -> float:
        """Share of a day's final conversions that the platform reports so far.

        Days older than LATE_CONVERSION_DAYS are final. Recent days start low and grow with each
        restatement (each new sync sees more of the late conversions), never past the final figure.
        """
        age = (self.today - day).days
        if age > LATE_CONVERSION_DAYS:
            return 1.0
        return min(1.0, 0.55 + 0.1 * age + 0.15 * restatements)

    def meta_delivery(self, campaign: Campaign, day: dt.date, restatements: int = 0) -> DailyDelivery | None:
        """The campaign's delivery on `day`, or None when it delivered nothing (the API omits the row)."""
        if day < campaign.start or (campaign.end and day > campaign.end) or day >= self.today:
            return None
        rng = _rng("meta", self.seed, campaign.id, day.isoformat())
        if rng.random() < 0.04:  # budget exhausted early / ad in review: no delivery that day
            return None
        weekend_lift = 1.15 if day.weekday() >= 5 else 1.0
        spend = round(campaign.daily_budget * rng.uniform(0.75, 1.02) * weekend_lift, 2)
        impressions = int(spend / campaign.cpm * 1000 * rng.uniform(0.9, 1.1))
        reach = int(impressions / rng.uniform(1.08, 1.6))
        clicks = int(impressions * campaign.ctr * rng.uniform(0.8, 1.2))
        link_clicks = int(clicks * rng.uniform(0.55, 0.75))
        reactions = int(impressions * 0.004 * rng.uniform(0.5, 1.5))
        comments = int(reactions * rng.uniform(0.05, 0.2))
        shares = int(reactions * rng.uniform(0.03, 0.1))
        saves = int(reactions * rng.uniform(0.02, 0.08))
        video_views = int(impressions * rng.uniform(0.05, 0.2))
        final_conversions = int(round(link_clicks * campaign.conversion_rate * rng.uniform(0.7, 1.3)))
        order_value = campaign.average_order_value * rng.uniform(0.85, 1.15)
        conversions = math.floor(final_conversions * self.restatement_factor(day, restatements))

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

"""Meta's words for the advertiser's day: insights figures per campaign (or ad) and day, as numbers.

``meta_ads.py`` writes these as the Graph API does (every number a string); this module decides
what the numbers are: which action types a click, a reaction or a purchase is counted under, how the
aggregate action types (``omni_purchase``, ``lead``, ``post_engagement``) relate to the ones they add up,
how a campaign's day splits over its two ads so that ad-level rows add up to the campaign's,
which OUTCOME_* objective a campaign's rows name, and which effective status a campaign or ad has.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from connectors.sandbox.advertiser import Campaign, SyntheticAdvertiser, on_platform_conversions, seeded_random

# The campaign's objective in Meta's words: the Outcome-Driven Ad Experience objectives, the values of the
# insights field `objective` (AdsInsights.Field.objective and Campaign.Objective in the facebook-business SDK;
# https://developers.facebook.com/docs/marketing-api/reference/ads-insights/).
META_OBJECTIVES = {"awareness": "OUTCOME_AWARENESS", "leads": "OUTCOME_LEADS", "sales": "OUTCOME_SALES"}


def meta_objective(campaign: Campaign) -> str:
    """What the campaign was bought for, as Meta's insights rows say it (OUTCOME_*)."""
    return META_OBJECTIVES[campaign.objective]


def meta_effective_status(campaign: Campaign, level: str) -> str:
    """The `effective_status` of the campaign, or of each of its ads, as insights filtering sees it.

    An ad inherits a paused, archived or deleted campaign's status: "all the objects below it automatically
    inherit that status" (developers.facebook.com/docs/marketing-api/best-practices/storing_adobjects/, "Manage
    Your Ad Object's Status"); under a paused campaign it reads CAMPAIGN_PAUSED (Ad.EffectiveStatus in the SDK's
    facebook_business/adobjects/ad.py). The synthetic advertiser switches whole campaigns, never single ads.
    """
    if level == "ad" and campaign.status == "PAUSED":
        return "CAMPAIGN_PAUSED"
    return campaign.status


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


def meta_delivery(
    advertiser: SyntheticAdvertiser, campaign: Campaign, day: dt.date, restatements: int = 0
) -> DailyDelivery | None:
    """The campaign's Meta delivery on `day`, or None when there was none (the API omits the row)."""
    truth = advertiser.campaign_day(campaign, day, restatements)
    if truth is None:
        return None
    link_clicks, reactions, comments, shares, saves, video_views = (
        truth.link_clicks,
        truth.reactions,
        truth.comments,
        truth.shares,
        truth.saves,
        truth.video_views,
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
        onsite = on_platform_conversions(campaign, conversions)
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
        on_facebook = on_platform_conversions(campaign, conversions)
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


def meta_ad_deliveries(advertiser: SyntheticAdvertiser, campaign_day: DailyDelivery) -> list[DailyDelivery]:
    """Split a campaign's day over its two ads so that ad-level figures add up to the campaign's."""
    share = seeded_random("adsplit", advertiser.seed, campaign_day.campaign.id).uniform(0.35, 0.65)

    def split_int(total: int) -> tuple[int, int]:
        first = round(total * share)
        return first, total - first

    def split_money(total: float) -> tuple[float, float]:
        first = round(total * share, 2)
        return first, round(total - first, 2)

    spend = split_money(campaign_day.spend)
    counts = {
        field: split_int(getattr(campaign_day, field))
        for field in ("impressions", "reach", "clicks", "inline_link_clicks")
    }
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
    advertiser: SyntheticAdvertiser, account_id: str, since: dt.date, until: dt.date, restatements: int = 0
) -> Iterator[DailyDelivery]:
    """Every campaign-day with delivery in [since, until] for one account, day by day."""
    day = since
    while day <= until:
        for campaign in advertiser.campaigns_of(account_id):
            delivery = meta_delivery(advertiser, campaign, day, restatements)
            if delivery is not None:
                yield delivery
        day += dt.timedelta(days=1)

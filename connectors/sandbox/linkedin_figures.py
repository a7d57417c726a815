"""LinkedIn's words for the advertiser's day: adAnalytics metrics per campaign and day, as numbers.

``linkedin_rest.py`` writes these as the Marketing API does (costs as strings, counts as integers) and
leaves out the days this module answers None for. Leads split into one-click (Lead Gen Form) leads and
website conversions; the LinkedIn account spends EUR, with ``costInUsd`` at the day's rate.
"""

from __future__ import annotations

import datetime as dt

from connectors.sandbox.advertiser import Campaign, SyntheticAdvertiser


def linkedin_metrics(
    advertiser: SyntheticAdvertiser, campaign: Campaign, day: dt.date, restatements: int = 0
) -> dict[str, float] | None:
    """LinkedIn's adAnalytics figures for one campaign-day, or None when it omits the day
    (LinkedIn leaves out days where every metric is zero)."""
    truth = advertiser.campaign_day(campaign, day, restatements)
    if truth is None:
        return None
    leads = truth.conversions - truth.conversions // 3 if campaign.goal == "lead" else 0
    website = truth.conversions - leads
    metrics = {
        "impressions": truth.impressions,
        "clicks": truth.clicks,
        "landingPageClicks": truth.link_clicks,
        "costInLocalCurrency": truth.spend,
        "costInUsd": round(truth.spend * advertiser.fx_rate(day, "EUR", "USD"), 2),
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

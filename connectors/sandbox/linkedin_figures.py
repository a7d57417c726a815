"""LinkedIn's words for the advertiser's day: adAnalytics metrics per campaign and day, as numbers,
and the conversion rules those website conversions are counted by.

``linkedin_ads.py`` writes these as the Marketing API does (costs as strings, counts as integers) and
leaves out the days this module answers None for. Leads split into one-click (Lead Gen Form) leads and
website conversions; the LinkedIn account spends EUR, with ``costInUsd`` at the day's rate.

Each campaign's website conversions are counted by ONE conversion rule of its account, the rule for
the campaign's conversion event (``Campaign.conversion_event``): summed over rules, a campaign-day's
conversions by rule are exactly its ``externalWebsiteConversions``, and its value likewise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from connectors.sandbox.advertiser import Campaign, SyntheticAdvertiser, on_platform_conversions

# The advertiser's conversion event → (rule name, LinkedIn conversion rule type). The types are
# values of the rule's `type` enum (learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/conversions-api-schema,
# field `type`: ADD_TO_CART, DOWNLOAD, INSTALL, KEY_PAGE_VIEW, LEAD, PURCHASE, SIGN_UP, OTHER, ...,
# COMPLETE_SIGNUP, SUBMIT_APPLICATION, ...). The enum has no REGISTER: a webinar registration is a
# completed sign-up form, COMPLETE_SIGNUP, kept apart from the newsletter's SIGN_UP.
CONVERSION_RULES = {
    "purchase": ("Webshop purchase", "PURCHASE"),
    "lead": ("Demo request", "LEAD"),
    "sign_up": ("Newsletter sign-up", "SIGN_UP"),
    "registration": ("Webinar registration", "COMPLETE_SIGNUP"),
}
# The conversion metrics adAnalytics reports per rule under the CONVERSION pivot.
CONVERSION_METRICS = (
    "externalWebsiteConversions",
    "externalWebsitePostClickConversions",
    "externalWebsitePostViewConversions",
    "conversionValueInLocalCurrency",
)


@dataclasses.dataclass(frozen=True)
class ConversionRule:
    id: str  # LinkedIn's conversion id: urn:lla:llaPartnerConversion:<id>
    account_id: str
    name: str
    type: str
    event: str  # the advertiser's conversion event the rule counts

    @property
    def urn(self) -> str:
        return f"urn:lla:llaPartnerConversion:{self.id}"


def conversion_rules(account_id: str) -> list[ConversionRule]:
    """The account's conversion rules, one per conversion event, with stable ids derived from the account."""
    return [
        ConversionRule(str(14_000_000 + int(account_id) % 100_000 * 10 + index), account_id, name, rule_type, event)
        for index, (event, (name, rule_type)) in enumerate(CONVERSION_RULES.items())
    ]


def conversion_rule_of(campaign: Campaign) -> ConversionRule:
    """The one rule that counts this campaign's website conversions."""
    return next(rule for rule in conversion_rules(campaign.account_id) if rule.event == campaign.conversion_event)


def linkedin_metrics(
    advertiser: SyntheticAdvertiser, campaign: Campaign, day: dt.date, restatements: int = 0
) -> dict[str, float] | None:
    """LinkedIn's adAnalytics figures for one campaign-day, or None when it omits the day
    (LinkedIn leaves out days where every metric is zero)."""
    truth = advertiser.campaign_day(campaign, day, restatements)
    if truth is None:
        return None
    leads = on_platform_conversions(campaign, truth.conversions)  # Lead Gen Form leads: oneClickLeads
    website = truth.conversions - leads
    post_view = website // 5  # view-through conversions: the smaller share
    metrics = {
        "impressions": truth.impressions,
        "clicks": truth.clicks,
        "landingPageClicks": truth.link_clicks,
        "costInLocalCurrency": truth.spend,
        "costInUsd": round(truth.spend * advertiser.fx_rate(day, "EUR", "USD"), 2),
        # LinkedIn's website conversions are the post-click plus the post-view (view-through) ones.
        "externalWebsiteConversions": website,
        "externalWebsitePostClickConversions": website - post_view,
        "externalWebsitePostViewConversions": post_view,
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


def linkedin_account_metrics(
    advertiser: SyntheticAdvertiser, campaigns: list[Campaign], days: list[dt.date], restatements: int = 0
) -> dict[str, float] | None:
    """adAnalytics' figures for an ad account over some days (pivot ACCOUNT): its campaigns' figures
    summed, reach left out (distinct members do not add up); None when nothing was delivered."""
    totals: dict[str, float] = {}
    for day in days:
        for campaign in campaigns:
            metrics = linkedin_metrics(advertiser, campaign, day, restatements)
            for name, value in (metrics or {}).items():
                if name != "approximateMemberReach":
                    totals[name] = totals.get(name, 0) + value
    return totals or None


def linkedin_conversions(
    advertiser: SyntheticAdvertiser, campaign: Campaign, day: dt.date, restatements: int = 0
) -> dict[ConversionRule, dict[str, float]]:
    """adAnalytics' conversion metrics for one campaign-day by conversion rule: the campaign's website
    conversions all under its one rule; empty when it converted nothing (rules with nothing are absent)."""
    metrics = linkedin_metrics(advertiser, campaign, day, restatements)
    if metrics is None or not any(metrics[name] for name in CONVERSION_METRICS):
        return {}
    return {conversion_rule_of(campaign): {name: metrics[name] for name in CONVERSION_METRICS}}

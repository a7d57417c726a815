"""GA4's words for the advertiser's day: sessions, key events and revenue per source / medium / campaign.

``ga4.py`` serves these rows as runReport does; this module decides what GA4 observes: the
traffic the ad campaigns send, tagged as their landing-page URLs say (CAMPAIGN_PLAN's utm columns),
with fewer conversions than the platforms claim, revenue in the property's currency, recent days
still settling; the unpaid traffic no campaign bought on top; GA4's default channel grouping; and
each row's key events by GA4 event name, with the value GA4 records for them.
"""

from __future__ import annotations

import datetime as dt
import re

from connectors.sandbox.advertiser import SyntheticAdvertiser, on_platform_conversions, seeded_random

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

# The GA4 event each campaign's conversion (Campaign.conversion_event) is sent as: Google's
# recommended event names where there is one (purchase, generate_lead, sign_up:
# https://developers.google.com/analytics/devguides/collection/ga4/reference/events), and a custom
# event for a webinar registration, named as users name theirs. All four are marked as key events.
KEY_EVENT_NAMES = {
    "purchase": "purchase",
    "lead": "generate_lead",
    "sign_up": "sign_up",
    "registration": "webinar_registration",
}
# The default value the property gives its sign_up key event (property currency): GA4 fills it into
# the `value` parameter of every sign_up sent without one. Set in GA4 Admin on the key event (Google
# Analytics Help, "[GA4] Set a default key event value", support.google.com/analytics); the Admin
# API's KeyEvent.defaultValue, which populates `value` wherever an occurrence leaves it unset:
# https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1beta/properties.keyEvents
# Purchases carry their revenue as `value`; the other key events carry none.
SIGN_UP_DEFAULT_VALUE = 150.0

SOCIAL_SOURCES = {
    "facebook",
    "fb",
    "ig",
    "instagram",
    "m.facebook.com",
    "l.facebook.com",
    "linkedin",
    "linkedin.com",
    "lnkd.in",
}


def ga4_channel_group(source: str, medium: str | None) -> str:
    """GA4's default channel grouping for the sources the sandbox uses: social sources count as
    Paid Social only with a paid medium (cpc, ppc, paid…); `social` lands in Organic Social."""
    if source in SOCIAL_SOURCES:
        paid = medium is not None and re.fullmatch(r".*cp.*|ppc|retargeting|paid.*", medium)
        return "Paid Social" if paid else "Organic Social"
    return "Referral"


def ga4_rows(
    advertiser: SyntheticAdvertiser, day: dt.date, restatements: int = 0, property_id: str | None = None
) -> list[dict]:
    """GA4's report for one day: one row per (source, medium, campaign), revenue in the
    property currency. Paid rows follow the ads' link clicks and real conversions (GA4 sees
    fewer conversions than the platforms claim); unpaid traffic comes on top. Each row's
    "events" split its keyEvents by event name (see `_key_events`). The advertiser's own property
    unless `property_id` names another (AgencyScale: another client's site)."""
    if day >= advertiser.today:
        return []
    settle = (
        1.0
        if (advertiser.today - day).days > GA4_LATE_DAYS
        else min(1.0, 0.7 + 0.1 * (advertiser.today - day).days + 0.15 * restatements)
    )
    rows = []
    for campaign in advertiser.campaigns_seen_by(property_id or advertiser.ga4_property.id):
        truth = advertiser.campaign_day(campaign, day)
        if truth is None or campaign.utm_source is None:
            continue
        sessions = int(truth.link_clicks * truth.web_sessions_per_link_click * settle)
        if not sessions:
            continue
        # GA4 sees a share of the website conversions only: a form filled in on the platform never
        # loads a page of the site (on_platform_conversions)
        website = truth.final_conversions - on_platform_conversions(campaign, truth.final_conversions)
        key_events = round(website * truth.web_observed_share * settle)
        transactions = key_events if campaign.goal == "purchase" else 0
        account = advertiser.account(campaign.account_id)
        if account is None:  # every campaign belongs to one of the advertiser's accounts
            raise KeyError(campaign.account_id)
        currency = account.currency
        revenue = round(
            transactions * truth.order_value * advertiser.fx_rate(day, currency, advertiser.ga4_property.currency), 2
        )
        rows.append(
            _ga4_row(
                day,
                campaign.utm_source,
                campaign.utm_medium,
                campaign.utm_campaign,
                campaign.id if campaign.utm_campaign == campaign.id else "(not set)",
                ga4_channel_group(campaign.utm_source, campaign.utm_medium),
                sessions,
                key_events,
                transactions,
                revenue,
                KEY_EVENT_NAMES[campaign.conversion_event],
            )
        )
    for source, medium, name, group in UNPAID_TRAFFIC:
        rng = seeded_random("ga4", advertiser.seed, source, name, day.isoformat())
        sessions = int(rng.uniform(20, 600 if medium in ("organic", "(none)") else 80) * settle)
        key_events = int(sessions * rng.uniform(0.01, 0.04))
        revenue = round(key_events * rng.uniform(500, 900), 2)
        # Unpaid visits that convert buy when they bring revenue, otherwise they leave a lead.
        event_name = "purchase" if revenue else "generate_lead"
        rows.append(
            _ga4_row(
                day, source, medium, name, "(not set)", group, sessions, key_events, key_events, revenue, event_name
            )
        )
    return rows


def _key_events(event_name: str, count: int, revenue: float) -> list[dict]:
    """A row's key events by GA4 event name, with eventValue, the sum of their `value` parameter:
    a purchase's revenue, a sign_up's default value, nothing for the others. No key events, no entry:
    GA4 leaves rows whose metrics are all zero out of a report."""
    if not count:
        return []
    if event_name == "purchase":
        value = revenue
    elif event_name == "sign_up":
        value = round(SIGN_UP_DEFAULT_VALUE * count, 2)
    else:
        value = 0.0
    return [{"eventName": event_name, "isKeyEvent": "true", "keyEvents": count, "eventValue": value}]


def _ga4_row(
    day, source, medium, campaign_name, campaign_id, group, sessions, key_events, transactions, revenue, event_name
) -> dict:
    events = _key_events(event_name, key_events, revenue)
    return {
        "date": day,
        "sessionSource": source,
        "sessionMedium": medium,
        "sessionCampaignName": campaign_name,
        "sessionCampaignId": campaign_id,
        "sessionDefaultChannelGroup": group,
        "sessions": sessions,
        "totalUsers": int(sessions * 0.92),
        "engagedSessions": int(sessions * 0.58),
        "keyEvents": key_events,
        "purchaseRevenue": revenue,
        "totalRevenue": revenue,
        "transactions": transactions,
        "eventValue": sum(event["eventValue"] for event in events),
        "events": events,
    }

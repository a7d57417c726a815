"""What LinkedIn's Marketing API answers mean: the rows of the two raw tables and the parsers that
turn adCampaigns, conversion rules and adAnalytics elements into them.

Each parser checks the element against what was asked for and refuses what it cannot read with a
MalformedPayloadError that names the object, the account and the problem: nothing half-understood
reaches the warehouse. `linkedin_ads/client.py` does the asking (HTTP, paging, retries); this module only reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import re
from collections.abc import Callable, Iterable, Mapping

from connectors.errors import MalformedPayloadError
from connectors.redaction import excerpt

PLATFORM = "linkedin"

ACCOUNT_URN = "urn:li:sponsoredAccount:"
CAMPAIGN_URN = "urn:li:sponsoredCampaign:"
CAMPAIGN_GROUP_URN = "urn:li:sponsoredCampaignGroup:"
# A conversion rule as adAnalytics names it in pivotValues under the CONVERSION pivot (and as the
# Conversions API's events refer to it): learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/conversions-api
CONVERSION_URN = "urn:lla:llaPartnerConversion:"
# Campaign statuses that never delivered an impression: an empty answer for them is no news.
NEVER_DELIVERED_STATUSES = {"DRAFT"}

# adAnalytics metric → raw column. Money arrives as decimal strings, counts as integers.
METRIC_COLUMNS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "landingPageClicks": "landing_page_clicks",
    "costInLocalCurrency": "cost_in_local_currency",
    "costInUsd": "cost_in_usd",
    "externalWebsiteConversions": "external_website_conversions",
    "oneClickLeads": "one_click_leads",
    "conversionValueInLocalCurrency": "conversion_value_in_local_currency",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "follows": "follows",
    "totalEngagements": "total_engagements",
    "videoViews": "video_views",
    "approximateMemberReach": "approximate_member_reach",
}
MONEY_METRICS = {"costInLocalCurrency", "costInUsd", "conversionValueInLocalCurrency"}
# Reach counts distinct members: not summable, and absent means unknown (NULL), not zero.
NULLABLE_METRICS = {"approximateMemberReach"}

# The raw table's shape: one row per account × day × campaign, campaign attributes denormalised.
RAW_COLUMNS = {
    "account_id": "VARCHAR",
    "date": "DATE",
    "campaign_id": "VARCHAR",
    "campaign_name": "VARCHAR",
    "campaign_group": "VARCHAR",  # the campaign group's id (urn:li:sponsoredCampaignGroup:<id>)
    "campaign_status": "VARCHAR",
    "campaign_type": "VARCHAR",
    "cost_type": "VARCHAR",
    "currency": "VARCHAR",  # of the ad account: local-currency metrics and budgets are in it
    "daily_budget": "DECIMAL(18,2)",
    "total_budget": "DECIMAL(18,2)",
    **{column: "DECIMAL(18,2)" if metric in MONEY_METRICS else "BIGINT" for metric, column in METRIC_COLUMNS.items()},
    "raw_row": "JSON",  # the analytics element as LinkedIn sent it, chunks merged
    # The campaign's objectiveType (BRAND_AWARENESS, LEAD_GENERATION, WEBSITE_CONVERSION, ...):
    # what it was bought for, so that an awareness campaign is not judged on conversions.
    "objective_type": "VARCHAR",
}

# adAnalytics conversion metrics → raw column of the conversions table. externalWebsiteConversions
# is the sum of the post-click and the post-view (view-through) conversions; the value is in the
# ad account's currency (learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/ads-reporting,
# "Metrics available").
CONVERSION_METRIC_COLUMNS = {
    "externalWebsiteConversions": "conversions",
    "externalWebsitePostClickConversions": "post_click_conversions",
    "externalWebsitePostViewConversions": "post_view_conversions",
    "conversionValueInLocalCurrency": "conversion_value",
}

# One row per account × day × campaign × conversion rule; rules that counted nothing that day are absent.
CONVERSIONS_RAW_COLUMNS = {
    "account_id": "VARCHAR",
    "date": "DATE",
    "campaign_id": "VARCHAR",
    "conversion_id": "VARCHAR",  # the conversion rule's id (urn:lla:llaPartnerConversion:<id>)
    "conversion_name": "VARCHAR",
    "conversion_type": "VARCHAR",  # the rule's type as LinkedIn sends it: LEAD, PURCHASE, SIGN_UP, ...
    **{
        column: "DECIMAL(18,2)" if metric in MONEY_METRICS else "BIGINT"
        for metric, column in CONVERSION_METRIC_COLUMNS.items()
    },
    "currency": "VARCHAR",  # of the ad account, as in linkedin_ads_analytics
    "raw_row": "JSON",  # the statistics element as LinkedIn sent it
}


@dataclasses.dataclass(frozen=True)
class LinkedInCampaign:
    """A campaign's attributes from the adCampaigns call, named as the raw columns they fill."""

    campaign_id: str
    campaign_name: str
    campaign_group: str | None
    campaign_status: str
    campaign_type: str | None
    cost_type: str | None
    currency: str | None
    daily_budget: float | None
    total_budget: float | None
    objective_type: str | None
    # Not columns: the campaign's runSchedule (start, and end when it has one) as UTC days, the
    # days adAnalytics reports in. They say whether an empty analytics answer is plausible.
    runs_from: dt.date | None = None
    runs_until: dt.date | None = None

    @property
    def urn(self) -> str:
        return f"{CAMPAIGN_URN}{self.campaign_id}"

    def could_have_run(self, since: dt.date, until: dt.date) -> bool:
        """Whether the campaign may have delivered on some day of [since, until]: its run schedule
        overlaps the range, whatever its status now (a campaign paused today ran last week). A
        draft never ran; a campaign without a schedule is given the benefit of the doubt."""
        if self.campaign_status in NEVER_DELIVERED_STATUSES:
            return False
        return (self.runs_from is None or self.runs_from <= until) and (
            self.runs_until is None or self.runs_until >= since
        )


@dataclasses.dataclass(frozen=True)
class ConversionRule:
    """A conversion rule from the Conversions API, named as the raw columns it fills."""

    conversion_id: str
    conversion_name: str
    conversion_type: str | None


# --- parsing -----------------------------------------------------------------------------------

# LinkedIn's money strings carry long decimals ("107.5300000000000335346") and, in live answers,
# tiny negatives in exponent form ("-2e-18"): both are numbers. A decimal comma is not.
_DECIMAL = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_CENT = decimal.Decimal("0.01")


def parse_money(value, fail: Callable[[str], Exception], field: str) -> float | None:
    """A LinkedIn amount (string or number) rounded to the cent; None when absent; `fail(what)` when
    it is not a decimal number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not _DECIMAL.fullmatch(str(value)):
        raise fail(f"{field}={value!r} is not a decimal number")
    try:
        # Decimal, not float, for the rounding: LinkedIn's costs carry many decimals.
        cents = decimal.Decimal(str(value)).quantize(_CENT, rounding=decimal.ROUND_HALF_UP)
    except decimal.InvalidOperation:
        cents = None
    if cents is None:
        raise fail(f"{field}={value!r} is too large for an amount")
    return float(cents) + 0.0  # + 0.0: "-2e-18" rounds to -0.00, which is plain zero


def _malformed(subject: str, account_id: str, element) -> Callable[[str], MalformedPayloadError]:
    """How a parser refuses what LinkedIn sent: `fail(what)` names the object, the account and the
    problem, and quotes the start of the element."""

    def fail(what: str) -> MalformedPayloadError:
        return MalformedPayloadError(
            PLATFORM,
            f"LinkedIn returned a malformed {subject} ({what}); nothing from this sync was written. Element: {excerpt(json.dumps(element), 300)}",
            account_id,
        )

    return fail


def parse_campaign(element, account_id: str) -> LinkedInCampaign:
    """Validate one adCampaigns element and keep the attributes the rows carry."""

    fail = _malformed(f"campaign for ad account {account_id}", account_id, element)

    if not isinstance(element, Mapping):
        raise fail("not an object")
    campaign_id = element.get("id")
    if isinstance(campaign_id, bool) or not isinstance(campaign_id, (int, str)) or not str(campaign_id).isdigit():
        raise fail(f"id={campaign_id!r} is not a campaign id")
    if not isinstance(element.get("name"), str) or not isinstance(element.get("status"), str):
        raise fail("name or status is missing")
    if element.get("account") not in (None, f"{ACCOUNT_URN}{account_id}"):
        raise fail(f"account {element.get('account')!r} is not the account asked for")
    budgets = {key: _object(element.get(key)) for key in ("dailyBudget", "totalBudget", "unitCost")}
    currency = next((b["currencyCode"] for b in budgets.values() if b.get("currencyCode")), None)
    group = element.get("campaignGroup")
    objective = element.get("objectiveType")
    schedule = _object(element.get("runSchedule"))
    return LinkedInCampaign(
        campaign_id=str(campaign_id),
        campaign_name=element["name"],
        campaign_group=group.removeprefix(CAMPAIGN_GROUP_URN) if isinstance(group, str) else None,
        campaign_status=element["status"],
        campaign_type=element.get("type"),
        cost_type=element.get("costType"),
        currency=currency,
        daily_budget=parse_money(budgets["dailyBudget"].get("amount"), fail, "dailyBudget.amount"),
        total_budget=parse_money(budgets["totalBudget"].get("amount"), fail, "totalBudget.amount"),
        objective_type=objective if isinstance(objective, str) else None,
        runs_from=_utc_day(schedule.get("start"), fail, "runSchedule.start"),
        runs_until=_utc_day(schedule.get("end"), fail, "runSchedule.end"),
    )


def _object(value) -> Mapping:
    """`value` when it is a JSON object, else an empty one (an absent or malformed optional part)."""
    return value if isinstance(value, Mapping) else {}


def _utc_day(epoch_ms, fail: Callable[[str], Exception], field: str) -> dt.date | None:
    """A runSchedule time (epoch milliseconds) as its UTC day; None when absent."""
    if epoch_ms is None:
        return None
    if isinstance(epoch_ms, bool) or not isinstance(epoch_ms, int):
        raise fail(f"{field}={epoch_ms!r} is not a time in epoch milliseconds")
    try:
        return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        raise fail(f"{field}={epoch_ms!r} is not a time in epoch milliseconds") from None


def accounts_with_a_role(elements: Iterable) -> set[str]:
    """The ad account ids among adAccountUsers elements (finder q=authenticatedUser) that give the
    token's member a role: {"account": "urn:li:sponsoredAccount:123", "user": "urn:li:person:..",
    "role": "VIEWER" | "CREATIVE_MANAGER" | "CAMPAIGN_MANAGER" | "ACCOUNT_MANAGER" |
    "ACCOUNT_BILLING_ADMIN", ...} (learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/create-and-manage-account-users).
    Every role may read the account's reports."""
    return {
        element["account"].removeprefix(ACCOUNT_URN)
        for element in elements
        if isinstance(element, Mapping)
        and isinstance(element.get("account"), str)
        and element["account"].startswith(ACCOUNT_URN)
        and isinstance(element.get("role"), str)
    }


def parse_conversion_rule(element, account_id: str) -> ConversionRule:
    """Validate one conversion rule of the Conversions API and keep its id, name and type (schema at
    learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/conversions-api-schema). Disabled
    rules (enabled: false) are kept: what they counted before stays in the reports."""

    fail = _malformed(f"conversion rule for ad account {account_id}", account_id, element)

    if not isinstance(element, Mapping):
        raise fail("not an object")
    rule_id = element.get("id")
    if isinstance(rule_id, bool) or not isinstance(rule_id, (int, str)) or not str(rule_id).isdigit():
        raise fail(f"id={rule_id!r} is not a conversion rule id")
    if not isinstance(element.get("name"), str):
        raise fail("name is missing")
    if element.get("account") not in (None, f"{ACCOUNT_URN}{account_id}"):
        raise fail(f"account {element.get('account')!r} is not the account asked for")
    rule_type = element.get("type")
    return ConversionRule(
        conversion_id=str(rule_id),
        conversion_name=element["name"],
        conversion_type=rule_type if isinstance(rule_type, str) else None,
    )


def _malformed_element(element, account_id: str, problem: str) -> MalformedPayloadError:
    return MalformedPayloadError(
        PLATFORM,
        f"LinkedIn returned a malformed analytics element for ad account {account_id} ({problem}); nothing from this sync was written. Element: {excerpt(json.dumps(element), 300)}",
        account_id,
    )


def _daily_element(element, since: dt.date, until: dt.date, account_id: str) -> tuple[str, list]:
    """(ISO day, pivotValues) of one daily adAnalytics element, its day checked against the range asked for."""
    try:
        start, end = (
            (element["dateRange"][side]["year"], element["dateRange"][side]["month"], element["dateRange"][side]["day"])
            for side in ("start", "end")
        )
        day = dt.date(*start)
        urns = element["pivotValues"]
    except (KeyError, TypeError, ValueError) as error:
        problem = f"no readable dateRange or pivotValues ({type(error).__name__})"
        raise _malformed_element(element, account_id, problem) from None
    if start != end or not since <= day <= until:
        raise _malformed_element(element, account_id, f"a daily element must have start = end within {since}..{until}")
    if not isinstance(urns, list):
        raise _malformed_element(element, account_id, f"pivotValues {urns!r} is not a list")
    return day.isoformat(), urns


def element_key(
    element, by_urn: Mapping[str, LinkedInCampaign], since: dt.date, until: dt.date, account_id: str
) -> tuple[str, str]:
    """(ISO day, campaign URN) of one daily analytics element, checked against what was asked."""
    day, urns = _daily_element(element, since, until, account_id)
    if len(urns) != 1 or urns[0] not in by_urn:
        raise _malformed_element(element, account_id, f"pivotValues {urns!r} is not one of the campaigns asked for")
    return day, urns[0]


def conversion_element_key(element, since: dt.date, until: dt.date, account_id: str) -> tuple[str, str, str]:
    """(ISO day, campaign id, conversion rule id) of one daily statistics element (pivots CAMPAIGN, CONVERSION)."""
    day, urns = _daily_element(element, since, until, account_id)
    ids = [
        urn.removeprefix(prefix)
        for urn, prefix in zip(urns, (CAMPAIGN_URN, CONVERSION_URN))
        if isinstance(urn, str) and urn.startswith(prefix) and urn.removeprefix(prefix).isdigit()
    ]
    if len(urns) != 2 or len(ids) != 2:
        raise _malformed_element(
            element, account_id, f"pivotValues {urns!r} is not [campaign URN, conversion URN] as pivots asked"
        )
    return day, ids[0], ids[1]


def _metric(element: Mapping, field: str, fail: Callable[[str], Exception]):
    """One adAnalytics metric: money as cents, counts as integers; an omitted metric is zero, except
    reach, which is unknown (NULL) when absent."""
    value = element.get(field)
    if field in MONEY_METRICS:
        return parse_money(value, fail, field) or 0.0
    if value is None:
        return None if field in NULLABLE_METRICS else 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{field}={value!r} is not an integer")
    return value


def parse_analytics_element(element: Mapping, campaign: LinkedInCampaign, account_id: str, day: str) -> dict:
    """One merged analytics element → the raw-table record (see RAW_COLUMNS)."""

    fail = _malformed(
        f"analytics element for campaign {campaign.campaign_id} of ad account {account_id} on {day}",
        account_id,
        dict(element),
    )

    if campaign.currency is None:
        raise fail("the campaign has no currency in its budget or unit cost")
    values = {
        "account_id": account_id,
        "date": day,
        **dataclasses.asdict(campaign),
        **{column: _metric(element, field, fail) for field, column in METRIC_COLUMNS.items()},
        "raw_row": json.dumps(dict(element), separators=(",", ":")),
    }
    return {column: values[column] for column in RAW_COLUMNS}


def parse_conversion_element(
    element: Mapping,
    account_id: str,
    day: str,
    campaign_id: str,
    conversion_id: str,
    rule: ConversionRule | None,
    currency: str,
) -> dict:
    """One statistics element → the conversions raw-table record (see CONVERSIONS_RAW_COLUMNS). The
    rule's type lands as LinkedIn sends it: which types count is decided downstream."""

    fail = _malformed(
        f"conversions element for conversion rule {conversion_id} of campaign {campaign_id} of ad account {account_id} on {day}",
        account_id,
        dict(element),
    )

    values = {
        "account_id": account_id,
        "date": day,
        "campaign_id": campaign_id,
        "conversion_id": conversion_id,
        "conversion_name": rule.conversion_name if rule else None,
        "conversion_type": rule.conversion_type if rule else None,
        **{column: _metric(element, field, fail) for field, column in CONVERSION_METRIC_COLUMNS.items()},
        "currency": currency,
        "raw_row": json.dumps(dict(element), separators=(",", ":")),
    }
    return {column: values[column] for column in CONVERSIONS_RAW_COLUMNS}

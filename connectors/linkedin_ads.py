"""LinkedIn Ads campaign analytics and conversions through the Marketing API (REST, Rest.li 2.0), with `requests`.

Two raw tables, one client:
- `linkedin_ads_analytics` (SOURCE): per ad account, the campaigns (every status, paged with
  nextPageToken) give the attributes joined onto each row; then adAnalytics with pivot CAMPAIGN
  and DAILY granularity.
- `linkedin_ads_conversions` (CONVERSIONS_SOURCE): per ad account, its conversion rules (the
  Conversions API's finder by account, paged with start/count) give each rule's name and type,
  the ad account its currency; then ONE adAnalytics statistics request with pivots CAMPAIGN and
  CONVERSION: website conversions per campaign × conversion rule × day.
Both go through the same request, retry, error and parsing code below. adAnalytics requests are
asked so that LinkedIn answers them whole:
- at most 20 fields a request, dateRange and pivotValues included: metrics are asked for in chunks
  and merged on (campaign, day);
- never 15,000 possible elements (campaigns × days) in one request, because LinkedIn cuts larger
  answers silently; an answer that reaches the limit all the same is split and asked for again;
- ranges of at most 92 days, the longest LinkedIn reports approximateMemberReach for.
The query string is written by hand: Rest.li's parentheses, colons and commas must arrive as they
are, the URNs inside List(...) percent-encoded. A URL too long for LinkedIn (414) is sent again as
a POST with X-HTTP-Method-Override: GET and the query in the body.

Failures: 429 waits (Retry-After, else backoff); 5xx and broken connections retry with backoff and
jitter; 401 refreshes the access token once when refresh credentials are set; 426 (a retired
LinkedIn-Version), 400, 403 and 404 stop at once with the account and the fix named.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import logging
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping

import requests

from connectors.errors import (
    MalformedPayloadError,
    PlatformAuthError,
    PlatformConfigError,
)
from connectors.retry import Backoff, HttpRetry
from connectors.source import (
    CHECK_MAX_THROTTLE_WAIT_SECONDS,
    AccessCheck,
    RawSource,
    RestatementWindow,
    SliceRecords,
    check_slices,
    fetch_slices,
)

PLATFORM = "linkedin"
RAW_TABLE = "linkedin_ads_analytics"
CONVERSIONS_RAW_TABLE = "linkedin_ads_conversions"
DEFAULT_API_URL = "https://api.linkedin.com"
DEFAULT_OAUTH_URL = "https://www.linkedin.com"
DEFAULT_API_VERSION = "202610"  # LinkedIn-Version, YYYYMM; LinkedIn retires a version after about a year
RESTLI_PROTOCOL_VERSION = "2.0.0"
ALL_CAMPAIGN_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "ARCHIVED",
    "COMPLETED",
    "CANCELED",
    "DRAFT",
    "PENDING_DELETION",
    "REMOVED",
)
ELEMENT_FIELDS = ("dateRange", "pivotValues")  # asked for in every analytics request; they count toward the 20
LINKEDIN_FIELD_LIMIT = 20
LINKEDIN_ELEMENT_LIMIT = 15_000
MAX_REACH_RANGE_DAYS = 92
ACCOUNT_URN = "urn:li:sponsoredAccount:"
CAMPAIGN_URN = "urn:li:sponsoredCampaign:"
CAMPAIGN_GROUP_URN = "urn:li:sponsoredCampaignGroup:"
# A conversion rule as adAnalytics names it in pivotValues under the CONVERSION pivot (and as the
# Conversions API's events refer to it): learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/conversions-api
CONVERSION_URN = "urn:lla:llaPartnerConversion:"
REFRESH_VARIABLES = ("LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET", "LINKEDIN_REFRESH_TOKEN")

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

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class LinkedInAdsSettings:
    """Everything the connector needs, read from the environment at run time.

    Credentials: an access token, refresh credentials (client id, secret, refresh token), or both;
    with refresh credentials an expired or missing access token is renewed on the way.
    """

    account_ids: tuple[str, ...]
    access_token: str | None = dataclasses.field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = dataclasses.field(default=None, repr=False)
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL
    api_version: str = DEFAULT_API_VERSION
    campaign_page_size: int = 100
    conversion_rule_page_size: int = 100
    max_fields_per_call: int = LINKEDIN_FIELD_LIMIT
    max_elements_per_call: int = LINKEDIN_ELEMENT_LIMIT
    max_throttle_wait_seconds: float = 15 * 60
    timeout_seconds: float = 120.0
    backoff: Backoff = Backoff()

    def __post_init__(self):
        if not self.access_token and not self.can_refresh:
            raise PlatformConfigError(
                PLATFORM,
                "LinkedIn needs an access token or refresh credentials: set LINKEDIN_ACCESS_TOKEN, or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN.",
            )
        if self.max_fields_per_call <= len(ELEMENT_FIELDS) or self.max_elements_per_call < 2:
            raise PlatformConfigError(
                PLATFORM,
                f"max_fields_per_call must leave room for a metric beside {', '.join(ELEMENT_FIELDS)}, and max_elements_per_call be at least 2.",
            )

    @property
    def can_refresh(self) -> bool:
        return bool(self.client_id and self.client_secret and self.refresh_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> LinkedInAdsSettings | None:
        """None when LinkedIn is not configured at all; an error when it is only half configured."""

        def value(name: str) -> str:
            return env.get(name, "").strip()

        token, accounts = value("LINKEDIN_ACCESS_TOKEN"), value("LINKEDIN_AD_ACCOUNT_IDS")
        refresh = {name: value(name) for name in REFRESH_VARIABLES}
        if not token and not accounts and not any(refresh.values()):
            return None
        missing_refresh = [name for name, given in refresh.items() if not given]
        if any(refresh.values()) and missing_refresh:
            raise PlatformConfigError(
                PLATFORM,
                f"LinkedIn refresh credentials are incomplete: {', '.join(missing_refresh)} not set. Set all of {', '.join(REFRESH_VARIABLES)} (from the LinkedIn app and its OAuth flow), or none of them and LINKEDIN_ACCESS_TOKEN.",
            )
        if not token and not any(refresh.values()):
            raise PlatformConfigError(
                PLATFORM,
                "LINKEDIN_AD_ACCOUNT_IDS is set but no LinkedIn credentials are: set LINKEDIN_ACCESS_TOKEN (a token with the r_ads and r_ads_reporting scopes), or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN.",
            )
        if not accounts:
            raise PlatformConfigError(
                PLATFORM,
                "LinkedIn credentials are set but LINKEDIN_AD_ACCOUNT_IDS is not: list the ad account ids, comma-separated (123 or urn:li:sponsoredAccount:123).",
            )
        version = value("LINKEDIN_API_VERSION") or DEFAULT_API_VERSION
        if not re.fullmatch(r"\d{6}(\.\d{2})?", version):
            raise PlatformConfigError(
                PLATFORM,
                f"LINKEDIN_API_VERSION={version!r} is not a LinkedIn API version: use YYYYMM, e.g. {DEFAULT_API_VERSION}.",
            )
        return cls(
            account_ids=tuple(normalize_account_id(part) for part in accounts.split(",") if part.strip()),
            access_token=token or None,
            client_id=refresh["LINKEDIN_CLIENT_ID"] or None,
            client_secret=refresh["LINKEDIN_CLIENT_SECRET"] or None,
            refresh_token=refresh["LINKEDIN_REFRESH_TOKEN"] or None,
            api_url=(value("LINKEDIN_API_URL") or DEFAULT_API_URL).rstrip("/"),
            oauth_url=(value("LINKEDIN_OAUTH_URL") or DEFAULT_OAUTH_URL).rstrip("/"),
            api_version=version,
        )


def normalize_account_id(value: str) -> str:
    """'urn:li:sponsoredAccount:123', ' 123 ' → '123'."""
    digits = value.strip().removeprefix(ACCOUNT_URN)
    if not digits.isdigit():
        raise PlatformConfigError(
            PLATFORM,
            f"{value.strip()!r} in LINKEDIN_AD_ACCOUNT_IDS is not an ad account id: use the digits, with or without 'urn:li:sponsoredAccount:'.",
        )
    return digits


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

    @property
    def urn(self) -> str:
        return f"{CAMPAIGN_URN}{self.campaign_id}"


@dataclasses.dataclass(frozen=True)
class ConversionRule:
    """A conversion rule from the Conversions API, named as the raw columns it fills."""

    conversion_id: str
    conversion_name: str
    conversion_type: str | None


class LinkedInAdsClient:
    """Fetches daily campaign analytics and conversions for LinkedIn ad accounts over one HTTP session.

    `sleep` is the clock the client waits with; tests pass one that records instead of sleeping.
    """

    def __init__(self, settings: LinkedInAdsSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.sleep = sleep
        self._session = requests.Session()
        self._access_token = settings.access_token
        self._refresh_token = settings.refresh_token
        self._tunnel_urls_from: int | None = None  # the shortest URL LinkedIn answered 414 for
        self.token_refreshes = 0

    def close(self) -> None:
        self._session.close()

    # --- public ---------------------------------------------------------------------------------

    def campaigns(self, account_id: str) -> list[LinkedInCampaign]:
        """Every campaign of the account, whatever its status (ended campaigns keep their history)."""
        account_id = normalize_account_id(account_id)
        query = f"q=search&search=(status:(values:List({','.join(ALL_CAMPAIGN_STATUSES)})))&pageSize={self.settings.campaign_page_size}"
        campaigns, page_token, seen_tokens = [], None, set()
        while True:
            page_query = query + (f"&pageToken={urllib.parse.quote(page_token, safe='')}" if page_token else "")
            body = self._get(account_id, f"/rest/adAccounts/{account_id}/adCampaigns", page_query, "campaigns")
            campaigns.extend(
                parse_campaign(element, account_id) for element in _elements(body, account_id, "adCampaigns")
            )
            page_token = (body.get("metadata") or {}).get("nextPageToken")
            if not page_token:
                return campaigns
            if page_token in seen_tokens:
                raise MalformedPayloadError(
                    PLATFORM,
                    f"LinkedIn repeated a campaigns page token for ad account {account_id}; stopping rather than looping.",
                    account_id,
                )
            seen_tokens.add(page_token)

    def check_account(self, account_id: str) -> None:
        """One read-only call that the token may read this account; raises the sorted error if not.

        The first campaign of the account (pageSize=1): the same endpoint and access a sync starts
        with, renewing an expired access token on the way as a sync would.
        """
        account_id = normalize_account_id(account_id)
        self._get(account_id, f"/rest/adAccounts/{account_id}/adCampaigns", "q=search&pageSize=1", "campaigns")

    def daily_analytics(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """Records for one account, one per day × campaign that LinkedIn reports (absent = no delivery)."""
        account_id = normalize_account_id(account_id)
        campaigns = self.campaigns(account_id)
        for start, end, batch in plan_requests(campaigns, since, until, self.settings.max_elements_per_call):
            yield from self.analytics_records(account_id, batch, start, end)

    def analytics_records(
        self, account_id: str, campaigns: list[LinkedInCampaign], since: dt.date, until: dt.date
    ) -> Iterator[dict]:
        """Records for one batch of campaigns over one range, the metrics fetched in chunks and merged.

        An answer with as many elements as the limit may have been cut: the batch is halved (the
        campaigns, or else the range) and each half asked for again.
        """
        by_urn = {campaign.urn: campaign for campaign in campaigns}
        merged = self._merged_elements(
            account_id,
            "analytics",
            list(METRIC_COLUMNS),
            lambda metrics: analytics_query(list(by_urn), since, until, metrics),
            lambda element: element_key(element, by_urn, since, until, account_id),
        )
        if merged is None:
            for half_campaigns, half_since, half_until in _halves(campaigns, since, until, account_id):
                yield from self.analytics_records(account_id, half_campaigns, half_since, half_until)
            return
        for (day, urn), element in sorted(merged.items()):
            yield parse_analytics_element(element, by_urn[urn], account_id, day)

    def conversion_rules(self, account_id: str) -> list[ConversionRule]:
        """Every conversion rule of the account, enabled or not (a disabled rule keeps what it counted).

        The Conversions API's finder by ad account, GET /rest/conversions?q=account&account=<URN>
        (learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/conversion-tracking),
        paged Rest.li's way: start and count asked for, paging {start, count, total} answered.
        """
        account_id = normalize_account_id(account_id)
        size, start, rules, seen = self.settings.conversion_rule_page_size, 0, [], set()
        while True:
            body = self._get(
                account_id, "/rest/conversions", conversion_rules_query(account_id, start, size), "conversion rules"
            )
            page = [
                parse_conversion_rule(element, account_id) for element in _elements(body, account_id, "conversions")
            ]
            ids = {rule.conversion_id for rule in page}
            if page and ids <= seen:
                raise MalformedPayloadError(
                    PLATFORM,
                    f"LinkedIn answered the same conversion rules again at start={start} for ad account {account_id}; stopping rather than looping.",
                    account_id,
                )
            seen |= ids
            rules.extend(page)
            start += size
            total = (body.get("paging") or {}).get("total")
            if len(page) < size or (isinstance(total, int) and start >= total):
                return rules

    def account_currency(self, account_id: str) -> str:
        """The ad account's currency: the one its local-currency metrics and conversion values are in
        (GET /rest/adAccounts/{id}, learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/create-and-manage-accounts)."""
        account_id = normalize_account_id(account_id)
        body = self._get(account_id, f"/rest/adAccounts/{account_id}", "", "ad account")
        currency = body.get("currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            raise MalformedPayloadError(
                PLATFORM,
                f"LinkedIn's ad account {account_id} has no readable currency ({currency!r}); nothing from this sync was written.",
                account_id,
            )
        return currency

    def check_conversion_rules(self, account_id: str) -> None:
        """One read-only call that the token may read this account's conversion rules (count=1)."""
        account_id = normalize_account_id(account_id)
        self._get(account_id, "/rest/conversions", conversion_rules_query(account_id, 0, 1), "conversion rules")

    def daily_conversions(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """Records for one account, one per day × campaign × conversion rule that LinkedIn reports."""
        account_id = normalize_account_id(account_id)
        rules = {rule.conversion_id: rule for rule in self.conversion_rules(account_id)}
        currency = self.account_currency(account_id)
        yield from self.conversion_records(account_id, rules, currency, since, until)

    def conversion_records(
        self, account_id: str, rules: Mapping[str, ConversionRule], currency: str, since: dt.date, until: dt.date
    ) -> Iterator[dict]:
        """Records for one range from one statistics request (pivots CAMPAIGN and CONVERSION), the
        whole account at once. An answer that reaches the element limit is asked for again in halves
        of the range.

        An empty answer gives no rows, as on the analytics table: LinkedIn answers empty both when
        nothing happened and when the token cannot read the account ("An empty response is returned
        if there's no activity to report or if you don't have read access", ads-reporting docs), and
        cannot tell the two apart; `social-roi check` is where access is proven.
        """
        merged = self._merged_elements(
            account_id,
            "conversion analytics",
            list(CONVERSION_METRIC_COLUMNS),
            lambda metrics: statistics_query(account_id, since, until, metrics),
            lambda element: conversion_element_key(element, since, until, account_id),
        )
        if merged is None:
            for _, half_since, half_until in _halves([account_id], since, until, account_id):
                yield from self.conversion_records(account_id, rules, currency, half_since, half_until)
            return
        unknown = sorted({conversion_id for _, _, conversion_id in merged} - set(rules))
        if unknown:
            # A rule deleted since keeps its history in the reports but no longer comes back from the
            # finder: its rows are kept, without a name or type.
            log.warning(
                "LinkedIn reported conversions of rules %s that ad account %s no longer lists; kept without name or type",
                ", ".join(unknown),
                account_id,
            )
        for (day, campaign_id, conversion_id), element in sorted(merged.items()):
            yield parse_conversion_element(
                element, account_id, day, campaign_id, conversion_id, rules.get(conversion_id), currency
            )

    def _merged_elements(
        self,
        account_id: str,
        what: str,
        metrics: list[str],
        query: Callable[[list[str]], str],
        key: Callable[[Mapping], tuple],
    ) -> dict[tuple, dict] | None:
        """One range's adAnalytics elements, the metrics asked for in chunks within LinkedIn's 20
        fields and merged on `key`; None when an answer reached the element limit (LinkedIn may have
        cut it silently) and the caller must ask for smaller pieces."""
        merged: dict[tuple, dict] = {}
        for chunk in field_chunks(metrics, self.settings.max_fields_per_call):
            elements = _elements(
                self._get(account_id, "/rest/adAnalytics", query(chunk), what), account_id, "adAnalytics"
            )
            if len(elements) >= self.settings.max_elements_per_call:
                log.info(
                    "LinkedIn answered %d %s elements for %s: possibly cut, splitting", len(elements), what, account_id
                )
                return None
            for element in elements:
                merged.setdefault(key(element), {}).update(element)
        return merged

    # --- HTTP -------------------------------------------------------------------------------------

    def _get(self, account_id: str, path: str, query: str, what: str) -> dict:
        """One Rest.li GET with LinkedIn's failures handled; tunnelled as a POST when the URL is too long."""
        url = f"{self.settings.api_url}{path}" + (f"?{query}" if query else "")
        tunnel = self._tunnel_urls_from is not None and len(url) >= self._tunnel_urls_from
        refreshed = False
        while True:
            # The lambda is called within this iteration, so it always sees this iteration's `tunnel`.
            response = self._send(account_id, what, lambda: self._request(path, query, url, tunnel))  # noqa: B023
            if response.status_code == 200:
                return _json_body(response, account_id, what)
            if response.status_code == 414 and not tunnel:
                log.info(
                    "LinkedIn found the %s URL for ad account %s too long (%d chars); tunnelling it as a POST",
                    what,
                    account_id,
                    len(url),
                )
                self._tunnel_urls_from = min(len(url), self._tunnel_urls_from or len(url))
                tunnel = True
                continue
            if response.status_code == 401 and self.settings.can_refresh and not refreshed:
                self._refresh_access_token(account_id)
                refreshed = True
                continue
            raise self._refusal(response, account_id, what, refreshed)

    def _request(self, path: str, query: str, url: str, tunnel: bool) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {self._current_token()}",
            "LinkedIn-Version": self.settings.api_version,
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
        }
        timeout = self.settings.timeout_seconds
        if tunnel:
            headers.update({"X-HTTP-Method-Override": "GET", "Content-Type": "application/x-www-form-urlencoded"})
            return self._session.post(
                f"{self.settings.api_url}{path}", data=query.encode(), headers=headers, timeout=timeout
            )
        # A URL string, not a params dict: requests would percent-encode the Rest.li syntax.
        return self._session.get(url, headers=headers, timeout=timeout)

    def _current_token(self) -> str:
        if self._access_token is None:  # only refresh credentials were configured
            self._refresh_access_token(None)
        return self._access_token

    def _send(self, account_id: str | None, what: str, send: Callable[[], requests.Response]) -> requests.Response:
        """Send until LinkedIn answers something other than a throttle or a server error."""
        where = f"ad account {account_id}" if account_id else "the token refresh"
        retry = HttpRetry(
            PLATFORM, "LinkedIn", self.settings.backoff, self.settings.max_throttle_wait_seconds, self.sleep
        )
        return retry.send(
            send,
            f"the {what} calls for {where} (API at {self.settings.api_url})",
            account_id,
            detail=lambda response: _error_detail(response, self._secrets()),
            throttle_hint=" The metric-volume limit resets within minutes, the daily call limit at midnight UTC.",
        )

    def _refresh_access_token(self, account_id: str | None) -> None:
        settings = self.settings
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        }
        url = f"{settings.oauth_url}/oauth/v2/accessToken"
        response = self._send(
            account_id, "token refresh", lambda: self._session.post(url, data=form, timeout=settings.timeout_seconds)
        )
        body = _json_body(response, account_id, "token refresh") if response.status_code == 200 else {}
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise PlatformAuthError(
                PLATFORM,
                f"LinkedIn refused to refresh the access token{f' for ad account {account_id}' if account_id else ''} (HTTP {response.status_code} {_error_detail(response, self._secrets())}). Create a new refresh token through the app's OAuth flow (they live 365 days) and set LINKEDIN_REFRESH_TOKEN, with LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET of the same app.",
                account_id,
            )
        self._access_token = token
        self._refresh_token = body.get("refresh_token") or self._refresh_token
        self.token_refreshes += 1
        log.info("Refreshed the LinkedIn access token")

    def _refusal(self, response: requests.Response, account_id: str, what: str, refreshed: bool) -> Exception:
        status, detail = response.status_code, _error_detail(response, self._secrets())
        where = f"ad account {account_id}"
        if status == 401 and refreshed:
            return PlatformAuthError(
                PLATFORM,
                f"LinkedIn rejected even a freshly refreshed access token for {where} (401 {detail}). Check that the app still has the r_ads and r_ads_reporting scopes, then create a new refresh token and set LINKEDIN_REFRESH_TOKEN.",
                account_id,
            )
        if status == 401:
            return PlatformAuthError(
                PLATFORM,
                f"LinkedIn rejected the access token while reading {what} for {where} (401 {detail}). Create a new access token with the r_ads and r_ads_reporting scopes and set LINKEDIN_ACCESS_TOKEN, or set LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN so the connector renews it.",
                account_id,
            )
        if status == 426:
            return PlatformConfigError(
                PLATFORM,
                f"LinkedIn no longer serves API version {self.settings.api_version} (426 {detail}), so {what} for {where} cannot be read. Set LINKEDIN_API_VERSION to a current version (YYYYMM, listed on LinkedIn's Marketing API versioning page) and rerun.",
                account_id,
            )
        if status == 403:
            return PlatformAuthError(
                PLATFORM,
                f"The LinkedIn token may not read {what} for {where} (403 {detail}). Give the token's member a role on the ad account (Viewer or above) and the app the r_ads and r_ads_reporting scopes.",
                account_id,
            )
        if status == 404:
            return PlatformConfigError(
                PLATFORM,
                f"LinkedIn says {where} does not exist or cannot be seen (404 {detail}). Check LINKEDIN_AD_ACCOUNT_IDS.",
                account_id,
            )
        return PlatformConfigError(
            PLATFORM,
            f"LinkedIn refused the {what} request for {where} (HTTP {status} {detail}). This is not retried; check LINKEDIN_AD_ACCOUNT_IDS and LINKEDIN_API_VERSION.",
            account_id,
        )

    def _secrets(self) -> list[str]:
        return [
            s
            for s in (self._access_token, self._refresh_token, self.settings.access_token, self.settings.client_secret)
            if s
        ]


def _error_detail(response: requests.Response, secrets: list[str]) -> str:
    """LinkedIn's error code and message (or the OAuth error), with any secret blanked out."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("code") or body.get("error") or body.get("serviceErrorCode") or ""
        detail = f"{code}: {body.get('message') or body.get('error_description') or ''}".strip(": ")
    else:
        detail = response.text[:200]
    for secret in secrets:
        detail = detail.replace(secret, "***")
    return detail[:300]


def _json_body(response: requests.Response, account_id: str | None, what: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise MalformedPayloadError(
            PLATFORM,
            f"LinkedIn answered the {what} request{f' for ad account {account_id}' if account_id else ''} with something that is not a JSON object: {response.text[:200]!r}",
            account_id,
        )
    return body


def _elements(body: dict, account_id: str, endpoint: str) -> list:
    elements = body.get("elements")
    if not isinstance(elements, list):
        raise MalformedPayloadError(
            PLATFORM,
            f"LinkedIn's {endpoint} answer for ad account {account_id} has no elements list: {json.dumps(body)[:300]}",
            account_id,
        )
    return elements


# --- planning the analytics requests -----------------------------------------------------------


def plan_requests(
    campaigns: list, since: dt.date, until: dt.date, max_elements: int
) -> Iterator[tuple[dt.date, dt.date, list]]:
    """(start, end, campaign batch) triples covering the range, each small enough that campaigns ×
    days stays below max_elements (LinkedIn cuts silently at the limit) and no range is longer than
    the 92 days LinkedIn reports reach for."""
    days_per_request = min(MAX_REACH_RANGE_DAYS, max_elements - 1)
    start = since
    while start <= until:
        end = min(until, start + dt.timedelta(days=days_per_request - 1))
        campaigns_per_request = (max_elements - 1) // ((end - start).days + 1)
        for first in range(0, len(campaigns), campaigns_per_request):
            yield start, end, campaigns[first : first + campaigns_per_request]
        start = end + dt.timedelta(days=1)


def field_chunks(metrics: list[str], max_fields: int) -> list[list[str]]:
    """The metrics split so that each request, with dateRange and pivotValues, has at most max_fields."""
    size = max_fields - len(ELEMENT_FIELDS)
    return [metrics[first : first + size] for first in range(0, len(metrics), size)]


def _halves(batch: list, since: dt.date, until: dt.date, account_id: str):
    """The batch (campaigns; for conversions, the one account) halved, or else the range."""
    if len(batch) > 1:
        middle = len(batch) // 2
        return [(batch[:middle], since, until), (batch[middle:], since, until)]
    if since < until:
        middle = since + (until - since) // 2
        return [(batch, since, middle), (batch, middle + dt.timedelta(days=1), until)]
    raise MalformedPayloadError(
        PLATFORM,
        f"LinkedIn answered more elements than the limit for a request that cannot be split further (ad account {account_id}, {since}).",
        account_id,
    )


def analytics_query(campaign_urns: list[str], since: dt.date, until: dt.date, metrics: list[str]) -> str:
    """The adAnalytics query string: Rest.li syntax as is, only the URNs inside List(...) encoded."""
    return "&".join(
        [
            "q=analytics",
            "pivot=(value:CAMPAIGN)",
            "timeGranularity=(value:DAILY)",
            f"dateRange=(start:{_restli_date(since)},end:{_restli_date(until)})",
            f"campaigns=List({','.join(urllib.parse.quote(urn, safe='') for urn in campaign_urns)})",
            f"fields={','.join([*ELEMENT_FIELDS, *metrics])}",
        ]
    )


def statistics_query(account_id: str, since: dt.date, until: dt.date, metrics: list[str]) -> str:
    """The adAnalytics statistics finder for one account, by campaign and conversion rule: the finder
    for up to three pivots, its elements' pivotValues in the order of `pivots`
    (learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/ads-reporting, "Statistics Finder")."""
    return "&".join(
        [
            "q=statistics",
            "pivots=List(CAMPAIGN,CONVERSION)",
            "timeGranularity=DAILY",
            f"dateRange=(start:{_restli_date(since)},end:{_restli_date(until)})",
            f"accounts=List({urllib.parse.quote(ACCOUNT_URN + account_id, safe='')})",
            f"fields={','.join([*ELEMENT_FIELDS, *metrics])}",
        ]
    )


def conversion_rules_query(account_id: str, start: int, count: int) -> str:
    """The Conversions API's finder by ad account, the account URN percent-encoded (conversion-tracking docs)."""
    return f"q=account&account={urllib.parse.quote(ACCOUNT_URN + account_id, safe='')}&start={start}&count={count}"


def _restli_date(day: dt.date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


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
            f"LinkedIn returned a malformed {subject} ({what}); nothing from this sync was written. Element: {json.dumps(element)[:300]}",
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
    budgets = {
        key: element.get(key) if isinstance(element.get(key), Mapping) else {}
        for key in ("dailyBudget", "totalBudget", "unitCost")
    }
    currency = next((b["currencyCode"] for b in budgets.values() if b.get("currencyCode")), None)
    group = element.get("campaignGroup")
    objective = element.get("objectiveType")
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
    )


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
        f"LinkedIn returned a malformed analytics element for ad account {account_id} ({problem}); nothing from this sync was written. Element: {json.dumps(element)[:300]}",
        account_id,
    )


def _daily_element(element, since: dt.date, until: dt.date, account_id: str) -> tuple[str, list]:
    """(ISO day, pivotValues) of one daily adAnalytics element, its day checked against the range asked for."""
    problem = None
    try:
        start, end = (
            (element["dateRange"][side]["year"], element["dateRange"][side]["month"], element["dateRange"][side]["day"])
            for side in ("start", "end")
        )
        day = dt.date(*start)
        urns = element["pivotValues"]
    except (KeyError, TypeError, ValueError) as error:
        problem = f"no readable dateRange or pivotValues ({type(error).__name__})"
    if problem is None and (start != end or not since <= day <= until):
        problem = f"a daily element must have start = end within {since}..{until}"
    if problem is None and not isinstance(urns, list):
        problem = f"pivotValues {urns!r} is not a list"
    if problem:
        raise _malformed_element(element, account_id, problem)
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


def fetch_window(settings: LinkedInAdsSettings, since: dt.date, until: dt.date) -> Iterator[SliceRecords]:
    """Every configured account's rows for [since, until], one account at a time, one session per run."""
    return fetch_slices(
        LinkedInAdsClient(settings), settings.account_ids, LinkedInAdsClient.daily_analytics, since, until
    )


def fetch_conversions_window(settings: LinkedInAdsSettings, since: dt.date, until: dt.date) -> Iterator[SliceRecords]:
    """Every configured account's conversions per rule for [since, until], one account at a time."""
    return fetch_slices(
        LinkedInAdsClient(settings), settings.account_ids, LinkedInAdsClient.daily_conversions, since, until
    )


def _check(settings: LinkedInAdsSettings, check_one: Callable[[LinkedInAdsClient, str], None]) -> Iterator[AccessCheck]:
    patient_enough = dataclasses.replace(
        settings, max_throttle_wait_seconds=min(settings.max_throttle_wait_seconds, CHECK_MAX_THROTTLE_WAIT_SECONDS)
    )
    return check_slices(lambda: LinkedInAdsClient(patient_enough), settings.account_ids, check_one)


def check_access(settings: LinkedInAdsSettings) -> Iterator[AccessCheck]:
    """(account id, None) for each ad account the credentials can read, (account id, the error and its fix) for the others."""
    return _check(settings, LinkedInAdsClient.check_account)


def check_conversions_access(settings: LinkedInAdsSettings) -> Iterator[AccessCheck]:
    """As check_access, through the conversion rules a conversions sync starts with."""
    return _check(settings, LinkedInAdsClient.check_conversion_rules)


CREDENTIALS_HINT = "LINKEDIN_AD_ACCOUNT_IDS with LINKEDIN_ACCESS_TOKEN or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN"
# LinkedIn's conversion window is 30 days by default and it revises reach and conversions for
# weeks; 90 days keeps a weekly request within its 92-day reach limit.
RESTATEMENT = RestatementWindow(nightly_days=14, weekly_days=90)

SOURCE = RawSource(
    platform=PLATFORM,
    table=RAW_TABLE,
    columns=RAW_COLUMNS,
    slice_column="account_id",
    date_column="date",
    credentials_hint=CREDENTIALS_HINT,
    settings_from_env=LinkedInAdsSettings.from_env,
    fetch=fetch_window,
    check=check_access,
    restatement=RESTATEMENT,
    setting_names=(
        "LINKEDIN_AD_ACCOUNT_IDS",
        "LINKEDIN_ACCESS_TOKEN",
        "LINKEDIN_CLIENT_ID",
        "LINKEDIN_CLIENT_SECRET",
        "LINKEDIN_REFRESH_TOKEN",
        "LINKEDIN_API_VERSION",
        "LINKEDIN_API_URL",
        "LINKEDIN_OAUTH_URL",
    ),
)

# The same settings as SOURCE (listed there), the same restatement: conversions are revised as
# long as the campaign figures they belong to.
CONVERSIONS_SOURCE = RawSource(
    platform=PLATFORM,
    table=CONVERSIONS_RAW_TABLE,
    columns=CONVERSIONS_RAW_COLUMNS,
    slice_column="account_id",
    date_column="date",
    credentials_hint=CREDENTIALS_HINT,
    settings_from_env=LinkedInAdsSettings.from_env,
    fetch=fetch_conversions_window,
    check=check_conversions_access,
    restatement=RESTATEMENT,
)

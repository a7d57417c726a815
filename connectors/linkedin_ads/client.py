"""LinkedIn Ads campaign analytics and conversions through the Marketing API (REST, Rest.li 2.0), with `requests`.

Two raw tables, one client:
- `linkedin_ads_analytics` (SOURCE): per ad account, the campaigns (every status, paged with
  nextPageToken) give the attributes joined onto each row; then adAnalytics with pivot CAMPAIGN
  and DAILY granularity.
- `linkedin_ads_conversions` (CONVERSIONS_SOURCE): per ad account, its conversion rules (the
  Conversions API's finder by account, paged with start/count) give each rule's name and type,
  the ad account its currency; then ONE adAnalytics statistics request with pivots CAMPAIGN and
  CONVERSION: website conversions per campaign × conversion rule × day.
Both go through the same request, retry and error code below, and the parsers of
`linkedin_ads/parsing.py`. adAnalytics requests are asked so that LinkedIn answers them whole:
- at most 20 fields a request, dateRange and pivotValues included: metrics are asked for in chunks
  and merged on (campaign, day);
- never 15,000 possible elements (campaigns × days) in one request, because LinkedIn cuts larger
  answers silently; an answer that reaches the limit all the same is split and asked for again;
- ranges of at most 92 days, the longest LinkedIn reports approximateMemberReach for.
The query string is written by hand: Rest.li's parentheses, colons and commas must arrive as they
are, the URNs inside List(...) percent-encoded. A URL too long for LinkedIn (414) is sent again as
a POST with X-HTTP-Method-Override: GET and the query in the body.

An empty answer is not taken on trust. LinkedIn answers adAnalytics with no elements "if there's no
activity to report or if you don't have read access to the requested advertising data"
(learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/ads-reporting), and a sync
replaces the window's rows with what it fetched: taken as "no delivery", lost access would delete
an account's history. So when an account's answer for a window is empty although some of its
campaigns were scheduled to run then, the connector asks which ad accounts the token's member
holds a role on (adAccountUsers, finder authenticatedUser); without one it raises a
PlatformAuthError, and the account's earlier rows stay. Campaigns that ended before the window (or
never started) make an empty answer plain "no delivery", with no extra call.

Failures: 429 waits (Retry-After, else backoff); 5xx and broken connections retry with backoff and
jitter; 401 refreshes the access token once when refresh credentials are set; 426 (a retired
LinkedIn-Version), 400, 403 and 404 stop at once with the account and the fix named.

Versions: LinkedIn serves each monthly version (YYYYMM) for about a year; `version_sunset` gives the
day this connector expects it to go, and `social-roi check` warns 60 days ahead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping

import requests

from connectors import clock
from connectors.endpoints import credentialed_url
from connectors.errors import (
    MalformedPayloadError,
    PlatformAuthError,
    PlatformConfigError,
    PlatformError,
)
from connectors.linkedin_ads.parsing import (
    ACCOUNT_URN,
    CONVERSION_METRIC_COLUMNS,
    METRIC_COLUMNS,
    PLATFORM,
    ConversionRule,
    LinkedInCampaign,
    accounts_with_a_role,
    conversion_element_key,
    element_key,
    parse_analytics_element,
    parse_campaign,
    parse_conversion_element,
    parse_conversion_rule,
)
from connectors.linkedin_rest import (
    API_VERSION_PATTERN,
    DEFAULT_API_URL,
    DEFAULT_API_VERSION,
    DEFAULT_OAUTH_URL,
    RESTLI_PROTOCOL_VERSION,
    VERSIONS_PAGE,
    configured_api_version,
    credential_warnings,
    error_detail,
    json_object,
    refresh_access_token,
    refresh_settings,
)
from connectors.platform import (
    CHECK_MAX_THROTTLE_WAIT_SECONDS,
    AccessCheck,
    CheckWarning,
    RecordSlice,
    check_slices,
    fetch_slices,
)
from connectors.redaction import excerpt
from connectors.retry import Backoff, HttpRetry

RAW_TABLE = "linkedin_ads_analytics"
CONVERSIONS_RAW_TABLE = "linkedin_ads_conversions"
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
MEMBER_ROLES_PAGE_SIZE = 100
# How long before a version's sunset `social-roi check` starts to warn: time to read a migration guide.
VERSION_WARNING_DAYS = 60
# How a member gets a role on an ad account: an account manager of the account adds them under Manage access in
# Campaign Manager (LinkedIn Help, "Manage access to your ad account"); every role may read the account's reports
# (account-access-controls docs), so Viewer is enough.
ROLE_FIX = (
    "ask one of the account's account managers to add the token's member with a role (Viewer is enough to read "
    "reports): Campaign Manager → the ad account → Manage access"
)

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
    api_version: str = dataclasses.field(default_factory=configured_api_version)
    campaign_page_size: int = 100
    conversion_rule_page_size: int = 100
    member_roles_page_size: int = MEMBER_ROLES_PAGE_SIZE
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
        """None when LinkedIn Ads is not configured at all (or its credentials serve only the organization pages);
        an error when it is only half configured."""

        def value(name: str) -> str:
            return env.get(name, "").strip()

        token, accounts = value("LINKEDIN_ACCESS_TOKEN"), value("LINKEDIN_AD_ACCOUNT_IDS")
        refresh = refresh_settings(env, PLATFORM)  # raises when only some are set
        if not token and not accounts and refresh is None:
            return None
        if not token and refresh is None:
            raise PlatformConfigError(
                PLATFORM,
                "LINKEDIN_AD_ACCOUNT_IDS is set but no LinkedIn credentials are: set LINKEDIN_ACCESS_TOKEN (a token with the r_ads and r_ads_reporting scopes), or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN.",
            )
        if not accounts and value("LINKEDIN_ORGANIZATION_IDS"):
            return None  # the credentials are for the organization pages only (connectors/linkedin_pages/client.py)
        if not accounts:
            raise PlatformConfigError(
                PLATFORM,
                "LinkedIn credentials are set but LINKEDIN_AD_ACCOUNT_IDS is not: list the ad account ids, comma-separated (123 or urn:li:sponsoredAccount:123).",
            )
        return dataclasses.replace(
            cls.for_member(env),
            account_ids=tuple(normalize_account_id(part) for part in accounts.split(",") if part.strip()),
        )

    @classmethod
    def for_member(cls, env: Mapping[str, str] = os.environ) -> LinkedInAdsSettings:
        """The credentials, API URLs and version of `env`, and no ad account: for the calls about the token's member
        rather than an account (what `social-roi connect` lists). Raises PlatformConfigError, naming the settings,
        when no credentials are set."""

        def value(name: str) -> str:
            return env.get(name, "").strip()

        version = value("LINKEDIN_API_VERSION") or configured_api_version()
        if not re.fullmatch(API_VERSION_PATTERN, version):
            raise PlatformConfigError(
                PLATFORM,
                f"LINKEDIN_API_VERSION={version!r} is not a LinkedIn API version: use YYYYMM, e.g. {DEFAULT_API_VERSION}.",
            )
        return cls(
            account_ids=(),
            access_token=value("LINKEDIN_ACCESS_TOKEN") or None,
            client_id=value("LINKEDIN_CLIENT_ID") or None,
            client_secret=value("LINKEDIN_CLIENT_SECRET") or None,
            refresh_token=value("LINKEDIN_REFRESH_TOKEN") or None,
            api_url=credentialed_url(env, "LINKEDIN_API_URL", DEFAULT_API_URL, PLATFORM),
            oauth_url=credentialed_url(env, "LINKEDIN_OAUTH_URL", DEFAULT_OAUTH_URL, PLATFORM),
            api_version=version,
        )


def version_sunset(version: str) -> dt.date:
    """The day LinkedIn is expected to stop serving Marketing API version YYYYMM (or YYYYMM.NN): the
    15th of the same month one year later.

    LinkedIn supports each monthly version for at least a year before its sunset
    (learn.microsoft.com/linkedin/marketing/versioning), and its migrations table
    (learn.microsoft.com/linkedin/marketing/integrations/migrations) puts the sunsets between the
    15th and the 22nd of that month a year on: 202407 on 22 July 2025, 202409 on 15 September 2025,
    202510 on 15 October 2026, 202603 on 16 March 2027. The 15th, the earliest of them, so that a
    warning never comes late; past it, LinkedIn's own answer (426) is what counts."""
    if not re.fullmatch(API_VERSION_PATTERN, version):
        raise PlatformConfigError(
            PLATFORM,
            f"LINKEDIN_API_VERSION={version!r} is not a LinkedIn API version: use YYYYMM, e.g. {DEFAULT_API_VERSION}.",
        )
    return dt.date(int(version[:4]) + 1, int(version[4:6]), 15)


def version_warning(version: str, today: dt.date) -> str | None:
    """What to do about a version within VERSION_WARNING_DAYS of its sunset (or past it); None otherwise."""
    sunset = version_sunset(version)
    days_left = (sunset - today).days
    if days_left > VERSION_WARNING_DAYS:
        return None
    when = f"in {days_left} days" if days_left > 0 else "a day already past"
    return (
        f"LinkedIn retires API version {version} around {sunset} ({when}; each version is served for about a year). "
        f"Set LINKEDIN_API_VERSION to a version released in the last few months (YYYYMM, listed on {VERSIONS_PAGE}), "
        "read its migration guide, and run social-roi check again."
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
        self._accounts_with_a_role: set[str] | None = None  # asked once per client, when needed
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

    def check_account(self, account_id: str, day: dt.date) -> None:
        """Cheap read-only calls that the token may read this account and its reports; raises the
        sorted error if not.

        The first campaign of the account (pageSize=1): the same endpoint and access a sync starts
        with, renewing an expired access token on the way as a sync would. Then the account's
        analytics for `day` (pivot ACCOUNT): the reports a sync reads, which answer empty rather
        than refuse when read access is gone; an empty one is checked against the member's roles,
        whether or not campaigns ran that day (a check proves access; it cannot lose rows). A refused
        campaign read is checked against the member's roles too, so that an account the member holds no
        role on gets the one message that names the fix.
        """
        account_id = normalize_account_id(account_id)
        try:
            self._get(account_id, f"/rest/adAccounts/{account_id}/adCampaigns", "q=search&pageSize=1", "campaigns")
        except PlatformAuthError as refused:
            raise self.no_role(account_id, refused) from None
        if not self.account_had_activity(account_id, day, day):
            self.require_a_role(
                account_id, f"LinkedIn reported no activity at all for ad account {account_id} on {day}"
            )

    def daily_analytics(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """Records for one account, one per day × campaign that LinkedIn reports (absent = no delivery).

        Nothing at all while campaigns were scheduled to run is checked before it is believed
        (`confirm_nothing_happened`): LinkedIn answers the same when read access is gone."""
        account_id = normalize_account_id(account_id)
        campaigns = self.campaigns(account_id)
        reported = 0
        for start, end, batch in plan_requests(campaigns, since, until, self.settings.max_elements_per_call):
            for record in self.analytics_records(account_id, batch, start, end):
                reported += 1
                yield record
        if not reported:
            self.confirm_nothing_happened(account_id, campaigns, since, until, "campaign analytics")

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

    def ad_account(self, account_id: str) -> dict:
        """The ad account as LinkedIn answers it: id, name, currency, status, type, ...
        (GET /rest/adAccounts/{id}, learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/create-and-manage-accounts)."""
        account_id = normalize_account_id(account_id)
        return self._get(account_id, f"/rest/adAccounts/{account_id}", "", "ad account")

    def account_currency(self, account_id: str) -> str:
        """The ad account's currency: the one its local-currency metrics and conversion values are in."""
        account_id = normalize_account_id(account_id)
        currency = self.ad_account(account_id).get("currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            raise MalformedPayloadError(
                PLATFORM,
                f"LinkedIn's ad account {account_id} has no readable currency ({currency!r}); nothing from this sync was written.",
                account_id,
            )
        return currency

    def daily_conversions(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """Records for one account, one per day × campaign × conversion rule that LinkedIn reports.

        No conversions at all is checked as on the analytics table; only then are the account's
        campaigns read, to see whether any was scheduled to run."""
        account_id = normalize_account_id(account_id)
        rules = {rule.conversion_id: rule for rule in self.conversion_rules(account_id)}
        currency = self.account_currency(account_id)
        reported = 0
        for record in self.conversion_records(account_id, rules, currency, since, until):
            reported += 1
            yield record
        if not reported:
            self.confirm_nothing_happened(account_id, self.campaigns(account_id), since, until, "conversions")

    # --- is an empty answer the truth? -----------------------------------------------------------

    def confirm_nothing_happened(
        self, account_id: str, campaigns: list[LinkedInCampaign], since: dt.date, until: dt.date, what: str
    ) -> None:
        """Accept an empty answer for [since, until] as "no delivery", or raise PlatformAuthError.

        Empty is plain when no campaign of the account was scheduled to run in the range (ended
        before it, starts after it, drafts). Otherwise LinkedIn's empty answer may mean lost read
        access ("An empty response is returned if there's no activity to report or if you don't
        have read access to the requested advertising data", ads-reporting docs), so the token's
        member must still hold a role on the account for it to be believed."""
        live = [campaign for campaign in campaigns if campaign.could_have_run(since, until)]
        if not live:
            return
        named = ", ".join(repr(campaign.campaign_name) for campaign in live[:3]) + (" …" if len(live) > 3 else "")
        self.require_a_role(
            account_id,
            f"LinkedIn answered no {what} at all for ad account {account_id} over {since}..{until}, although "
            f"{len(live)} of its campaigns were scheduled to run then ({named})",
        )

    def require_a_role(self, account_id: str, finding: str) -> None:
        """Raise PlatformAuthError, starting with `finding`, unless the token's member holds a role on
        the account: LinkedIn's empty analytics answer cannot tell lost access from a quiet period."""
        if account_id in self.member_accounts(account_id):
            return
        raise PlatformAuthError(
            PLATFORM,
            f"{finding}, and the token's member holds no role on the account. LinkedIn answers reports empty, "
            "not with an error, when read access is gone, so this is not taken as a quiet period: the account's "
            f"earlier rows stay as they were. To give the member a role on ad account {account_id}, {ROLE_FIX}; "
            "check that the token still has the r_ads_reporting scope, then run the sync again.",
            account_id,
        )

    def member_accounts(self, asking_for: str | None = None) -> set[str]:
        """The ad accounts the token's member holds a role on: adAccountUsers' finder by authenticated
        user, paged with start and count (create-and-manage-account-users docs); asked once per client.
        `asking_for`: the account whose answer is in doubt, for the messages of a failed call (None: the
        member's accounts are what is asked for)."""
        if self._accounts_with_a_role is None:
            accounts, start, size = set(), 0, self.settings.member_roles_page_size
            while True:
                body = self._get(
                    asking_for, "/rest/adAccountUsers", member_roles_query(start, size), "ad account roles"
                )
                page = accounts_with_a_role(_elements(body, asking_for, "adAccountUsers"))
                repeated = bool(page) and page <= accounts  # a page seen before: stop rather than loop
                accounts |= page
                start += size
                total = (body.get("paging") or {}).get("total")
                if len(body["elements"]) < size or (isinstance(total, int) and start >= total) or repeated:
                    break
            self._accounts_with_a_role = accounts
        return self._accounts_with_a_role

    def account_had_activity(self, account_id: str, since: dt.date, until: dt.date) -> bool:
        """Whether adAnalytics reports anything for the whole account over the range: one small
        request, pivot ACCOUNT, granularity ALL, two metrics."""
        body = self._get(
            account_id, "/rest/adAnalytics", account_analytics_query(account_id, since, until), "account analytics"
        )
        return bool(_elements(body, account_id, "adAnalytics"))

    def conversion_records(
        self, account_id: str, rules: Mapping[str, ConversionRule], currency: str, since: dt.date, until: dt.date
    ) -> Iterator[dict]:
        """Records for one range from one statistics request (pivots CAMPAIGN and CONVERSION), the
        whole account at once. An answer that reaches the element limit is asked for again in halves
        of the range.

        An empty answer gives no rows here; `daily_conversions` decides whether to believe it.
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

    def read(self, path: str, query: str, what: str) -> dict:
        """One Rest.li GET about the token's member rather than an ad account (its roles on pages, for
        `social-roi connect`), with the failures, renewal and retries of every other call."""
        return self._get(None, path, query, what)

    def _get(self, account_id: str | None, path: str, query: str, what: str) -> dict:
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
            return self._refresh_access_token(None)
        return self._access_token

    def _send(self, account_id: str | None, what: str, send: Callable[[], requests.Response]) -> requests.Response:
        """Send until LinkedIn answers something other than a throttle or a server error.

        The shared loop of connectors/retry.py, not urllib3's Retry mounted on the session: Retry
        sleeps with time.sleep (no injectable clock), gives the first retry no backoff, and caps each
        Retry-After wait (retry_after_max) where this connector caps the total and then stops with
        PlatformThrottledError; 429s and 5xx would also share one attempt budget."""
        where = _where(account_id, what)
        retry = HttpRetry(
            PLATFORM, "LinkedIn", self.settings.backoff, self.settings.max_throttle_wait_seconds, self.sleep
        )
        return retry.send(
            send,
            f"the {what} calls for {where} (API at {self.settings.api_url})",
            account_id,
            detail=lambda response: error_detail(response, self._secrets()),
            throttle_hint=" The metric-volume limit resets within minutes, the daily call limit at midnight UTC.",
        )

    def _refresh_access_token(self, account_id: str | None) -> str:
        """A new access token from the refresh token, kept for the calls that follow."""
        settings = self.settings
        tokens = refresh_access_token(
            self._session,
            lambda request: self._send(account_id, "token refresh", request),
            platform=PLATFORM,
            oauth_url=settings.oauth_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            refresh_token=self._refresh_token,
            timeout_seconds=settings.timeout_seconds,
            account=account_id,
            about=f"ad account {account_id}" if account_id else None,
            secrets=self._secrets(),
        )
        self._access_token, self._refresh_token = tokens.access_token, tokens.refresh_token
        self.token_refreshes += 1
        return tokens.access_token

    def _refusal(self, response: requests.Response, account_id: str | None, what: str, refreshed: bool) -> Exception:
        status, detail = response.status_code, error_detail(response, self._secrets())
        where = _where(account_id, what)
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
                f"LinkedIn does not serve API version {self.settings.api_version} (426 {detail}), so {what} for {where} cannot be read: LinkedIn serves each monthly version for about a year. Set LINKEDIN_API_VERSION to a version released in the last few months, as YYYYMM (the active ones are listed on {VERSIONS_PAGE}), and rerun.",
                account_id,
            )
        if status == 403:
            return self._forbidden(account_id, what, detail)
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

    def _forbidden(self, account_id: str | None, what: str, detail: str) -> PlatformAuthError:
        """A 403: the app lacks a scope, or (for an ad account) its member lacks a role on it. Which of the two,
        `check_account` finds out with one more call; a sync fails fast and names both."""
        if account_id is None:
            return PlatformAuthError(
                PLATFORM,
                f"The LinkedIn token may not read {what} (403 {detail}). Give the app the scopes social-roi asks for (r_ads, r_ads_reporting, r_organization_social, rw_organization_admin) and create a new token.",
            )
        return PlatformAuthError(
            PLATFORM,
            f"The LinkedIn token may not read {what} for ad account {account_id} (403 {detail}). If its member holds no role on the account, {ROLE_FIX}; if it does (Viewer or above), give the app the r_ads and r_ads_reporting scopes and create a new token.",
            account_id,
        )

    def no_role(self, account_id: str, refused: PlatformAuthError) -> PlatformAuthError:
        """`refused` as it stands when the token's member holds a role on the account (a scope is missing, or the
        token), else the one message for an account the member holds no role on. One call for the member's roles,
        made once per client: a check's, where a failure may cost a call more."""
        try:
            if account_id in self.member_accounts(account_id):
                return refused
        except PlatformError:
            return refused  # the roles cannot be read either: LinkedIn's first answer says the rest
        return PlatformAuthError(
            PLATFORM,
            f"The token's member holds no role on LinkedIn ad account {account_id}, so LinkedIn refuses to let it read the account. To read it, {ROLE_FIX}; then run social-roi check again.",
            account_id,
        )

    def _secrets(self) -> list[str]:
        return [
            s
            for s in (self._access_token, self._refresh_token, self.settings.access_token, self.settings.client_secret)
            if s
        ]


def _where(account_id: str | None, what: str) -> str:
    """What a call is about, for its messages: the ad account, else the token's member (or its refresh)."""
    if account_id:
        return f"ad account {account_id}"
    return "the token refresh" if what == "token refresh" else "the token's member"


def _json_body(response: requests.Response, account_id: str | None, what: str) -> dict:
    body = json_object(response)
    if body is None:
        raise MalformedPayloadError(
            PLATFORM,
            f"LinkedIn answered the {what} request{f' for ad account {account_id}' if account_id else ''} with something that is not a JSON object: {excerpt(response.text, 200)!r}",
            account_id,
        )
    return body


def _elements(body: dict, account_id: str | None, endpoint: str) -> list:
    elements = body.get("elements")
    if not isinstance(elements, list):
        raise MalformedPayloadError(
            PLATFORM,
            f"LinkedIn's {endpoint} answer for {_where(account_id, endpoint)} has no elements list: {excerpt(json.dumps(body), 300)}",
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


def account_analytics_query(account_id: str, since: dt.date, until: dt.date) -> str:
    """The analytics finder for one whole account over the range, one element at most (pivot ACCOUNT,
    granularity ALL), two metrics: whether anything was delivered, at the least cost."""
    return "&".join(
        [
            "q=analytics",
            "pivot=(value:ACCOUNT)",
            "timeGranularity=(value:ALL)",
            f"dateRange=(start:{_restli_date(since)},end:{_restli_date(until)})",
            f"accounts=List({urllib.parse.quote(ACCOUNT_URN + account_id, safe='')})",
            f"fields={','.join([*ELEMENT_FIELDS, 'impressions', 'costInLocalCurrency'])}",
        ]
    )


def member_roles_query(start: int, count: int) -> str:
    """adAccountUsers' finder for the ad accounts of the token's member, one page."""
    return f"q=authenticatedUser&start={start}&count={count}"


def conversion_rules_query(account_id: str, start: int, count: int) -> str:
    """The Conversions API's finder by ad account, the account URN percent-encoded (conversion-tracking docs)."""
    return f"q=account&account={urllib.parse.quote(ACCOUNT_URN + account_id, safe='')}&start={start}&count={count}"


def _restli_date(day: dt.date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


def fetch_window(settings: LinkedInAdsSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured account's rows for [since, until], one account at a time, one session per run."""
    return fetch_slices(
        LinkedInAdsClient(settings), settings.account_ids, LinkedInAdsClient.daily_analytics, since, until
    )


def fetch_conversions_window(settings: LinkedInAdsSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured account's conversions per rule for [since, until], one account at a time."""
    return fetch_slices(
        LinkedInAdsClient(settings), settings.account_ids, LinkedInAdsClient.daily_conversions, since, until
    )


def _check(settings: LinkedInAdsSettings, check_one: Callable[[LinkedInAdsClient, str], None]) -> Iterator[AccessCheck]:
    patient_enough = dataclasses.replace(
        settings, max_throttle_wait_seconds=min(settings.max_throttle_wait_seconds, CHECK_MAX_THROTTLE_WAIT_SECONDS)
    )
    return check_slices(lambda: LinkedInAdsClient(patient_enough), settings.account_ids, check_one)


def check_access(settings: LinkedInAdsSettings, today: dt.date | None = None) -> Iterator[AccessCheck]:
    """(account id, None) for each ad account whose campaigns and reports the credentials can read,
    (account id, the error and its fix) for the others; then, when LINKEDIN_API_VERSION is within
    VERSION_WARNING_DAYS of its sunset, a warning line for it (not a failure: it still works)."""
    today = today or clock.today()
    yesterday = today - dt.timedelta(days=1)
    yield from _check(settings, lambda client, account_id: client.check_account(account_id, yesterday))
    warning = version_warning(settings.api_version, today)
    if warning:
        yield f"LinkedIn-Version {settings.api_version}", CheckWarning(warning)


def token_warnings(settings: LinkedInAdsSettings) -> Iterator[CheckWarning]:
    """LinkedIn Ads' credential warnings (Platform.credential_warnings): the refresh token (or, without one, the access
    token) that expires within 14 days or is no longer active, from LinkedIn's token introspection."""
    return credential_warnings(settings, PLATFORM)


CREDENTIALS_HINT = "LINKEDIN_AD_ACCOUNT_IDS with LINKEDIN_ACCESS_TOKEN or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN"

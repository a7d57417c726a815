"""LinkedIn organization pages (Community Management API, versioned REST, Rest.li 2.0), with `requests`.

Same app, token, base URL and LinkedIn-Version as LinkedIn Ads (``linkedin_ads/client.py``); three reads per organization:
- `linkedin_organization_daily` (SOURCE): per UTC day, the follower gains of
  ``organizationalEntityFollowerStatistics`` and the page's share statistics of
  ``organizationalEntityShareStatistics``, both asked for with the same
  ``timeIntervals=(timeRange:(start:<ms>,end:<ms>),timeGranularityType:DAY)`` and merged on the day.
- `linkedin_organization_posts` (POSTS_SOURCE): the posts the organization published in the window, from the Posts
  API (``q=author``, ``sortBy=CREATED``: newest first, paged with start/count, read until past the window), each with
  its LIFETIME share statistics as they stand at the fetch (``shares=List(..)`` for ``urn:li:share`` posts,
  ``ugcPosts=List(..)`` for ``urn:li:ugcPost`` ones: the schema's ``share`` field is a Share URN, ``ugcPost`` a UGC
  Post URN), POST_STATISTICS_BATCH posts a request.
- `fetch_follower_totals`: the follower total now, ``networkSizes/{organization URN}?edgeType=COMPANY_FOLLOWED_BY_MEMBER``
  → ``firstDegreeSize``. The follower statistics "no longer [return] totalFollowerCounts. Use the networkSizes API
  ... to retrieve an organization's total follower count" (learn.microsoft.com/linkedin/marketing/
  community-management/organizations/follower-statistics); the versioned edge type is Airbyte's
  (source-linkedin-pages manifest.yaml, LinkedIn-Version 20250301).

What the gains are (researched for issue 14): the time-bound statistics return "the aggregate follower count for
both paid and organic followers during the days ... of the selected date range" (follower-statistics page), in
``followerGains.organicFollowerGain`` / ``paidFollowerGain``, signed longs. LinkedIn documents no unfollow or loss
figure anywhere in the API, and does not say whether a gain is net of unfollows; public clients (Airbyte's schema,
the ebx-linkedin-sdk's ``FollowerGain``) read plain numbers and none shows a negative one. So the columns hold the
gains as reported (a negative value is kept, not refused), and a daily total can NOT be derived from them: not from
gains only, and LinkedIn also removes hibernated and restricted members from page follower totals without any gain
entry (LinkedIn's notice of October 2023). The total comes from networkSizes only, snapshotted nightly.

Limits: statistics exist "only within the past 12 months, using a rolling 12-month window" (share-statistics page);
a time range starting earlier answers 400 "Invalid timeIntervals parameter" (Airbyte's manifest: "Start Date must be
atmost 12 months before the request date"). The 12 months count back from the request time in UTC, and a range
starts at a UTC midnight: so the first day served is the day AFTER the same date a year before the request's UTC
day (`earliest_day`). A window reaching further back is refused here before any request, so a backfill never
replaces stored days with an empty answer. No other maximum range is documented: one request per
endpoint covers a window. ``timeRange.start`` is inclusive and ``timeRange.end`` exclusive, epoch milliseconds, the
smallest granularity a day (share-statistics, view li-lms-2025-11): [since 00:00 UTC, until+1 00:00 UTC) asks for
the days since..until. ``uniqueImpressionsCount`` is listed for time-bound statistics without a restriction by
granularity, and Airbyte's time-bound schema carries it; where it is absent it lands as NULL (unknown), never 0.
``engagement`` is LinkedIn's own rate, kept as reported.

Credentials: an access token, refresh settings (LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET, LINKEDIN_REFRESH_TOKEN:
what ``social-roi connect linkedin`` stores), or both, as for LinkedIn Ads: with refresh settings and no access token
the first call renews one, and a 401 renews it once and asks again (the exchange is ``linkedin_rest.py``'s).

Failures: 401 without refresh settings, or again after a renewal, names what to set; 403 (the member is not an
ADMINISTRATOR of the page, or the app lacks rw_organization_admin / r_organization_social) fails that organization
only, naming it and the permission; 426 names LINKEDIN_API_VERSION; 5xx and a 429 with Retry-After are retried as in
``linkedin_ads/client.py``; a payload that cannot be read is a MalformedPayloadError naming the organization. A 429
without Retry-After is a daily limit: "Rate limits specify the maximum number of API calls that can be made in a 24
hour period. These limits reset at midnight UTC every day", per application and per member, and they vary "based on
which API endpoint you are using" (learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits). No
wait within a run outlasts it, so it fails at once, and every later call of the same source to that endpoint is
skipped (one call per source, not one per organization), its organizations failing with one message that says when
the limit resets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping

import requests

from connectors import clock
from connectors.endpoints import credentialed_url
from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError, PlatformThrottledError
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

PLATFORM = "linkedin_pages"
RAW_TABLE = "linkedin_organization_daily"
POSTS_RAW_TABLE = "linkedin_organization_posts"
ORGANIZATION_URN = "urn:li:organization:"
POST_URN = re.compile(r"urn:li:(share|ugcPost):\d+")
DAY_MS = 86_400_000
POSTS_PAGE_SIZE = 50  # the sandbox, like the Posts API, serves up to 100
# LinkedIn documents no maximum for shares=/ugcPosts= lists; 20 URNs keep a URL around 1,500 characters.
POST_STATISTICS_BATCH = 20
STATISTICS_PERMISSION = "rw_organization_admin (and the ADMINISTRATOR role on the page for the token's member)"
POSTS_PERMISSION = "r_organization_social (and the ADMINISTRATOR role on the page for the token's member)"
# The one page role that reads statistics and posts through the API: rw_organization_admin is "restricted to
# organizations in which the authenticated member has the following role: ADMINISTRATOR"
# (learn.microsoft.com/linkedin/marketing/community-management/organizations/organization-access-control-by-role),
# which the Page's admin screens call Super admin. Content admins, curators and analysts see analytics on the Page
# itself, but "Analysts have limited access to the Page in third-party tools", and the paid media roles (Sponsored
# Content poster, Lead Gen Forms manager, Landing Pages manager) none (LinkedIn Help a541981, "LinkedIn Page admin
# roles"). Granted by a super admin under Manage admins (LinkedIn Help, "Add or remove admins on your LinkedIn Page").
READING_ROLE = "ADMINISTRATOR"
PAGE_ROLE_FIX = (
    "a Super admin of the Page gives the token's member the Super admin role (ADMINISTRATOR in LinkedIn's API; "
    "Content admin, Curator, Analyst and the paid media roles do not reach the API's statistics): the Page's super "
    "admin view → Settings (Admin tools on older layouts) → Manage admins → Page admins → Add admin → Super admin"
)

RAW_COLUMNS = {
    "organization_id": "VARCHAR",
    "date": "DATE",  # a UTC day
    "organic_follower_gain": "BIGINT",  # as reported: gains, never a daily total (see above)
    "paid_follower_gain": "BIGINT",
    "impressions": "BIGINT",
    "unique_impressions": "BIGINT",  # distinct members: not summable across days; NULL when not reported
    "clicks": "BIGINT",
    "reactions": "BIGINT",  # likeCount: every reaction counts as a like
    "comments": "BIGINT",
    "shares": "BIGINT",
    "engagement": "DOUBLE",  # LinkedIn's own rate, kept as reported
    "raw_row": "JSON",  # both elements of the day as LinkedIn sent them
}
POSTS_RAW_COLUMNS = {
    "organization_id": "VARCHAR",
    "post_urn": "VARCHAR",
    "published_date": "DATE",  # the UTC day of publishedAt (createdAt when not published yet)
    "published_at": "TIMESTAMP",  # UTC
    "permalink": "VARCHAR",
    "commentary": "VARCHAR",
    "impressions": "BIGINT",  # lifetime figures as of the fetch
    "unique_impressions": "BIGINT",
    "clicks": "BIGINT",
    "reactions": "BIGINT",
    "comments": "BIGINT",
    "shares": "BIGINT",
    "engagement": "DOUBLE",
    "raw_row": "JSON",  # {"post": the Posts API element, "statistics": the share statistics element}
}
# totalShareStatistics field → column
SHARE_STATISTICS = {
    "impressionCount": "impressions",
    "uniqueImpressionsCount": "unique_impressions",
    "clickCount": "clicks",
    "likeCount": "reactions",
    "commentCount": "comments",
    "shareCount": "shares",
}


@dataclasses.dataclass(frozen=True)
class LinkedInPagesSettings:
    """Credentials as LinkedIn Ads has them: an access token, refresh settings (client id, secret, refresh token), or
    both; with refresh settings an expired or missing access token is renewed on the way."""

    organization_ids: tuple[str, ...]
    access_token: str | None = dataclasses.field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = dataclasses.field(default=None, repr=False)
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL
    api_version: str = dataclasses.field(default_factory=configured_api_version)
    posts_page_size: int = POSTS_PAGE_SIZE
    post_statistics_batch: int = POST_STATISTICS_BATCH
    max_throttle_wait_seconds: float = 15 * 60
    timeout_seconds: float = 120.0
    backoff: Backoff = Backoff()

    def __post_init__(self):
        if not self.access_token and not self.can_refresh:
            raise PlatformConfigError(
                PLATFORM,
                "LinkedIn needs an access token or refresh credentials: set LINKEDIN_ACCESS_TOKEN, or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN.",
            )

    @property
    def can_refresh(self) -> bool:
        return bool(self.client_id and self.client_secret and self.refresh_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> LinkedInPagesSettings | None:
        """None without LINKEDIN_ORGANIZATION_IDS; then the LinkedIn Ads credentials, URL and version settings apply."""

        def value(name: str) -> str:
            return env.get(name, "").strip()

        organizations = value("LINKEDIN_ORGANIZATION_IDS")
        if not organizations:
            return None
        token = value("LINKEDIN_ACCESS_TOKEN")
        refresh = refresh_settings(env, PLATFORM)  # raises when only some are set
        if not token and refresh is None:
            raise PlatformConfigError(
                PLATFORM,
                "LINKEDIN_ORGANIZATION_IDS is set but no LinkedIn credentials are: set LINKEDIN_ACCESS_TOKEN (a token of a member who is an ADMINISTRATOR of the pages, from an app with the rw_organization_admin and r_organization_social scopes), or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN so that the connector renews one itself (social-roi connect linkedin sets them up).",
            )
        version = value("LINKEDIN_API_VERSION") or configured_api_version()
        if not re.fullmatch(API_VERSION_PATTERN, version):
            raise PlatformConfigError(
                PLATFORM,
                f"LINKEDIN_API_VERSION={version!r} is not a LinkedIn API version: use YYYYMM, e.g. {DEFAULT_API_VERSION}.",
            )
        return cls(
            organization_ids=tuple(
                normalize_organization_id(part) for part in organizations.split(",") if part.strip()
            ),
            access_token=token or None,
            client_id=value("LINKEDIN_CLIENT_ID") or None,
            client_secret=value("LINKEDIN_CLIENT_SECRET") or None,
            refresh_token=value("LINKEDIN_REFRESH_TOKEN") or None,
            api_url=credentialed_url(env, "LINKEDIN_API_URL", DEFAULT_API_URL, PLATFORM),
            oauth_url=credentialed_url(env, "LINKEDIN_OAUTH_URL", DEFAULT_OAUTH_URL, PLATFORM),
            api_version=version,
        )


def normalize_organization_id(value: str) -> str:
    """'urn:li:organization:123', ' 123 ' → '123'."""
    digits = value.strip().removeprefix(ORGANIZATION_URN)
    if not digits.isdigit():
        raise PlatformConfigError(
            PLATFORM,
            f"{value.strip()!r} in LINKEDIN_ORGANIZATION_IDS is not an organization id: use the page's number, with or without 'urn:li:organization:' (the number in the page admin URL linkedin.com/company/<number>/admin).",
        )
    return digits


def earliest_day(today: dt.date) -> dt.date:
    """The first day LinkedIn serves statistics for when asked now: the day after the same date a year before the
    request's UTC day (28 February standing for 29). A range starting on the year-ago date itself starts at its UTC
    midnight, which is already more than 12 months before the request time, and LinkedIn answers 400.

    `today` is the pipeline's day; west of UTC the request's UTC day can be the next one, so the later of the two
    counts."""
    request_day = max(today, clock.now(dt.UTC).date())
    year_ago = (
        dt.date(request_day.year - 1, 2, 28)
        if (request_day.month, request_day.day) == (2, 29)
        else request_day.replace(year=request_day.year - 1)
    )
    return year_ago + dt.timedelta(days=1)


class LinkedInPagesClient:
    """Reads organization statistics, posts and follower totals over one HTTP session; `sleep` is its clock."""

    def __init__(self, settings: LinkedInPagesSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.sleep = sleep
        self._session = requests.Session()
        self._access_token = settings.access_token
        self._refresh_token = settings.refresh_token
        self.token_refreshes = 0
        # Endpoint (e.g. "posts") → the daily-limit error met on it: later calls to it are skipped, not sent.
        self._spent_for_the_day: dict[str, PlatformThrottledError] = {}

    def close(self) -> None:
        self._session.close()

    # --- public ---------------------------------------------------------------------------------

    def daily_statistics(self, organization_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """One record per UTC day of [since, until] LinkedIn has statistics for (see RAW_COLUMNS)."""
        window = self._window(organization_id, since, until)
        if window is None:
            return
        query = f"q=organizationalEntity&organizationalEntity={_encoded_urn(organization_id)}&timeIntervals={_time_intervals(*window)}"
        what = "follower statistics"
        followers = self._get(organization_id, "/rest/organizationalEntityFollowerStatistics", query, what)
        shares = self._get(organization_id, "/rest/organizationalEntityShareStatistics", query, "share statistics")
        by_day: dict[dt.date, dict] = {}
        for element in _elements(followers, organization_id, what):
            by_day.setdefault(_element_day(element, organization_id, *window), {})["followerStatistics"] = element
        for element in _elements(shares, organization_id, "share statistics"):
            by_day.setdefault(_element_day(element, organization_id, *window), {})["shareStatistics"] = element
        for day in sorted(by_day):
            yield parse_day(by_day[day], organization_id, day)

    def posts(self, organization_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """One record per post published on the UTC days [since, until], with its lifetime statistics now."""
        window = self._window(organization_id, since, until)
        if window is None:
            return
        posts = list(self._posts_in(organization_id, *window))
        statistics: dict[str, dict] = {}
        batch = self.settings.post_statistics_batch
        for first in range(0, len(posts), batch):
            urns = [post["id"] for post in posts[first : first + batch]]
            statistics.update(self._post_statistics(organization_id, urns))
        for post in posts:
            yield parse_post(post, statistics.get(post["id"]), organization_id)

    def follower_total(self, organization_id: str, _since=None, _until=None) -> Iterator[dict]:
        """The one record of the organization's follower total now: {"followers", "raw_row"}."""
        path = f"/rest/networkSizes/{_encoded_urn(organization_id)}"
        body = self._get(organization_id, path, "edgeType=COMPANY_FOLLOWED_BY_MEMBER", "follower count")
        followers = body.get("firstDegreeSize")
        if isinstance(followers, bool) or not isinstance(followers, int) or followers < 0:
            raise _malformed(organization_id, "networkSizes answer", f"firstDegreeSize={followers!r}", body)
        yield {"followers": followers, "raw_row": json.dumps(body, separators=(",", ":"), sort_keys=True)}

    def check_organization(self, organization_id: str) -> None:
        """One cheap call needing what a sync needs: the follower gains of the day before yesterday."""
        day = clock.today() - dt.timedelta(days=2)
        query = f"q=organizationalEntity&organizationalEntity={_encoded_urn(organization_id)}&timeIntervals={_time_intervals(day, day)}"
        self._get(organization_id, "/rest/organizationalEntityFollowerStatistics", query, "follower statistics")

    # --- reading ----------------------------------------------------------------------------------

    def _window(self, organization_id: str, since: dt.date, until: dt.date) -> tuple[dt.date, dt.date] | None:
        """[since, until] cut at yesterday (no day after it is over); refused when it reaches past 12 months."""
        today = clock.today()
        if since < (first := earliest_day(today)):
            raise PlatformConfigError(
                PLATFORM,
                f"LinkedIn serves organization statistics for the last 12 months only, so {since}..{until} cannot be read for organization {organization_id}; the days it already holds are kept. Start the range on {first} or later.",
                organization_id,
            )
        until = min(until, today - dt.timedelta(days=1))
        return (since, until) if since <= until else None

    def _posts_in(self, organization_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """The Posts API's posts of the organization published in [since, until], newest created first; the
        listing stops at the first post created before the window (a post scheduled before the window and
        published in it is not seen)."""
        first_ms = _epoch_ms(since)
        size, start = self.settings.posts_page_size, 0
        while True:
            query = f"q=author&author={_encoded_urn(organization_id)}&sortBy=CREATED&start={start}&count={size}"
            elements = _elements(self._get(organization_id, "/rest/posts", query, "posts"), organization_id, "posts")
            for element in elements:
                published_ms = _post_time(element, organization_id)
                created_ms = element.get("createdAt")  # the order sortBy=CREATED lists in
                if (created_ms if isinstance(created_ms, int) else published_ms) < first_ms:
                    return
                published = dt.datetime.fromtimestamp(published_ms / 1000, dt.UTC).date()
                if since <= published <= until and element.get("lifecycleState", "PUBLISHED") == "PUBLISHED":
                    yield element
            if len(elements) < size:
                return
            start += size

    def _post_statistics(self, organization_id: str, urns: list[str]) -> dict[str, dict]:
        """Lifetime statistics of the posts, by URN: shares and ugcPosts in the list each kind belongs in."""
        lists = {
            parameter: [urn for urn in urns if urn.startswith(f"urn:li:{kind}:")]
            for parameter, kind in (("shares", "share"), ("ugcPosts", "ugcPost"))
        }
        query = f"q=organizationalEntity&organizationalEntity={_encoded_urn(organization_id)}" + "".join(
            f"&{parameter}=List({','.join(urllib.parse.quote(urn, safe='') for urn in members)})"
            for parameter, members in lists.items()
            if members
        )
        what = "post statistics"
        body = self._get(organization_id, "/rest/organizationalEntityShareStatistics", query, what)
        found = {}
        for element in _elements(body, organization_id, what):
            urn = element.get("share") or element.get("ugcPost") if isinstance(element, Mapping) else None
            if urn not in urns:
                raise _malformed(organization_id, "post statistics element", f"post {urn!r} was not asked for", element)
            found[urn] = element
        return found

    # --- HTTP -------------------------------------------------------------------------------------

    def _get(self, organization_id: str, path: str, query: str, what: str) -> dict:
        endpoint = path.removeprefix("/rest/").split("/")[0]
        if (spent := self._spent_for_the_day.get(endpoint)) is not None:
            raise PlatformThrottledError(PLATFORM, f"Not read: {spent}", organization_id)
        # A URL string, not a params dict: requests would percent-encode the Rest.li syntax.
        url = f"{self.settings.api_url}{path}?{query}"
        retry = self._retry(
            throttled_for_the_day=lambda response: self._daily_limit_met(response, endpoint, organization_id, what)
        )
        refreshed = False
        while True:
            headers = {
                "Authorization": f"Bearer {self._current_token(organization_id)}",
                "LinkedIn-Version": self.settings.api_version,
                "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
            }
            response = retry.send(
                lambda: self._session.get(url, headers=headers, timeout=self.settings.timeout_seconds),  # noqa: B023
                f"the {what} calls for organization {organization_id} (API at {self.settings.api_url})",
                organization_id,
                detail=self._detail,
                throttle_hint=" The daily call limit resets at midnight UTC.",
            )
            if response.status_code == 401 and self.settings.can_refresh and not refreshed:
                self._refresh_access_token(organization_id)
                refreshed = True
                continue
            if response.status_code != 200:
                raise self._refusal(response, organization_id, what, refreshed)
            break
        body = json_object(response)
        if body is None:
            raise _malformed(organization_id, f"{what} answer", "not a JSON object", response.text)
        return body

    def _retry(
        self, throttled_for_the_day: Callable[[requests.Response], PlatformThrottledError] | None = None
    ) -> HttpRetry:
        return HttpRetry(
            PLATFORM,
            "LinkedIn",
            self.settings.backoff,
            self.settings.max_throttle_wait_seconds,
            self.sleep,
            throttled_for_the_day=throttled_for_the_day,
        )

    def _current_token(self, organization_id: str) -> str:
        if self._access_token is None:  # only refresh settings were configured
            return self._refresh_access_token(organization_id)
        return self._access_token

    def _refresh_access_token(self, organization_id: str) -> str:
        """A new access token from the refresh token, kept for the calls that follow. Its throttles back off as any
        429 does: the token endpoint's limits are not the REST endpoints' daily ones."""
        settings = self.settings
        tokens = refresh_access_token(
            self._session,
            lambda request: self._retry().send(
                request,
                f"the token refresh for organization {organization_id} (at {settings.oauth_url})",
                organization_id,
                detail=self._detail,
            ),
            platform=PLATFORM,
            oauth_url=settings.oauth_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            refresh_token=self._refresh_token,
            timeout_seconds=settings.timeout_seconds,
            account=organization_id,
            about=f"organization {organization_id}",
            secrets=self._secrets(),
        )
        self._access_token, self._refresh_token = tokens.access_token, tokens.refresh_token
        self.token_refreshes += 1
        return tokens.access_token

    def _daily_limit_met(
        self, response: requests.Response, endpoint: str, organization_id: str, what: str
    ) -> PlatformThrottledError:
        """The error of a daily limit met on `endpoint`, remembered so that the source's other organizations skip it."""
        now = clock.now(dt.UTC)
        reset = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
        hours = (reset - now).total_seconds() / 3600
        error = PlatformThrottledError(
            PLATFORM,
            f"LinkedIn's daily call limit for {endpoint} is spent (429 without Retry-After on the {what} of organization {organization_id}: {self._detail(response)}). It resets at midnight UTC, in {hours:.1f} hours; the organizations not read keep their earlier data. Rerun the sync for these days after 00:00 UTC, or let the next nightly sync fetch them; if it happens every night, ask LinkedIn for a higher limit (Developer Portal, your app's Analytics tab shows each endpoint's).",
            organization_id,
        )
        self._spent_for_the_day[endpoint] = error
        return error

    def _detail(self, response: requests.Response) -> str:
        return error_detail(response, self._secrets())

    def _secrets(self) -> list[str]:
        return [
            secret
            for secret in (
                self._access_token,
                self._refresh_token,
                self.settings.access_token,
                self.settings.client_secret,
            )
            if secret
        ]

    def _refusal(self, response: requests.Response, organization_id: str, what: str, refreshed: bool) -> Exception:
        status, detail = response.status_code, self._detail(response)
        where = f"LinkedIn organization {organization_id}"
        if status == 401 and refreshed:
            return PlatformAuthError(
                PLATFORM,
                f"LinkedIn rejected even a freshly refreshed access token while reading {what} of {where} (401 {detail}). Check that the app still has the rw_organization_admin and r_organization_social scopes, then create a new refresh token (social-roi connect linkedin) and set LINKEDIN_REFRESH_TOKEN.",
                organization_id,
            )
        if status == 401:
            return PlatformAuthError(
                PLATFORM,
                f"LinkedIn rejected the access token while reading {what} of {where} (401 {detail}). Create a new token (they live 60 days) for a member who is an ADMINISTRATOR of the pages, with the rw_organization_admin and r_organization_social scopes, and set LINKEDIN_ACCESS_TOKEN; or set LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN (social-roi connect linkedin sets them up) so that the connector renews it.",
                organization_id,
            )
        if status == 403:
            permission = POSTS_PERMISSION if what == "posts" else STATISTICS_PERMISSION
            return PlatformAuthError(
                PLATFORM,
                f"The LinkedIn token may not read {what} of {where} (403 {detail}). It needs {permission}: {PAGE_ROLE_FIX}. If the app lacked that scope, add it and create a new token.",
                organization_id,
            )
        if status == 426:
            return PlatformConfigError(
                PLATFORM,
                f"LinkedIn does not serve API version {self.settings.api_version} (426 {detail}), so {what} of {where} cannot be read: LinkedIn serves each monthly version for about a year. Set LINKEDIN_API_VERSION to a version released in the last few months, as YYYYMM (listed on {VERSIONS_PAGE}), and rerun.",
                organization_id,
            )
        return PlatformConfigError(
            PLATFORM,
            f"LinkedIn refused the {what} request for {where} (HTTP {status} {detail}). This is not retried; check LINKEDIN_ORGANIZATION_IDS and LINKEDIN_API_VERSION.",
            organization_id,
        )


# --- parsing ---------------------------------------------------------------------------------------


def parse_day(elements: Mapping[str, Mapping], organization_id: str, day: dt.date) -> dict:
    """The follower and share statistics elements of one day → the raw-table record (see RAW_COLUMNS). A day one
    endpoint left out counts zero there (absent means zero), except unique impressions and engagement: unknown."""
    followers = elements.get("followerStatistics") or {}
    statistics = elements.get("shareStatistics") or {}
    gains = followers.get("followerGains", {}) if followers else {}
    totals = statistics.get("totalShareStatistics", {}) if statistics else {}
    if not isinstance(gains, Mapping) or not isinstance(totals, Mapping):
        raise _malformed(organization_id, f"statistics element of {day}", "no readable gains or totals", dict(elements))
    subject = f"statistics of {day}"
    record = {
        "organization_id": organization_id,
        "date": day.isoformat(),
        "organic_follower_gain": _count(gains, "organicFollowerGain", organization_id, subject, signed=True),
        "paid_follower_gain": _count(gains, "paidFollowerGain", organization_id, subject, signed=True),
        **_share_statistics(totals, organization_id, subject),
        "raw_row": json.dumps(dict(elements), separators=(",", ":"), sort_keys=True),
    }
    if not statistics:
        record["engagement"] = None
    return {column: record[column] for column in RAW_COLUMNS}


def parse_post(post: Mapping, statistics: Mapping | None, organization_id: str) -> dict:
    """A Posts API element and its lifetime share statistics → the posts raw-table record (see POSTS_RAW_COLUMNS)."""
    urn = post["id"]
    published_at = dt.datetime.fromtimestamp(_post_time(post, organization_id) / 1000, dt.UTC)
    totals = (statistics or {}).get("totalShareStatistics", {})
    if not isinstance(totals, Mapping):
        raise _malformed(
            organization_id, f"statistics of post {urn}", "totalShareStatistics is not an object", statistics
        )
    commentary = post.get("commentary")
    record = {
        "organization_id": organization_id,
        "post_urn": urn,
        "published_date": published_at.date().isoformat(),
        "published_at": published_at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        "permalink": f"https://www.linkedin.com/feed/update/{urn}/",
        "commentary": commentary if isinstance(commentary, str) else None,
        **_share_statistics(totals, organization_id, f"statistics of post {urn}"),
        "raw_row": json.dumps({"post": post, "statistics": statistics}, separators=(",", ":"), sort_keys=True),
    }
    if statistics is None:
        record["engagement"] = None
    return {column: record[column] for column in POSTS_RAW_COLUMNS}


def _share_statistics(totals: Mapping, organization_id: str, subject: str) -> dict:
    values: dict[str, int | None] = {
        column: _count(totals, field, organization_id, subject) for field, column in SHARE_STATISTICS.items()
    }
    if "uniqueImpressionsCount" not in totals:
        values["unique_impressions"] = None  # distinct members: unknown, not zero
    engagement = totals.get("engagement", 0.0)
    if isinstance(engagement, bool) or not isinstance(engagement, int | float):
        raise _malformed(organization_id, subject, f"engagement={engagement!r} is not a number", dict(totals))
    return {**values, "engagement": float(engagement)}


def _count(values: Mapping, field: str, organization_id: str, subject: str, signed: bool = False) -> int:
    value = values.get(field, 0)
    if isinstance(value, bool) or not isinstance(value, int) or (value < 0 and not signed):
        raise _malformed(organization_id, subject, f"{field}={value!r} is not a count", dict(values))
    return value


def _element_day(element, organization_id: str, since: dt.date, until: dt.date) -> dt.date:
    """The UTC day a DAY element covers, checked: one whole day within the range, of the organization asked for."""
    try:
        start, end = element["timeRange"]["start"], element["timeRange"]["end"]
        day = dt.datetime.fromtimestamp(start / 1000, dt.UTC).date()
    except (KeyError, TypeError, ValueError, OverflowError):
        raise _malformed(organization_id, "statistics element", "no readable timeRange", element) from None
    entity = element.get("organizationalEntity")
    if end - start != DAY_MS or start % DAY_MS or not since <= day <= until:
        raise _malformed(organization_id, "statistics element", f"not one UTC day within {since}..{until}", element)
    if entity not in (None, f"{ORGANIZATION_URN}{organization_id}"):
        raise _malformed(organization_id, "statistics element", f"organizationalEntity {entity!r}", element)
    return day


def _post_time(post, organization_id: str) -> int:
    """When the post was published (else created), epoch milliseconds; its id checked too."""
    moment = post.get("publishedAt") or post.get("createdAt") if isinstance(post, Mapping) else None
    if not isinstance(post, Mapping) or not POST_URN.fullmatch(str(post.get("id"))):
        raise _malformed(organization_id, "post", "id is not a share or ugcPost URN", post)
    if isinstance(moment, bool) or not isinstance(moment, int):
        raise _malformed(organization_id, f"post {post['id']}", "no publishedAt or createdAt in epoch ms", post)
    return moment


def _elements(body: dict, organization_id: str, what: str) -> list:
    elements = body.get("elements")
    if not isinstance(elements, list):
        raise _malformed(organization_id, f"{what} answer", "no elements list", body)
    return elements


def _malformed(organization_id: str, subject: str, problem: str, payload) -> MalformedPayloadError:
    return MalformedPayloadError(
        PLATFORM,
        f"LinkedIn returned a malformed {subject} for organization {organization_id} ({problem}); nothing of it was written. Payload: {excerpt(json.dumps(payload, default=str), 300)}",
        organization_id,
    )


def _encoded_urn(organization_id: str) -> str:
    return urllib.parse.quote(f"{ORGANIZATION_URN}{organization_id}", safe="")


def _epoch_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)


def _time_intervals(since: dt.date, until: dt.date) -> str:
    """DAY granularity over [since 00:00 UTC, until + 1 00:00 UTC): start inclusive, end exclusive."""
    return f"(timeRange:(start:{_epoch_ms(since)},end:{_epoch_ms(until) + DAY_MS}),timeGranularityType:DAY)"


# --- what the pipeline calls -------------------------------------------------------------------------


def fetch_window(settings: LinkedInPagesSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured organization's days of [since, until], one at a time: one's failure spares the others."""
    return fetch_slices(
        LinkedInPagesClient(settings), settings.organization_ids, LinkedInPagesClient.daily_statistics, since, until
    )


def fetch_posts(settings: LinkedInPagesSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured organization's posts published in [since, until], one organization at a time."""
    return fetch_slices(
        LinkedInPagesClient(settings), settings.organization_ids, LinkedInPagesClient.posts, since, until
    )


def fetch_follower_totals(settings: LinkedInPagesSettings) -> Iterator[RecordSlice]:
    """(organization id, the one record of its follower total now) per organization; a failing one raises when
    its records are read, so the others still load."""
    return fetch_slices(
        LinkedInPagesClient(settings), settings.organization_ids, LinkedInPagesClient.follower_total, None, None
    )


def check_access(settings: LinkedInPagesSettings) -> Iterator[AccessCheck]:
    """(organization id, None) for each organization whose statistics the token can read, else what to fix."""
    patient_enough = dataclasses.replace(
        settings, max_throttle_wait_seconds=min(settings.max_throttle_wait_seconds, CHECK_MAX_THROTTLE_WAIT_SECONDS)
    )
    return check_slices(
        lambda: LinkedInPagesClient(patient_enough),
        settings.organization_ids,
        LinkedInPagesClient.check_organization,
    )


def token_warnings(settings: LinkedInPagesSettings) -> Iterator[CheckWarning]:
    """The organization pages' credential warnings (Platform.credential_warnings), as LinkedIn Ads has them: the
    refresh token (or, without one, the access token) that expires within 14 days or is no longer active."""
    return credential_warnings(settings, PLATFORM)


CREDENTIALS_HINT = "LINKEDIN_ORGANIZATION_IDS with LINKEDIN_ACCESS_TOKEN or LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET and LINKEDIN_REFRESH_TOKEN"
SETTING_NAMES = (
    "LINKEDIN_ORGANIZATION_IDS",
    "LINKEDIN_ACCESS_TOKEN",
    "LINKEDIN_CLIENT_ID",
    "LINKEDIN_CLIENT_SECRET",
    "LINKEDIN_REFRESH_TOKEN",
    "LINKEDIN_API_VERSION",
    "LINKEDIN_API_URL",
    "LINKEDIN_OAUTH_URL",
)

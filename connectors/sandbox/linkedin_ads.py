"""LinkedIn's Marketing API (REST, Rest.li protocol 2.0), as a plain-HTTP client calls it.

Served:
  GET  /rest/adAccounts/{id} -> the ad account (id, name, currency, status, type)
  GET  /rest/adAccounts/{id}/adCampaigns?q=search&search=(status:(values:List(...)))&pageSize=..
       -> {"elements": [...], "metadata": {"nextPageToken": ...}}
  GET  /rest/adAnalytics?q=analytics&pivot=(value:CAMPAIGN)&timeGranularity=(value:DAILY)
       &dateRange=(start:(year:..,month:..,day:..),end:(..))&campaigns=List(urn%3Ali%3A..)&fields=..
       -> {"elements": [...], "paging": {...}}
  GET  /rest/adAnalytics?q=analytics&pivot=(value:ACCOUNT)&timeGranularity=(value:ALL|DAILY)
       &dateRange=(..)&accounts=List(urn%3Ali%3AsponsoredAccount%3A..)&fields=..
       -> the account's campaigns summed (reach is not served by ACCOUNT: it does not add up)
  GET  /rest/adAnalytics?q=statistics&pivots=List(CAMPAIGN,CONVERSION)&timeGranularity=DAILY
       &dateRange=(..)&accounts=List(urn%3Ali%3AsponsoredAccount%3A..)&fields=..
       -> website conversions per campaign × conversion rule × day
  GET  /rest/adAccountUsers?q=authenticatedUser&start=..&count=..
       -> the token's member's role on each ad account it may use, {"elements": [...], "paging": {...}}
  GET  /rest/conversions?q=account&account=urn%3Ali%3AsponsoredAccount%3A..&start=..&count=..
       -> the account's conversion rules, {"elements": [...], "paging": {"start", "count", "total", "links"}}
  POST any of these with X-HTTP-Method-Override: GET and the query form-encoded in the body
  GET  /oauth/v2/authorization?response_type=code&client_id=..&redirect_uri=..&state=..&scope=..
       -> the member logged in clicks Allow: 302 to redirect_uri?code=..&state=.. (see `authorization`)
  POST /oauth/v2/accessToken  (grant_type=authorization_code or refresh_token) -> tokens
  POST /oauth/v2/introspectToken  (client_id, client_secret, token) -> the token's status and expiry

The token's member holds a role on every ad account of the advertiser, and on none of
``STRANGER_AD_ACCOUNT_ID``: an account of another advertiser that exists on LinkedIn, is in no
default setting, and answers its reads with 403 (see `_stranger`).

Faithful details worth knowing: the headers Authorization, LinkedIn-Version and
X-Restli-Protocol-Version are required; Rest.li syntax that arrives percent-encoded (a client that
let its HTTP library re-encode the query) is refused with 400, as are URNs inside List(...) that
are not encoded; at most 20 fields per request, dateRange and pivotValues included; costs are
strings, counts integers; an element whose requested metrics are all zero is left out; an answer
is cut silently at ``max_elements`` (15,000); approximateMemberReach only for ranges of at most 92
days; URLs longer than ``max_url_length`` answer 414; conversions of recent days grow on later
reports (restatements). Error bodies have LinkedIn's shape {"status", "serviceErrorCode", "code",
"message"}.

Fault kinds (``sandbox.faults.arm("linkedin", kind, ...)``): ``throttle`` (retry_after=seconds,
else no Retry-After header), ``server_error`` (status=500|502|503|504), ``expired_token`` (the
token presented stays expired; the refresh endpoint issues a new one), ``version_retired`` (426),
``uri_too_long`` (414 for a GET; over=N: only once path and query are longer than N characters), ``token_answer_not_json``
(status=200: the refreshed tokens form-encoded; another status: a text page quoting the secrets it refused, see
``_token_answer_not_json``), ``permission_denied``
(403), ``malformed_payload`` (a cost written with a decimal comma), ``read_access_revoked``
(account=<id>, else every account; lasts for the rest of the sandbox's life): the token's member
loses its role on the account. What LinkedIn documents for that state is served: adAnalytics
answers 200 with no elements for the account ("An empty response is returned if there's no activity
to report or if you don't have read access to the requested advertising data",
learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/ads-reporting), and the
adAccountUsers finder by authenticated user, which lists the accounts the member holds a role on
(learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/create-and-manage-account-users),
leaves it out. The campaign-management reads (adCampaigns, the ad account, conversion rules) keep
answering: LinkedIn documents no answer for them in that state, and this is the worst case for a
connector, where the only sign is an empty report.

Versions: LinkedIn serves each monthly version for at least a year and its migrations table sunsets
it mid-month a year on (learn.microsoft.com/linkedin/marketing/integrations/migrations); the sandbox
answers 426 NONEXISTENT_VERSION from the 15th of the version's month a year on (by the advertiser's
today), as it does for a version header it cannot read.

The metrics and conversion rules are LinkedIn's wording of the advertiser's day (``linkedin_figures.py``):
a campaign's website conversions all belong to the one rule of its conversion event, so the
statistics finder's conversions by rule add up to the analytics finder's per campaign-day.
``environment()`` holds the settings that point the LinkedIn connector here.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import itertools
import re
import secrets
import threading
import urllib.parse

from connectors import clock
from connectors.sandbox.advertiser import Campaign
from connectors.sandbox.http import Request, Response
from connectors.sandbox.linkedin_figures import (
    CONVERSION_METRICS,
    conversion_rules,
    linkedin_account_metrics,
    linkedin_conversions,
    linkedin_metrics,
)
from connectors.sandbox.linkedin_restli import (
    RESTLI_PARAMS,
    RestliSyntaxError,
    parse_restli,
    reencoded_params,
)

# The sandbox's secrets hold `+`, `/` and `=`, each written differently as is, percent-encoded (a form body, a
# link) and JSON-escaped (`\/` as Graph and PHP write it, `\u003d` as Gson's HTML-safe default does), so that a
# scrub that misses one of those forms is caught by the tests, and a client that sends `+` unencoded in a form is
# refused as a real token endpoint refuses it (see `access_token`). All are characters the real ones may hold:
# - client secrets: "Client secrets can include characters like / ,= ,+ which require URL encoding"
#   (learn.microsoft.com/linkedin/shared/authentication/client-credentials-flow); the Developer Portal's secrets
#   read `WPL_AP1.<letters>.<base64>`, as public code quoting them shows (LinkedIn documents no format);
# - tokens: LinkedIn's samples are base64url ("AQXNnd2k…-wvaKrkM…",
#   learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens), but OAuth 2.0 lets an access
#   or refresh token be any printable ASCII (RFC 6749 Appendix A.12, A.17: 1*VSCHAR, VSCHAR = %x20-7E), and a
#   Bearer credential is a b64token, `+`, `/` and trailing `=` included (RFC 6750 §2.1); LinkedIn promises no
#   alphabet, so a connector must carry the whole range.
SANDBOX_LINKEDIN_TOKEN = "AQV5andb0x+L1nkedIn/AccessT0ken=="
SANDBOX_CLIENT_ID = "sandbox-linkedin-client"
SANDBOX_CLIENT_SECRET = "WPL_AP1.SandboxAppSecret.S4n+/dBx=="
SANDBOX_REFRESH_TOKEN = "AQX5andb0x+L1nkedIn/RefreshT0ken=="
# A refresh token the member granted 360 days before the sandbox started: it expires in 5 days, within the 14 days
# `social-roi check` warns of (connectors/credential_expiry.py), and renews access tokens until then.
SANDBOX_EXPIRING_REFRESH_TOKEN = "AQX5andb0x+L1nkedIn/Exp1ringRefresh=="
EXPIRING_REFRESH_TOKEN_DAYS_LEFT = 5
MAX_FIELDS = 20
DEFAULT_MAX_ELEMENTS = 15_000
# The sandbox's own request-line limit: LinkedIn publishes no number, only that long URLs get 414.
DEFAULT_MAX_URL_LENGTH = 8_192
REACH_MAX_DAYS = 92
CAMPAIGN_PAGE_SIZE_LIMIT = 1_000
RESTLI_DEFAULT_COUNT = 10  # a Rest.li collection's page size when count is not given
MAX_PIVOTS = 3  # the statistics finder groups by up to three pivots (ads-reporting docs)
COST_FIELDS = {"costInLocalCurrency", "costInUsd", "conversionValueInLocalCurrency"}
METRIC_FIELDS = {
    "impressions",
    "clicks",
    "landingPageClicks",
    "externalWebsiteConversions",
    "externalWebsitePostClickConversions",
    "externalWebsitePostViewConversions",
    "oneClickLeads",
    "likes",
    "comments",
    "shares",
    "follows",
    "totalEngagements",
    "videoViews",
    "approximateMemberReach",
    *COST_FIELDS,
}
CAMPAIGN_STATUSES = {"ACTIVE", "PAUSED", "ARCHIVED", "COMPLETED", "CANCELED", "DRAFT", "PENDING_DELETION", "REMOVED"}
# The advertiser's plain words for what a campaign was bought for → LinkedIn's campaign objectiveType
# (learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/create-and-manage-campaigns:
# BRAND_AWARENESS, WEBSITE_VISIT, ENGAGEMENT, VIDEO_VIEW, LEAD_GENERATION, WEBSITE_CONVERSION, JOB_APPLICANT).
OBJECTIVE_TYPES = {"awareness": "BRAND_AWARENESS", "leads": "LEAD_GENERATION", "sales": "WEBSITE_CONVERSION"}
# The sandbox token's member and its role on every ad account it has not lost (one of VIEWER,
# CREATIVE_MANAGER, CAMPAIGN_MANAGER, ACCOUNT_MANAGER, ACCOUNT_BILLING_ADMIN: account-access-controls docs).
SANDBOX_MEMBER = "urn:li:person:sandboxMember1"
SANDBOX_MEMBER_ROLE = "CAMPAIGN_MANAGER"
# An ad account of another advertiser: it exists, and the token's member holds no role on it (it is in no default
# setting, so no test or demo reads it unless it asks for it). Outside the range the advertiser's ids are drawn
# from (500,000,000 + up to 10,000,000).
STRANGER_AD_ACCOUNT_ID = "512000001"
# What the sandbox's LinkedIn app may ask a member for (the Developer Portal's Auth tab lists an app's scopes: those
# of the products it was granted): Advertising API's and Community Management API's read scopes.
SANDBOX_APP_SCOPES = frozenset(
    {"r_ads", "rw_ads", "r_ads_reporting", "r_organization_social", "rw_organization_admin", "r_organization_admin"}
)
# The Authorized redirect URLs of the sandbox's app when it starts: the one `social-roi connect linkedin` uses by
# default (connectors/linkedin_ads/discovery.py), so that a demo can connect. Tests add their own
# (`LinkedInRestApi.register_redirect_url`), each with a port of its own.
SANDBOX_REDIRECT_URLS = ("http://localhost:8719/callback",)
# "For security reasons, the authorization code has a 30-minute lifespan and must be used immediately"
# (learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow, Step 2).
AUTHORIZATION_CODE_LIFETIME = dt.timedelta(minutes=30)
ACCESS_TOKEN_SECONDS = 5_184_000  # "all access tokens are issued with a 60-day lifespan" (same page, Step 3)
REFRESH_TOKEN_SECONDS = (
    31_536_000  # 365 days (learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens)
)
# The scopes the settings' own tokens were granted: what `social-roi connect linkedin` asks for
# (connectors/linkedin_ads/discovery.py, SCOPES).
SETTINGS_TOKEN_SCOPE = "r_ads r_ads_reporting r_organization_social rw_organization_admin"
# The token endpoint's answer to a code that is not the one issued for this app and redirect URL, or is expired or
# used: LinkedIn's own words (authorization-code-flow, "API Error Details", /oauth/v2/accessToken).
CODE_DOES_NOT_MATCH = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. "
    "Or authorization code expired. Or external member binding exists"
)


def environment(sandbox) -> dict[str, str]:
    """The settings that point the LinkedIn connector at this sandbox (refresh credentials included,
    so an ``expired_token`` fault armed on a running demo is survived)."""
    return {
        "LINKEDIN_ACCESS_TOKEN": SANDBOX_LINKEDIN_TOKEN,
        "LINKEDIN_CLIENT_ID": SANDBOX_CLIENT_ID,
        "LINKEDIN_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "LINKEDIN_REFRESH_TOKEN": SANDBOX_REFRESH_TOKEN,
        "LINKEDIN_AD_ACCOUNT_IDS": ",".join(
            f"urn:li:sponsoredAccount:{a.id}" for a in sandbox.advertiser.linkedin_accounts
        ),
        "LINKEDIN_API_URL": sandbox.base_url,
        "LINKEDIN_OAUTH_URL": sandbox.base_url,
    }


def _linkedin_error(
    status: int, code: str, message: str, service_code: int | None = None, headers: dict | None = None
) -> Response:
    body: dict = {"status": status, "code": code, "message": message}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    return Response.json(status, body, headers)


def _stranger(request: Request, resource: str) -> Response:
    """A read of an ad account the token's member holds no role on (STRANGER_AD_ACCOUNT_ID): LinkedIn's 403 body,
    {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED", "message": "Not enough permissions to access:
    <resource>.<method>.<version>"}, as LinkedIn answers a finder the token may not use
    (github.com/linkedin-developers/linkedin-api-python-client/issues/37, adCreatives' search finder;
    linkedin-api-js-client/issues/35). Its reports, like a revoked account's, answer empty (`readable`)."""
    digits = request.headers.get("linkedin-version", "").replace(".", "")  # 202610 is named 20261001
    version = digits if len(digits) == 8 else digits + "01"
    return _linkedin_error(403, "ACCESS_DENIED", f"Not enough permissions to access: {resource}.{version}", 100)


@dataclasses.dataclass
class _AuthorizationCode:
    """A code the authorization endpoint issued: for one app and one redirect URL, once, for 30 minutes."""

    client_id: str
    redirect_uri: str
    scope: str
    issued_at: dt.datetime
    used: bool = False


@dataclasses.dataclass
class _TokenGrant:
    """What the sandbox knows of a token it issued (or its settings hold), as token introspection tells it: when
    the member authorized the app, when this token was issued, when it expires, for which scopes."""

    kind: str  # "access" or "refresh"
    authorized_at: dt.datetime
    created_at: dt.datetime
    expires_at: dt.datetime
    scope: str  # space-delimited, as the authorization request named them


@dataclasses.dataclass(frozen=True)
class AnalyticsCall:
    """One adAnalytics request the sandbox answered, kept so tests can inspect what was asked."""

    method: str
    raw_query: str
    campaigns: int
    days: int
    fields: tuple[str, ...]
    elements: int
    finder: str = "analytics"  # or "statistics"
    pivot: str = "CAMPAIGN"  # or "ACCOUNT" (analytics finder), "CAMPAIGN,CONVERSION" (statistics)


class LinkedInRestApi:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.advertiser = sandbox.advertiser
        self.valid_tokens = {SANDBOX_LINKEDIN_TOKEN}
        self.expired_tokens: set[str] = set()
        self.max_elements = DEFAULT_MAX_ELEMENTS
        self.max_url_length = DEFAULT_MAX_URL_LENGTH
        self.analytics_calls: list[AnalyticsCall] = []
        self.revoked_accounts: set[str] = set()  # accounts the member lost its role on (read_access_revoked)
        self.tokens_issued = 0
        self._token_numbers = itertools.count(1)
        self._lock = threading.Lock()
        # The app's Authorized redirect URLs (Developer Portal, the app's Auth tab): LinkedIn matches them exactly.
        self.redirect_urls: set[str] = set(SANDBOX_REDIRECT_URLS)
        # What the member does on LinkedIn's consent screen: "allow", or the error LinkedIn redirects with when the
        # member declines, "user_cancelled_login" or "user_cancelled_authorize".
        self.member_answer = "allow"
        self.refresh_tokens = {SANDBOX_REFRESH_TOKEN, SANDBOX_EXPIRING_REFRESH_TOKEN}
        # The scopes the app's products grant (SANDBOX_APP_SCOPES): a test removes one to play an app without a product.
        self.app_scopes: set[str] = set(SANDBOX_APP_SCOPES)
        self.authorization_codes: dict[str, _AuthorizationCode] = {}
        # Every token's lifetime by the sandbox's clock: the settings' own as if the member had signed in as the
        # sandbox started (the expiring refresh token 360 days before), each issued one from when it was issued.
        started = clock.now(dt.UTC)
        years_grant = started - dt.timedelta(days=365 - EXPIRING_REFRESH_TOKEN_DAYS_LEFT)
        self.token_grants: dict[str, _TokenGrant] = {
            SANDBOX_LINKEDIN_TOKEN: _grant("access", started, started, SETTINGS_TOKEN_SCOPE),
            SANDBOX_REFRESH_TOKEN: _grant("refresh", started, started, SETTINGS_TOKEN_SCOPE),
            SANDBOX_EXPIRING_REFRESH_TOKEN: _grant("refresh", years_grant, years_grant, SETTINGS_TOKEN_SCOPE),
        }

    def routes(self):
        rest_routes = [
            (re.compile(r"^/rest/adAnalytics$"), self._ad_analytics),
            (re.compile(r"^/rest/adAccounts/(\d+)/adCampaigns$"), self._campaigns),
            (re.compile(r"^/rest/adAccounts/(\d+)$"), self._ad_account),
            (re.compile(r"^/rest/conversions$"), self._conversion_rules),
            (re.compile(r"^/rest/adAccountUsers$"), self._account_users),
        ]
        routes = []
        for path, handler in rest_routes:
            routes += [
                ("GET", path, lambda request, match, h=handler: self._answer(request, match, request.raw_query, h)),
                ("POST", path, lambda request, match, h=handler: self._tunnelled(request, match, h)),
            ]
        return [
            *routes,
            ("GET", re.compile(r"^/oauth/v2/authorization$"), self.authorization),
            ("POST", re.compile(r"^/oauth/v2/accessToken$"), self.access_token),
            ("POST", re.compile(r"^/oauth/v2/introspectToken$"), self.introspect_token),
        ]

    def register_redirect_url(self, url: str) -> None:
        """Add `url` to the app's Authorized redirect URLs, as its developer does on the Auth tab."""
        with self._lock:
            self.redirect_urls.add(url)

    def age_refresh_tokens(self, by: dt.timedelta) -> None:
        """Make every refresh token's sign-in `by` earlier: its remaining lifetime shrinks by as much."""
        with self._lock:
            for grant in self.token_grants.values():
                if grant.kind == "refresh":
                    grant.authorized_at -= by
                    grant.created_at -= by
                    grant.expires_at -= by

    def set_token_expiry(self, token: str, expires_at: dt.datetime) -> None:
        """Make a token the sandbox knows expire at `expires_at` (passed: it has expired; the REST endpoints and the
        token endpoint refuse it, introspection says so)."""
        with self._lock:
            self.token_grants[token].expires_at = expires_at

    def _expired(self, token: str) -> bool:
        grant = self.token_grants.get(token)
        return grant is not None and clock.now(dt.UTC) >= grant.expires_at

    def age_authorization_codes(self, by: dt.timedelta) -> None:
        """Make every authorization code issued so far `by` older: past AUTHORIZATION_CODE_LIFETIME, it has expired."""
        with self._lock:
            for code in self.authorization_codes.values():
                code.issued_at -= by

    # --- what every API request meets first -------------------------------------------------

    def _tunnelled(self, request: Request, match, handler) -> Response:
        if request.headers.get("x-http-method-override", "").upper() != "GET":
            return _linkedin_error(
                405,
                "METHOD_NOT_ALLOWED",
                f"POST is not supported on {request.path} without X-HTTP-Method-Override: GET",
            )
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _linkedin_error(
                400, "INVALID_CONTENT_TYPE", "A tunnelled query must be sent as application/x-www-form-urlencoded"
            )
        return self._answer(request, match, request.body.decode(), handler)

    def _answer(
        self, request: Request, match, raw_query: str, handler, restli_params: tuple[str, ...] = RESTLI_PARAMS
    ) -> Response:
        """What every LinkedIn REST request meets (gateway refusals, a re-encoded Rest.li query), then
        `handler(request, match, params)`; the organization pages' endpoints pass their own Rest.li
        parameters."""
        refusal = self._refusal(request, raw_query)
        if refusal:
            return refusal
        reencoded = reencoded_params(raw_query, restli_params)
        if reencoded:
            return _linkedin_error(
                400,
                "ILLEGAL_ARGUMENT",
                f"Query parameters {', '.join(reencoded)} arrived percent-encoded: the query was re-encoded. Send Rest.li syntax ( ) : , as is and percent-encode only the values inside it, such as URNs.",
                100,
            )
        params = {
            urllib.parse.unquote(name): value
            for name, _, value in (part.partition("=") for part in raw_query.split("&") if part)
        }
        return handler(request, match, params)

    def _refusal(self, request: Request, raw_query: str) -> Response | None:
        """The error a request meets before any work is done: length, version, auth, throttling, 5xx."""
        faults = self.sandbox.faults
        if request.method == "GET" and self._uri_too_long(len(request.path) + 1 + len(raw_query)):
            return _linkedin_error(414, "URI_TOO_LONG", "Request-URI Too Long")
        version = request.headers.get("linkedin-version")
        if not version:
            return _linkedin_error(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            )
        if faults.take("linkedin", "version_retired") or not self._version_active(version):
            digits = version.replace(".", "")  # LinkedIn names 202610 as 20261001 in this message
            return _linkedin_error(
                426,
                "NONEXISTENT_VERSION",
                f"Requested version {digits if len(digits) == 8 else digits + '01'} is not active",
            )
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return _linkedin_error(
                400,
                "ILLEGAL_ARGUMENT",
                "This API is served with Rest.li protocol 2.0.0: send X-Restli-Protocol-Version: 2.0.0",
            )
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token:
            return _linkedin_error(401, "EMPTY_ACCESS_TOKEN", "Empty oauth2 access token", 65604)
        if faults.take("linkedin", "expired_token"):
            with self._lock:
                self.expired_tokens.add(token)
        if token in self.expired_tokens or self._expired(token):
            return _linkedin_error(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65601)
        if token not in self.valid_tokens:
            return _linkedin_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        revoked = faults.take("linkedin", "read_access_revoked")
        if revoked:
            with self._lock:
                account = revoked.options.get("account")  # 123 or urn:li:sponsoredAccount:123
                self.revoked_accounts |= (
                    {str(account).rsplit(":", 1)[-1]} if account else {a.id for a in self.advertiser.linkedin_accounts}
                )
        if faults.take("linkedin", "permission_denied"):
            return _linkedin_error(
                403, "ACCESS_DENIED", f"Not enough permissions to access: {request.method} {request.path}", 100
            )
        throttle = faults.take("linkedin", "throttle")
        if throttle:
            retry_after = throttle.options.get("retry_after")
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            return _linkedin_error(
                429,
                "TOO_MANY_REQUESTS",
                "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
                101,
                headers,
            )
        server_error = faults.take("linkedin", "server_error")
        if server_error:
            status = server_error.options.get("status", 500)
            code = {502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}.get(
                status, "INTERNAL_SERVER_ERROR"
            )
            return _linkedin_error(
                status, code, "Internal Server Error" if status == 500 else code.replace("_", " ").title()
            )
        return None

    def _version_active(self, version: str) -> bool:
        """A well-formed version (YYYYMM or YYYYMM.NN) not yet at its sunset: the 15th of its month a year on."""
        if not re.fullmatch(r"20\d\d(0[1-9]|1[0-2])(\.\d{2})?", version):
            return False
        return self.advertiser.today < dt.date(int(version[:4]) + 1, int(version[4:6]), 15)

    def readable(self, account_id: str) -> bool:
        """Whether the token's member may read this account's reports: one of the advertiser's
        LinkedIn accounts, its role not revoked."""
        account = self.advertiser.account(account_id)
        return account in self.advertiser.linkedin_accounts and account_id not in self.revoked_accounts

    def _uri_too_long(self, length: int) -> bool:
        if length > self.max_url_length:
            return True
        fault = self.sandbox.faults.take("linkedin", "uri_too_long")
        if fault and length <= fault.options.get("over", 0):
            if fault.remaining is not None:  # this URL is short enough: keep the use for a longer one
                self.sandbox.faults.arm("linkedin", "uri_too_long", times=1, **fault.options)
            return False
        return fault is not None

    # --- adCampaigns ----------------------------------------------------------------------------

    def _campaigns(self, request: Request, match, params: dict[str, str]) -> Response:
        if match.group(1) == STRANGER_AD_ACCOUNT_ID:
            return _stranger(request, "adCampaigns.FINDER-search")
        account = self.advertiser.account(match.group(1))
        if account is None or account not in self.advertiser.linkedin_accounts:
            return _linkedin_error(404, "NOT_FOUND", f"Not Found: adAccount {match.group(1)} does not exist", 100)
        if params.get("q") != "search":
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", "Invalid finder: adCampaigns is searched with q=search")
        try:
            statuses = (
                set(parse_restli(params["search"])["status"]["values"]) if "search" in params else CAMPAIGN_STATUSES
            )
            page_size = int(params.get("pageSize", "100"))
            offset = (
                int(base64.urlsafe_b64decode(urllib.parse.unquote(params["pageToken"])).decode())
                if "pageToken" in params
                else 0
            )
        except (RestliSyntaxError, KeyError, TypeError, ValueError) as problem:
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", f"Invalid search, pageSize or pageToken: {problem}")
        if not 1 <= page_size <= CAMPAIGN_PAGE_SIZE_LIMIT or not statuses <= CAMPAIGN_STATUSES:
            return _linkedin_error(
                400,
                "ILLEGAL_ARGUMENT",
                f"pageSize must be 1..{CAMPAIGN_PAGE_SIZE_LIMIT} and statuses among {sorted(CAMPAIGN_STATUSES)}",
            )
        matching = [c for c in self.advertiser.campaigns_of(account.id) if _status(c) in statuses]
        page = matching[offset : offset + page_size]
        metadata = {}
        if offset + page_size < len(matching):
            metadata["nextPageToken"] = base64.urlsafe_b64encode(str(offset + page_size).encode()).decode()
        return Response.json(
            200, {"elements": [_campaign_element(c, account.currency) for c in page], "metadata": metadata}
        )

    # --- adAccounts/{id} and conversion rules --------------------------------------------------

    def _ad_account(self, request: Request, match, params: dict[str, str]) -> Response:
        """The ad account (learn.microsoft.com/linkedin/marketing/integrations/ads/account-structure/create-and-manage-accounts):
        its currency is the one every local-currency metric is in."""
        if match.group(1) == STRANGER_AD_ACCOUNT_ID:
            return _stranger(request, "adAccounts.GET")
        account = self.advertiser.account(match.group(1))
        if account is None or account not in self.advertiser.linkedin_accounts:
            return _linkedin_error(404, "NOT_FOUND", f"Not Found: adAccount {match.group(1)} does not exist", 100)
        return Response.json(
            200,
            {
                "id": int(account.id),
                "name": account.name,
                "currency": account.currency,
                "status": "ACTIVE",
                "type": "BUSINESS",
                "test": False,
            },
        )

    def _conversion_rules(self, request: Request, match, params: dict[str, str]) -> Response:
        """The Conversions API's finder by ad account (learn.microsoft.com/linkedin/marketing/integrations/ads-reporting/conversion-tracking):
        every rule, enabled or not, paged as a Rest.li collection with start and count."""
        if params.get("q") != "account":
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", "Invalid finder: conversions are found with q=account")
        try:
            urn = urllib.parse.unquote(params["account"])
            start, count = int(params.get("start", "0")), int(params.get("count", str(RESTLI_DEFAULT_COUNT)))
        except (KeyError, ValueError) as problem:
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", f"Invalid account, start or count: {problem}", 100)
        account_id = re.fullmatch(r"urn:li:sponsoredAccount:(\d+)", urn)
        if account_id is None or start < 0 or count < 1:
            return _linkedin_error(
                400,
                "ILLEGAL_ARGUMENT",
                "account must be an urn:li:sponsoredAccount URN, start >= 0 and count >= 1",
                100,
            )
        if account_id.group(1) == STRANGER_AD_ACCOUNT_ID:
            return _stranger(request, "conversions.FINDER-account")
        account = self.advertiser.account(account_id.group(1))
        if account is None or account not in self.advertiser.linkedin_accounts:
            return _linkedin_error(404, "NOT_FOUND", f"Not Found: adAccount {account_id.group(1)} does not exist", 100)
        rules = conversion_rules(account.id)
        campaigns = self.advertiser.campaigns_of(account.id)
        page = [
            {
                "id": int(rule.id),
                "name": rule.name,
                "account": f"urn:li:sponsoredAccount:{account.id}",
                "type": rule.type,
                "enabled": True,
                # the documented defaults (conversions-api-schema)
                "attributionType": "LAST_TOUCH_BY_CAMPAIGN",
                "postClickAttributionWindowSize": 30,
                "viewThroughAttributionWindowSize": 7,
                "campaigns": [
                    f"urn:li:sponsoredCampaign:{c.id}" for c in campaigns if c.conversion_event == rule.event
                ],
            }
            for rule in rules[start : start + count]
        ]
        links = []
        if start + count < len(rules):
            links.append(
                {
                    "rel": "next",
                    "type": "application/json",
                    "href": f"/rest/conversions?q=account&account={params['account']}&start={start + count}&count={count}",
                }
            )
        return Response.json(
            200, {"elements": page, "paging": {"start": start, "count": count, "total": len(rules), "links": links}}
        )

    # --- adAnalytics ----------------------------------------------------------------------------

    def _ad_analytics(self, request: Request, match, params: dict[str, str]) -> Response:
        """adAnalytics' finders (ads-reporting docs): analytics groups by one pivot, statistics by up to three."""
        if params.get("q") == "statistics":
            return self._statistics(request, params)
        if params.get("pivot") == "(value:ACCOUNT)":
            return self._account_analytics(request, params)
        return self._analytics(request, match, params)

    def _analytics(self, request: Request, match, params: dict[str, str]) -> Response:
        query = _parsed_query(_AnalyticsQuery, params)
        if isinstance(query, Response):
            return query
        if "approximateMemberReach" in query.fields and query.days > REACH_MAX_DAYS:
            return _linkedin_error(
                400,
                "ILLEGAL_ARGUMENT",
                f"approximateMemberReach is only available for date ranges of at most {REACH_MAX_DAYS} days",
                100,
            )
        # Campaigns of an account the member may not read are left out, not refused (see read_access_revoked).
        by_id = {c.id: c for c in self.advertiser.linkedin_campaigns if self.readable(c.account_id)}
        campaigns = [by_id[campaign_id] for campaign_id in query.campaign_ids if campaign_id in by_id]
        elements = self._elements(campaigns, query, self.sandbox.restatements_for_new_report())
        if (
            elements
            and "costInLocalCurrency" in query.fields
            and self.sandbox.faults.take("linkedin", "malformed_payload")
        ):
            elements[-1]["costInLocalCurrency"] = "1.234,56"  # a decimal comma: the kind of value a parser must refuse
        with self._lock:
            self.analytics_calls.append(
                AnalyticsCall(
                    request.method,
                    request.raw_query if request.method == "GET" else request.body.decode(),
                    len(query.campaign_ids),
                    query.days,
                    query.fields,
                    len(elements),
                )
            )
        return Response.json(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    def _account_analytics(self, request: Request, params: dict[str, str]) -> Response:
        """The analytics finder by ACCOUNT: each account's campaigns summed per day (DAILY) or over the
        whole range (ALL); an account the member may not read answers nothing."""
        query = _parsed_query(_AccountAnalyticsQuery, params)
        if isinstance(query, Response):
            return query
        restatements = self.sandbox.restatements_for_new_report()
        periods = (
            [[query.start + dt.timedelta(days=offset) for offset in range(query.days)]]
            if query.granularity == "ALL"
            else [[query.start + dt.timedelta(days=offset)] for offset in range(query.days)]
        )
        elements = []
        for account_id in query.account_ids:
            campaigns = self.advertiser.campaigns_of(account_id) if self.readable(account_id) else []
            for days in periods:
                values = linkedin_account_metrics(self.advertiser, campaigns, days, restatements)
                element = _element(days[0], [f"urn:li:sponsoredAccount:{account_id}"], values, query.fields, days[-1])
                if element is not None:
                    elements.append(element)
        with self._lock:
            self.analytics_calls.append(
                AnalyticsCall(
                    request.method,
                    request.raw_query if request.method == "GET" else request.body.decode(),
                    0,
                    query.days,
                    query.fields,
                    len(elements),
                    pivot="ACCOUNT",
                )
            )
        return Response.json(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    def _elements(self, campaigns: list[Campaign], query: _AnalyticsQuery, restatements: int) -> list[dict]:
        elements = []
        for offset in range(query.days):
            day = query.start + dt.timedelta(days=offset)
            for campaign in campaigns:
                values = linkedin_metrics(self.advertiser, campaign, day, restatements)
                element = _element(day, [f"urn:li:sponsoredCampaign:{campaign.id}"], values, query.fields)
                if element is not None:
                    elements.append(element)
                if len(elements) == self.max_elements:
                    return elements  # cut silently, as LinkedIn does
        return elements

    def _statistics(self, request: Request, params: dict[str, str]) -> Response:
        """The statistics finder by campaign and conversion rule over one account, from the same
        truth as the analytics finder: per campaign-day, the rules' conversions add up to its
        externalWebsiteConversions."""
        query = _parsed_query(_StatisticsQuery, params)
        if isinstance(query, Response):
            return query
        # An account the token may not read answers empty, not with an error: "An empty response is
        # returned if there's no activity to report or if you don't have read access" (ads-reporting docs).
        campaigns = self.advertiser.campaigns_of(query.account_id) if self.readable(query.account_id) else []
        elements = self._conversion_elements(campaigns, query, self.sandbox.restatements_for_new_report())
        with self._lock:
            self.analytics_calls.append(
                AnalyticsCall(
                    request.method,
                    request.raw_query if request.method == "GET" else request.body.decode(),
                    len(campaigns),
                    query.days,
                    query.fields,
                    len(elements),
                    "statistics",
                    "CAMPAIGN,CONVERSION",
                )
            )
        return Response.json(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

    def _conversion_elements(self, campaigns: list[Campaign], query: _StatisticsQuery, restatements: int) -> list[dict]:
        elements = []
        for offset in range(query.days):
            day = query.start + dt.timedelta(days=offset)
            for campaign in campaigns:
                # Rules that counted nothing that day are absent, as are days without conversions.
                for rule, values in linkedin_conversions(self.advertiser, campaign, day, restatements).items():
                    pivots = [f"urn:li:sponsoredCampaign:{campaign.id}", rule.urn]  # in the order of `pivots`
                    element = _element(day, pivots, values, query.fields)
                    if element is not None:
                        elements.append(element)
                    if len(elements) == self.max_elements:
                        return elements  # cut silently, as LinkedIn does
        return elements

    # --- adAccountUsers -------------------------------------------------------------------------

    def _account_users(self, request: Request, match, params: dict[str, str]) -> Response:
        """adAccountUsers' finder by authenticated user (create-and-manage-account-users docs): the
        member's role on each ad account it may use, paged as a Rest.li collection; an account whose
        role was revoked is simply not among them."""
        if params.get("q") != "authenticatedUser":
            return _linkedin_error(
                400, "ILLEGAL_ARGUMENT", "The sandbox serves adAccountUsers with q=authenticatedUser", 100
            )
        try:
            start, count = int(params.get("start", "0")), int(params.get("count", str(RESTLI_DEFAULT_COUNT)))
        except ValueError as problem:
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", f"Invalid start or count: {problem}", 100)
        if start < 0 or count < 1:
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", "start must be >= 0 and count >= 1", 100)
        created = _epoch_ms(self.advertiser.today - dt.timedelta(days=400))
        roles = [
            {
                "account": f"urn:li:sponsoredAccount:{account.id}",
                "user": SANDBOX_MEMBER,
                "role": SANDBOX_MEMBER_ROLE,
                "changeAuditStamps": {"created": {"time": created}, "lastModified": {"time": created}},
            }
            for account in self.advertiser.linkedin_accounts
            if self.readable(account.id)
        ]
        return Response.json(
            200,
            {"elements": roles[start : start + count], "paging": {"start": start, "count": count, "total": len(roles)}},
        )

    # --- OAuth ----------------------------------------------------------------------------------

    def authorization(self, request: Request, _match) -> Response:
        """LinkedIn's authorization page (learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow,
        Step 2), played by a member who is logged in and answers `member_answer` on the consent screen.

        A request LinkedIn cannot send back is answered on LinkedIn's own page, with no redirect: an unknown
        client_id, or a redirect_uri that is not exactly one of the app's Authorized redirect URLs (the page's "API
        Error Details", /oauth/v2/authorization: 401 "Redirect_uri doesn't match", "Client_id doesn't match"; the page
        a browser shows reads "Bummer, something went wrong. The redirect_uri does not match the registered value",
        as issue aspnet-contrib/AspNet.Security.OAuth.Providers#648 quotes it). Otherwise the member's answer is
        redirected to redirect_uri: ?code=..&state=.. on Allow; ?error=..&error_description=..&state=.. when the
        member declines (user_cancelled_login, user_cancelled_authorize: "Failed Requests") or the app asked for a
        scope it was not granted: error=unauthorized_scope_error, error_description `Scope &quot;r_ads&quot; is not
        authorized for your application` (quotes HTML-escaped), before any consent screen: the redirect LinkedIn has
        sent since its 2019 permission changes (cuongdevjs/reactjs-social-login#178, tigillo/linkedin-cli#3,
        ozgur/python-linkedin#125; `invalid_scope` with "Your application has not been authorized for the scope" is
        the older one, DEKHTIARJonathan/python3-linkedin#7, 2017). No scope at all is error=invalid_request, 'You need
        to pass the "scope" parameter' (nvh95/react-linkedin-login-oauth2#17). `state` comes back as it was sent."""
        query = request.query
        if query.get("client_id") != SANDBOX_CLIENT_ID:
            return _oauth_page(401, "Client_id doesn't match: the client_id is not the one of a LinkedIn application.")
        redirect_uri = query.get("redirect_uri", "")
        with self._lock:
            registered = redirect_uri in self.redirect_urls
        if not registered:
            return _oauth_page(
                401, "Bummer, something went wrong. The redirect_uri does not match the registered value"
            )
        state = {"state": query["state"]} if "state" in query else {}
        if query.get("response_type") != "code":
            return _redirect(
                redirect_uri, error="invalid_request", error_description="response_type must be code", **state
            )
        scopes = query.get("scope", "").split()
        if not scopes:
            return _redirect(
                redirect_uri,
                error="invalid_request",
                error_description='You need to pass the "scope" parameter',
                **state,
            )
        refused = [scope for scope in scopes if scope not in self.app_scopes]
        if refused:
            return _redirect(
                redirect_uri,
                error="unauthorized_scope_error",
                error_description=f"Scope &quot;{refused[0]}&quot; is not authorized for your application",
                **state,
            )
        if self.member_answer != "allow":
            described = {
                "user_cancelled_login": "The user cancelled LinkedIn login",
                "user_cancelled_authorize": "The user cancelled the authorization",
            }
            return _redirect(
                redirect_uri,
                error=self.member_answer,
                error_description=described.get(self.member_answer, self.member_answer),
                **state,
            )
        code = f"AQT5andb0xCode{next(self._token_numbers)}-{secrets.token_urlsafe(24)}"
        with self._lock:
            self.authorization_codes[code] = _AuthorizationCode(
                SANDBOX_CLIENT_ID, redirect_uri, " ".join(scopes), clock.now(dt.UTC)
            )
        return _redirect(redirect_uri, code=code, **state)

    def access_token(self, request: Request, _match) -> Response:
        """The token endpoint (authorization-code-flow, Step 3; programmatic-refresh-tokens docs): a form body
        (application/x-www-form-urlencoded, "issue a HTTP POST ... with a Content-Type header of
        x-www-form-urlencoded", client-credentials-flow docs), decoded as every form is, `+` as a space
        (RFC 6749 Appendix B; the server's parse_qsl): a secret holding `+` that was not sent as %2B
        no longer matches and is refused as LinkedIn refuses a wrong one.

        grant_type=authorization_code exchanges a code of this app's, issued for the same redirect_uri, unused and
        less than 30 minutes old by the sandbox's clock, for an access token and a refresh token; the error answers
        are the page's "API Error Details" for /oauth/v2/accessToken. grant_type=refresh_token takes the settings'
        refresh token or one issued by a code, and answers the same refresh token and the seconds it has left (a
        refresh does not renew it: programmatic-refresh-tokens docs)."""
        form = request.form
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "authorization_code"):
            return Response.json(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The sandbox issues tokens for grant_type=authorization_code and refresh_token",
                },
            )
        required = ("code", "redirect_uri", "client_id", "client_secret") if grant == "authorization_code" else ()
        missing = next((name for name in required if not form.get(name)), None)
        if missing:
            return Response.json(
                400, {"error": "invalid_request", "error_description": f'A required parameter "{missing}" is missing'}
            )
        if form.get("client_id") != SANDBOX_CLIENT_ID or form.get("client_secret") != SANDBOX_CLIENT_SECRET:
            return Response.json(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        if grant == "authorization_code":
            return self._exchange_code(form)
        refresh_token = form.get("refresh_token", "")
        with self._lock:
            # "the lifespan or Time To Live (TTL) of the refresh token remains the same as specified in the initial OAuth
            # flow (365 days)": refreshed on day 59, it has 306 days left (learn.microsoft.com/linkedin/shared/
            # authentication/programmatic-refresh-tokens); refresh_token_expires_in says what is left.
            known = refresh_token in self.refresh_tokens and not self._expired(refresh_token)
        if not known:
            return Response.json(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "The provided authorization grant or refresh token is invalid, expired or revoked",
                },
            )
        token = refreshed_token(next(self._token_numbers))
        now = clock.now(dt.UTC)
        with self._lock:
            self.valid_tokens.add(token)
            self.tokens_issued += 1
            # The refresh token keeps the lifespan of the first sign-in, and an access token never outlives it
            # ("Day 360 - ... your access token and refresh token will both expire in 5 days",
            # programmatic-refresh-tokens docs). A refresh token a test added to `refresh_tokens` counts as granted now.
            renewing = self.token_grants.setdefault(refresh_token, _grant("refresh", now, now, SETTINGS_TOKEN_SCOPE))
            issued = _grant("access", renewing.authorized_at, now, renewing.scope)
            issued.expires_at = min(issued.expires_at, renewing.expires_at)
            self.token_grants[token] = issued
        answer = {
            "access_token": token,
            "expires_in": int((issued.expires_at - now).total_seconds()),
            "refresh_token": refresh_token,
            "refresh_token_expires_in": int((renewing.expires_at - now).total_seconds()),
        }
        if (not_json := self.sandbox.faults.take("linkedin", "token_answer_not_json")) is not None:
            return _token_answer_not_json(not_json.options, answer, form)
        return Response.json(200, answer)

    def _exchange_code(self, form: dict[str, str]) -> Response:
        with self._lock:
            issued = self.authorization_codes.get(form["code"])
            if issued is None:
                return Response.json(
                    401,
                    {
                        "error": "invalid_request",
                        "error_description": "Unable to retrieve access token: authorization code not found",
                    },
                )
            expired = clock.now(dt.UTC) - issued.issued_at > AUTHORIZATION_CODE_LIFETIME
            if issued.used or expired or issued.redirect_uri != form["redirect_uri"]:
                return Response.json(400, {"error": "invalid_redirect_uri", "error_description": CODE_DOES_NOT_MATCH})
            issued.used = True  # single use
            number = next(self._token_numbers)
            token, refresh_token = granted_tokens(number)
            self.valid_tokens.add(token)
            self.refresh_tokens.add(refresh_token)
            now = clock.now(dt.UTC)
            self.token_grants[token] = _grant("access", now, now, issued.scope)
            self.token_grants[refresh_token] = _grant("refresh", now, now, issued.scope)
            self.tokens_issued += 1
        return Response.json(
            200,
            {
                "access_token": token,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": refresh_token,
                "refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
                "scope": issued.scope,
            },
        )

    def introspect_token(self, request: Request, _match) -> Response:
        """LinkedIn's token introspection (learn.microsoft.com/linkedin/shared/authentication/token-introspection): a
        form POST of client_id, client_secret and token, answered 200 with
        {"active", "client_id", "authorized_at", "created_at", "status", "expires_at", "scope", "auth_type"}: times in
        epoch seconds, status one of "active", "expired" ("due to the expires_at TTL") and "revoked", scope
        comma-separated, auth_type "3L" for a member's token. Its status codes: 400 "Invalid client id or token", 401
        "Invalid client secret"; a token of another app, asked about with valid credentials, is 200 with "active":
        false (the sandbox has one app, so it never answers that). The page shows no error body: the sandbox answers
        the OAuth error shape of LinkedIn's token endpoint, {"error", "error_description"} (authorization-code-flow,
        "API Error Details").

        The page introspects "all tokens"; a refresh token is answered as an access token is, with its own expiry
        (365 days from the sign-in). A token the sandbox revoked (no longer in `valid_tokens` or `refresh_tokens`)
        or marked expired (`expired_tokens`) says so."""
        form = request.form
        token = form.get("token", "")
        with self._lock:
            grant = self.token_grants.get(token)
            revoked = grant is not None and token not in (
                self.valid_tokens if grant.kind == "access" else self.refresh_tokens
            )
            marked_expired = token in self.expired_tokens
        if form.get("client_id") != SANDBOX_CLIENT_ID or grant is None:
            return Response.json(400, {"error": "invalid_request", "error_description": "Invalid client id or token"})
        if form.get("client_secret") != SANDBOX_CLIENT_SECRET:
            return Response.json(401, {"error": "invalid_client", "error_description": "Invalid client secret"})
        status = "revoked" if revoked else "expired" if marked_expired or self._expired(token) else "active"
        return Response.json(
            200,
            {
                "active": status == "active",
                "client_id": SANDBOX_CLIENT_ID,
                "authorized_at": int(grant.authorized_at.timestamp()),
                "created_at": int(grant.created_at.timestamp()),
                "status": status,
                "expires_at": int(grant.expires_at.timestamp()),
                "scope": ",".join(grant.scope.split()),
                "auth_type": "3L",
            },
        )


def _grant(kind: str, authorized_at: dt.datetime, created_at: dt.datetime, scope: str) -> _TokenGrant:
    """A token issued at `created_at` for a sign-in at `authorized_at`: an access token lives 60 days from its
    issue, a refresh token 365 days from the sign-in."""
    if kind == "access":
        expires_at = created_at + dt.timedelta(seconds=ACCESS_TOKEN_SECONDS)
    else:
        expires_at = authorized_at + dt.timedelta(seconds=REFRESH_TOKEN_SECONDS)
    return _TokenGrant(kind, authorized_at, created_at, expires_at, scope)


def granted_tokens(number: int) -> tuple[str, str]:
    """The access and refresh tokens the `number`th exchanged code brings: b64tokens with `+`, `/` and `=`, like the
    settings' own (see SANDBOX_LINKEDIN_TOKEN)."""
    return f"AQV5andb0x+Granted/T0ken{number}==", f"AQX5andb0x+Granted/Refresh{number}=="


def _redirect(redirect_uri: str, **parameters: str) -> Response:
    """The browser sent back to the app's redirect URL with `parameters` appended to its query."""
    separator = "&" if "?" in redirect_uri else "?"
    location = redirect_uri + separator + urllib.parse.urlencode(parameters)
    return Response(302, b"", {"Location": location})


def _oauth_page(status: int, message: str) -> Response:
    """LinkedIn's own page about an authorization request it will not send back to the app."""
    page = f"<!DOCTYPE html><html><head><title>LinkedIn</title></head><body><p>{html.escape(message)}</p></body></html>"
    return Response(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


def refreshed_token(number: int) -> str:
    """The `number`th access token the sandbox's token endpoint issues: a Bearer b64token with `+`, `/` and `=`,
    like the settings' own (see SANDBOX_LINKEDIN_TOKEN)."""
    return f"AQV5andb0x+Refreshed/T0ken{number}=="


def _token_answer_not_json(options: dict, answer: dict, form: dict) -> Response:
    """The token endpoint's answer when something other than LinkedIn's JSON comes back (fault
    ``token_answer_not_json``): with status 200, the tokens form-encoded, the default answer of OAuth
    servers such as GitHub's ("By default, the response takes the following form:
    access_token=...&scope=...&token_type=bearer", docs.github.com/apps/oauth-apps/building-oauth-apps/
    authorizing-oauth-apps); with another status, a text page of a gateway in front of it that quotes
    the refresh token and client secret it refused, the refresh token from character ``at`` (190), so
    that a 200-character excerpt would cut it in half. LinkedIn documents JSON only
    (learn.microsoft.com/linkedin/shared/authentication/programmatic-refresh-tokens): this is what a
    connector must survive without quoting a secret, not LinkedIn's own answer."""
    status = int(options.get("status", 200))
    if status == 200:
        return Response(
            200, urllib.parse.urlencode(answer).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
    quoted = f"{form.get('refresh_token', '')} {form.get('client_secret', '')}"
    page = "The gateway refused this request: ".ljust(int(options.get("at", 190)), ".") + quoted
    return Response(status, page.encode(), {"Content-Type": "text/plain"})


def _element(
    day: dt.date, pivot_values: list[str], values: dict | None, fields: tuple[str, ...], end: dt.date | None = None
) -> dict | None:
    """One adAnalytics element with the fields asked for, costs as strings and counts as integers,
    for one day or (granularity ALL) `day`..`end`; None where LinkedIn leaves the element out (every
    requested metric zero)."""
    metrics = [field for field in fields if field in METRIC_FIELDS]
    if values is None or not any(values[m] for m in metrics):
        return None
    first, last = ({"year": d.year, "month": d.month, "day": d.day} for d in (day, end or day))
    element: dict[str, object] = {"dateRange": {"start": first, "end": last}, "pivotValues": pivot_values}
    element.update({m: f"{values[m]:.2f}" if m in COST_FIELDS else int(values[m]) for m in metrics})
    return {k: v for k, v in element.items() if k in fields}


def _date_range(params: dict[str, str]) -> tuple[dt.date, int]:
    """(first day, number of days) of a dateRange=(start:(year:..,month:..,day:..),end:(..)) parameter."""
    date_range = parse_restli(params["dateRange"])
    start, end = (
        dt.date(int(d["year"]), int(d["month"]), int(d["day"])) for d in (date_range["start"], date_range["end"])
    )
    if end < start:
        raise ValueError("dateRange ends before it starts")
    return start, (end - start).days + 1


@dataclasses.dataclass(frozen=True)
class _AnalyticsQuery:
    start: dt.date
    days: int
    campaign_ids: tuple[str, ...]
    fields: tuple[str, ...]

    @classmethod
    def parse(cls, params: dict[str, str]) -> _AnalyticsQuery:
        if params.get("q") != "analytics":
            raise ValueError("the finder must be q=analytics or q=statistics")
        if parse_restli(params["pivot"]) != {"value": "CAMPAIGN"} or parse_restli(params["timeGranularity"]) != {
            "value": "DAILY"
        }:
            raise ValueError("the sandbox serves pivot=(value:CAMPAIGN) with timeGranularity=(value:DAILY)")
        start, days = _date_range(params)
        try:
            urns = parse_restli(params["campaigns"])
        except RestliSyntaxError as problem:
            raise ValueError(
                f"campaigns must be List(...) of URNs, each percent-encoded as urn%3Ali%3AsponsoredCampaign%3A123 ({problem})"
            ) from None
        if (
            not isinstance(urns, list)
            or not urns
            or not all(re.fullmatch(r"urn:li:sponsoredCampaign:\d+", u) for u in urns)
        ):
            raise ValueError(
                f"campaigns must be a non-empty List of urn:li:sponsoredCampaign URNs, not {params['campaigns'][:80]!r}"
            )
        fields = tuple(params.get("fields", "dateRange,pivotValues,impressions,clicks").split(","))
        unknown = set(fields) - METRIC_FIELDS - {"dateRange", "pivotValues"}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        return cls(start, days, tuple(u.rsplit(":", 1)[1] for u in urns), fields)


@dataclasses.dataclass(frozen=True)
class _AccountAnalyticsQuery:
    """The analytics finder by ACCOUNT as the sandbox serves it: DAILY or ALL, accounts=List(...)."""

    start: dt.date
    days: int
    account_ids: tuple[str, ...]
    fields: tuple[str, ...]
    granularity: str

    @classmethod
    def parse(cls, params: dict[str, str]) -> _AccountAnalyticsQuery:
        granularity = parse_restli(params["timeGranularity"])
        if granularity not in ({"value": "DAILY"}, {"value": "ALL"}):
            raise ValueError("the sandbox serves pivot=(value:ACCOUNT) with timeGranularity=(value:DAILY|ALL)")
        start, days = _date_range(params)
        urns = parse_restli(params["accounts"])
        if (
            not isinstance(urns, list)
            or not urns
            or not all(re.fullmatch(r"urn:li:sponsoredAccount:\d+", u) for u in urns)
        ):
            raise ValueError("accounts must be a non-empty List of percent-encoded urn:li:sponsoredAccount URNs")
        fields = tuple(params.get("fields", "dateRange,pivotValues,impressions,clicks").split(","))
        unknown = set(fields) - (METRIC_FIELDS - {"approximateMemberReach"}) - {"dateRange", "pivotValues"}
        if unknown:
            raise ValueError(f"the sandbox does not serve {sorted(unknown)} by ACCOUNT (reach does not add up)")
        return cls(start, days, tuple(u.rsplit(":", 1)[1] for u in urns), fields, granularity["value"])


@dataclasses.dataclass(frozen=True)
class _StatisticsQuery:
    """The statistics finder as the sandbox serves it: pivots CAMPAIGN and CONVERSION, daily, one account."""

    start: dt.date
    days: int
    account_id: str
    fields: tuple[str, ...]

    @classmethod
    def parse(cls, params: dict[str, str]) -> _StatisticsQuery:
        pivots = parse_restli(params["pivots"])
        if not isinstance(pivots, list) or not 1 <= len(pivots) <= MAX_PIVOTS:
            raise ValueError(f"pivots must be List(...) of 1 to {MAX_PIVOTS} pivots")
        if pivots != ["CAMPAIGN", "CONVERSION"]:
            raise ValueError("the sandbox serves the statistics finder with pivots=List(CAMPAIGN,CONVERSION)")
        if parse_restli(params["timeGranularity"]) not in ("DAILY", {"value": "DAILY"}):
            raise ValueError("the sandbox serves timeGranularity=DAILY")
        start, days = _date_range(params)
        try:
            urns = parse_restli(params["accounts"])
        except RestliSyntaxError as problem:
            raise ValueError(
                f"accounts must be List(...) of URNs, each percent-encoded as urn%3Ali%3AsponsoredAccount%3A123 ({problem})"
            ) from None
        if not isinstance(urns, list) or len(urns) != 1 or not re.fullmatch(r"urn:li:sponsoredAccount:\d+", urns[0]):
            raise ValueError("the sandbox serves the statistics finder for accounts=List(<one sponsoredAccount URN>)")
        fields = tuple(params.get("fields", "dateRange,pivotValues,externalWebsiteConversions").split(","))
        unknown = set(fields) - set(CONVERSION_METRICS) - {"dateRange", "pivotValues"}
        if unknown:
            raise ValueError(
                f"the sandbox serves only conversion metrics with the CONVERSION pivot, not {sorted(unknown)}"
            )
        return cls(start, days, urns[0].rsplit(":", 1)[1], fields)


def _status(campaign: Campaign) -> str:
    return {"DELETED": "REMOVED"}.get(campaign.status, campaign.status)  # LinkedIn's word for deleted


def _campaign_element(campaign: Campaign, currency: str) -> dict:
    """A campaign as adCampaigns answers it (create-and-manage-campaigns docs)."""
    goal_is_purchase = campaign.goal == "purchase"
    # Two campaign groups per account, one per objective: stable ids derived from the account id.
    group_id = 600_000_000 + int(campaign.account_id) % 10_000_000 * 10 + (1 if goal_is_purchase else 0)
    return {
        "id": int(campaign.id),
        "name": campaign.name,
        "account": f"urn:li:sponsoredAccount:{campaign.account_id}",
        "campaignGroup": f"urn:li:sponsoredCampaignGroup:{group_id}",
        "status": _status(campaign),
        "type": "SPONSORED_UPDATES",
        "costType": "CPM" if goal_is_purchase else "CPC",
        "objectiveType": OBJECTIVE_TYPES[campaign.objective],
        "dailyBudget": {"amount": f"{campaign.daily_budget:.2f}", "currencyCode": currency},
        # the bid: per thousand impressions (CPM) or per click (CPC)
        "unitCost": {
            "amount": f"{campaign.cpm if goal_is_purchase else campaign.cpm / 1000 / campaign.ctr:.2f}",
            "currencyCode": currency,
        },
        "runSchedule": {
            "start": _epoch_ms(campaign.start),
            **({"end": _epoch_ms(campaign.end)} if campaign.end else {}),
        },
    }


def _epoch_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def _parsed_query(query_class, params: dict[str, str]):
    """An adAnalytics query parsed, or the 400 LinkedIn answers to one it cannot parse or that asks
    for too many fields."""
    try:
        query = query_class.parse(params)
    except (RestliSyntaxError, KeyError, TypeError, ValueError) as problem:
        return _linkedin_error(400, "ILLEGAL_ARGUMENT", f"Invalid query parameters passed to request: {problem}", 100)
    if len(query.fields) > MAX_FIELDS:
        return _linkedin_error(
            400,
            "ILLEGAL_ARGUMENT",
            f"Too many fields requested: {len(query.fields)}; at most {MAX_FIELDS}, dateRange and pivotValues included",
            100,
        )
    return query


# What the sandbox server mounts for this platform (connectors/sandbox/server.py).
API = LinkedInRestApi

"""The Meta Graph API (Marketing API insights), as the official facebook-business SDK calls it.

Served: the async insights flow
  POST /{version}/act_{id}/insights          -> {"report_run_id": ...}
  GET  /{version}/{report_run_id}            -> async_status / async_percent_completion
  GET  /{version}/{report_run_id}/insights   -> rows with cursor paging
plus the ad account node GET /{version}/act_{id} (its time zone), the synchronous
GET /{version}/act_{id}/insights, Graph error JSON with the real codes and
HTTP statuses, and the usage headers (x-business-use-case-usage, x-app-usage,
x-ad-account-usage, x-fb-ads-insights-throttle).

Faithful details worth knowing: numbers are strings; days without delivery are absent; without
a `filtering` on the requested level's effective status (`campaign.effective_status` at level campaign,
`ad.effective_status` at level ad), DELETED and ARCHIVED objects drop out; "Job Running" can show
100 % before "Job Completed"; `paging.next` is only present when another page exists; a path whose
Graph version is older than OLDEST_SERVED_VERSION is refused with code 2635.

The figures are Meta's wording of the advertiser's day (``meta_figures.py``); ``environment()`` holds
the settings that point the Meta connector here.

Fault kinds (``sandbox.faults.arm("meta", kind, ...)``): ``throttle`` (code=17|80004|4|613,
regain_minutes), ``server_error`` (status=500|503), ``job_failed``, ``job_skipped``,
``expired_token``, ``permission_denied``, ``malformed_payload``, ``deprecated_version`` (code 2635),
and the three ways Meta says a request asks for too much, each with ``phase="create"`` (the insights
request that starts a job, or the synchronous one) or ``phase="results"`` (a page of a job's results):
``too_much_data`` (100/1487534, phase create by default), ``reduce_data`` (code 1 "Please reduce the
amount of data...", HTTP 500, phase results by default), ``request_timed_out`` (100/1504018, create
only). Arm one phase at a time per kind: a fault armed for the other phase is left armed.

A token's own limit (``token_limit``, off by default; ``Sandbox(meta_calls_per_token=…)``): every Marketing API
call counts against the token that makes it, whichever process or ad account it is for, in a rolling window, as
Meta counts an app's and a user's calls; see ``TokenLimit``.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import math
import re
import threading
import time
import urllib.parse
import zoneinfo

from connectors import clock
from connectors.sandbox import graph_batch
from connectors.sandbox.http import Request, Response
from connectors.sandbox.meta_figures import (
    DailyDelivery,
    meta_ad_deliveries,
    meta_deliveries,
    meta_effective_status,
    meta_objective,
)

# Meta's access tokens are alphanumeric in practice (`EAA…` in Graph's answers and Meta's samples that quote one;
# Meta documents no alphabet), so this one is written the same as is, percent-encoded and JSON-escaped: the
# encodings of a secret are exercised by LinkedIn's (connectors/sandbox/linkedin_ads.py) and the SMTP password.
SANDBOX_META_TOKEN = "sandbox-meta-token"
# The sandbox's Meta app, whose tokens all the sandbox's tokens are: its id, and its App Secret (what
# `oauth/access_token` checks, and a secret: META_APP_SECRET).
SANDBOX_APP_ID = "710000000000001"
SANDBOX_APP_NAME = "social-roi sandbox"
SANDBOX_APP_SECRET = "sandbox-app-secret"
# The system users the sandbox's tokens belong to: the META token's, assigned the ad accounts only, and the Page
# token's, assigned the Pages (what /me/accounts lists is the token's user's, so two tokens of one user would list
# the same Pages); then the person whose user tokens follow.
SANDBOX_ADS_SYSTEM_USER_ID = "61550000000000002"
SANDBOX_SYSTEM_USER_ID = "61550000000000001"
SANDBOX_PERSON_ID = "10160000000000001"
# A short-lived user token, as Graph API Explorer or Facebook Login hands one out ("Default User and Page access
# tokens are short-lived, expiring in hours", developers.facebook.com/docs/facebook-login/guides/access-tokens/
# get-long-lived): what `connect meta --exchange-token` trades for a long-lived one. It reads like any user token.
SANDBOX_SHORT_LIVED_TOKEN = "sandbox-short-lived-user-token"
SHORT_LIVED_SECONDS = 2 * 3600
# A user token the sandbox accepts for reads that expires EXPIRING_TOKEN_DAYS after the sandbox's "now": the token a
# check warns about (connectors/meta_ads/discovery.py, within 14 days).
SANDBOX_EXPIRING_TOKEN = "sandbox-expiring-user-token"
EXPIRING_TOKEN_DAYS = 5
# "expires_in": 5183944, "The number of seconds until the token expires" (about 60 days), the sample answer of
# GET oauth/access_token?grant_type=fb_exchange_token (developers.facebook.com/docs/facebook-login/guides/
# access-tokens/get-long-lived).
LONG_LIVED_SECONDS = 5183944
# A user token's data access lasts 90 days from the person's last use of the app ("data access expiration",
# developers.facebook.com/docs/facebook-login/auth-vs-data): what debug_token's data_access_expires_at says.
DATA_ACCESS_SECONDS = 90 * 86400
# What the sandbox's tokens were granted (debug_token's `scopes`): what each source reads with (README).
SANDBOX_SCOPES = [
    "ads_read",
    "pages_show_list",
    "pages_read_engagement",
    "read_insights",
    "instagram_basic",
    "instagram_manage_insights",
]
# The sandbox completes a report after POLLS_TO_COMPLETE polls: polling it every 0.2 s keeps the demo quick.
SANDBOX_POLL_INTERVAL_SECONDS = "0.2"
VERSION = r"v\d+\.\d+"
# The newest Graph version (the one the facebook-business 26.0.x SDK calls), and the oldest the sandbox still
# serves: a stand-in for Meta's version schedule, whose real cut-off moves with every release. A path with an
# older version meets code 2635.
LATEST_VERSION = "v26.0"
OLDEST_SERVED_VERSION = (24, 0)
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 5000
POLLS_TO_COMPLETE = 3
ALL_FIELDS = [
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "objective",
    "adset_id",
    "ad_id",
    "ad_name",
    "spend",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "inline_link_clicks",
    "actions",
    "action_values",
]


def graph_link(request: Request, query: dict[str, str], edge: str | None = None) -> str:
    """A paging link (`paging.previous` / `paging.next`) as Graph writes it: the URL of the neighbouring page,
    the request's access token first in its query, then `query`; of this request's path, or of `edge` (e.g.
    "{post-id}/insights") for the links of an edge nested in the answer by field expansion.

    Graph's reference shows these links without the token (developers.facebook.com/docs/graph-api/results,
    "next: The Graph API endpoint that will return the next page of data"), but real answers carry it: a
    recorded v2.8 post-insights answer in Keboola's Facebook extractor's test snapshots
    (keboola.snapshots.postsinsights.apicalls) has "paging": {"previous": ".../{post-id}/insights?
    access_token=...&since=...&until=...&metric=..."}, and a feed's next link is
    ".../feed?access_token=...&limit=25&until=...&__paging_token=..."
    (github.com/facebook-csharp-sdk/facebook-csharp-sdk/issues/349). A client that stores what Graph sends
    stores the token, unless it scrubs it."""
    path = request.path if edge is None else f"/{request.path.split('/')[1]}/{edge}"
    token = request.param("access_token")
    params = {**({"access_token": token} if token else {}), **{k: v for k, v in query.items() if k != "access_token"}}
    return f"{request.base_url}{path}?{urllib.parse.urlencode(params)}"


def _graph_error(
    status: int,
    message: str,
    code: int,
    subcode: int | None = None,
    error_type: str = "OAuthException",
    transient: bool = False,
):
    error = {
        "message": message,
        "type": error_type,
        "code": code,
        "is_transient": transient,
        "fbtrace_id": "AsandboxTrace0001",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return Response.json(status, {"error": error})


def _unknown_object(object_id: str, method: str = "get"):
    """Graph's answer for an id the token cannot see or that does not exist (code 100, subcode 33)."""
    return _graph_error(
        400,
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
        100,
        33,
        "GraphMethodException",
    )


def environment(sandbox) -> dict[str, str]:
    """The settings that point the Meta connector at this sandbox: every ad account, polled quickly."""
    return {
        "META_ACCESS_TOKEN": SANDBOX_META_TOKEN,
        "META_AD_ACCOUNT_IDS": ",".join(f"act_{a.id}" for a in sandbox.advertiser.meta_accounts),
        "META_GRAPH_URL": sandbox.base_url,
        "META_POLL_INTERVAL_SECONDS": SANDBOX_POLL_INTERVAL_SECONDS,
        # a token limit's window is the sandbox's own, seconds long: the connector pauses for that long
        **({"META_USAGE_WINDOW_SECONDS": str(limit.window_seconds)} if (limit := sandbox.meta.token_limit) else {}),
    }


@dataclasses.dataclass(frozen=True)
class TokenLimit:
    """How many calls one access token may make in a rolling window, whatever ad account or process they are for.

    Faithful details:
    - Meta counts a token's calls across every caller: an app's "call count is the number of calls it can make
      during a rolling one hour window", across all its users, and a user token's calls count against that user
      across every app (developers.facebook.com/docs/graph-api/overview/rate-limiting, "Platform Rate Limits").
      Clients of an agency that share its system user's token, synced by separate processes, therefore meet ONE
      limit, and each answer's usage headers speak for all of them.
    - The usage is reported in percent of the limit: `X-App-Usage` {"call_count", "total_cputime", "total_time"}
      (same page, "Headers"), and for insights `x-fb-ads-insights-throttle` {"app_id_util_pct", ...}
      (developers.facebook.com/docs/marketing-api/insights/best-practices/, "Insights Call Load").
    - Past the limit a call is refused with code 17, subcode 2446079, "User request limit reached"
      (developers.facebook.com/docs/marketing-api/overview/rate-limiting, "Related error code"), as HTTP 400
      (Graph's errors are 400, not 429: shared/reference/platform-apis.md), and "any subsequent requests ... will
      fail ... until enough time has passed for the call count to drop below the limit" (rate-limiting page). A
      refused call is counted too, as Meta counts calls made while throttled ("Any calls made ... during this
      phase ... also count towards subsequent limit calculations": developers.facebook.com/blog/post/2016/06/16/
      page-level-rate-limits/).
    - The refusal's `X-Business-Use-Case-Usage` says when access comes back (`estimated_time_to_regain_access`,
      minutes). Meta sends whole minutes over an hour's window; the sandbox's window is seconds long, so its
      minutes are fractions.
    Not modelled: CPU and total time (the sandbox reports the call count for both), the per-ad-account Business
    Use Case limits (each client has its own ad accounts: they never share one).
    """

    calls: int
    window_seconds: float


class ReportRun:
    def __init__(
        self,
        run_id: str,
        account_id: str,
        rows: list[dict],
        since: dt.date,
        until: dt.date,
        outcome: str,
        failure: dict | None,
    ):
        self.id = run_id
        self.account_id = account_id
        self.rows = rows
        self.since = since
        self.until = until
        self.outcome = outcome  # the status the job ends in
        self.failure = failure
        self.polls = 0
        self.started = time.monotonic()
        self.finished = False  # a poll has said the job ended


class MetaGraphApi:
    # Its routes take any Graph id (report runs, accounts): the server tries them after every other
    # platform's, which serve their own Page and account ids on the same shapes of path.
    FALLBACK_ROUTES = True

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.advertiser = sandbox.advertiser
        # Every token reads the ad accounts: the system user's, the user tokens and those `oauth/access_token` made.
        self.valid_tokens = {SANDBOX_META_TOKEN, SANDBOX_SHORT_LIVED_TOKEN, SANDBOX_EXPIRING_TOKEN}
        # The long-lived user tokens the exchange made, and when each expires (Unix seconds, the sandbox's clock).
        self._long_lived: dict[str, int] = {}
        # The most entries a listing edge (/me/adaccounts, /me/accounts) answers per page, whatever `limit` asks:
        # a test lowers it to see every page followed. Graph's `limit` is an upper bound: "some pages may return
        # fewer than limit" (developers.facebook.com/docs/graph-api/results, "Cursor-based Pagination").
        self.listing_page_limit = MAX_PAGE_SIZE
        self._runs: dict[str, ReportRun] = {}
        self._ids = itertools.count(6_100_000_000_000_001)
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self.token_limit: TokenLimit | None = None
        # Each token's calls in the window (when they were made), by a hash of the token: the sandbox holds no
        # secret it does not need, even in memory.
        self._token_calls: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        # Calls refused because their token had spent its limit (TokenLimit).
        self.token_limit_refusals = 0
        self.report_runs_created = 0
        # Every request for a page of a report's results: (report_run_id, after cursor, limit), as asked.
        self.result_pages_requested: list[tuple[str, str | None, str | None]] = []

    def routes(self):
        return [
            ("POST", re.compile(rf"^/{VERSION}/act_(\d+)/insights$"), self.create_report_run),
            ("GET", re.compile(rf"^/{VERSION}/act_(\d+)/insights$"), self.sync_insights),
            ("GET", re.compile(rf"^/{VERSION}/act_(\d+)$"), self.ad_account),
            ("GET", re.compile(rf"^/{VERSION}/me/adaccounts$"), self.my_ad_accounts),
            ("GET", re.compile(rf"^/{VERSION}/debug_token$"), self.debug_token),
            ("GET", re.compile(rf"^/{VERSION}/oauth/access_token$"), self.exchange_token),
            ("GET", re.compile(rf"^/{VERSION}/(\d+)$"), self.report_run_status),
            ("GET", re.compile(rf"^/{VERSION}/(\d+)/insights$"), self.report_run_results),
            # Graph's batch requests, for every Graph platform the sandbox serves (graph_batch.py).
            (
                "POST",
                graph_batch.ROOT,
                lambda request, match: graph_batch.answer_batch(self.sandbox, request, match, LATEST_VERSION),
            ),
        ]

    # --- shared checks -------------------------------------------------------------------------

    # --- a token's limit (TokenLimit) ----------------------------------------------------------------

    @staticmethod
    def _token_key(request) -> str:
        return hashlib.sha256((request.param("access_token") or "").encode()).hexdigest()

    def _token_calls_in_window(self, key: str, now: float) -> collections.deque[float]:
        """The token's calls still inside the window (the caller holds the lock)."""
        assert self.token_limit is not None
        calls = self._token_calls[key]
        while calls and calls[0] <= now - self.token_limit.window_seconds:
            calls.popleft()
        return calls

    def _count_token_call(self, request) -> float | None:
        """Count this call against its token; the seconds until the token may call again when it was over its limit."""
        if self.token_limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            calls = self._token_calls_in_window(self._token_key(request), now)
            over = len(calls) >= self.token_limit.calls
            calls.append(now)
            if not over:
                return None
            self.token_limit_refusals += 1
            # access returns once enough calls have left the window to bring the count under the limit
            return max(0.0, calls[len(calls) - self.token_limit.calls] + self.token_limit.window_seconds - now)

    def _token_usage_percent(self, request) -> int:
        """The share of its limit the request's token has spent in the window, in percent (0 without a limit)."""
        if self.token_limit is None or request is None:
            return 0
        with self._lock:
            calls = len(self._token_calls_in_window(self._token_key(request), time.monotonic()))
        return min(100, math.ceil(100 * calls / self.token_limit.calls))

    def _usage_headers(
        self, account_id: str | None, pressure: int = 0, regain_minutes: float = 0, request=None
    ) -> dict[str, str]:
        with self._lock:
            calls = self._calls[account_id or ""] = self._calls.get(account_id or "", 0) + 1
        util = min(100, pressure or calls % 40)
        # what the token has spent, shared with every other caller on it: the app's and the user's usage
        token = self._token_usage_percent(request)
        app = max(util // 4, token)
        business_id = next((a.business_id for a in self.advertiser.meta_accounts if a.id == account_id), "0")
        return {
            "x-business-use-case-usage": json.dumps(
                {
                    business_id: [
                        {
                            "type": "ads_insights",
                            "call_count": util,
                            "total_cputime": util // 2,
                            "total_time": util // 2,
                            "estimated_time_to_regain_access": regain_minutes,
                        }
                    ]
                }
            ),
            "x-app-usage": json.dumps({"call_count": app, "total_cputime": app, "total_time": app}),
            "x-ad-account-usage": json.dumps({"acc_id_util_pct": util, "reset_time_duration": regain_minutes * 60}),
            "x-fb-ads-insights-throttle": json.dumps({"app_id_util_pct": app, "acc_id_util_pct": util}),
        }

    def _refusal(self, request, account_id: str | None):
        """The error a request meets before any work is done: retired version, auth, permission, throttling, 5xx."""
        faults = self.sandbox.faults
        version = re.match(r"^/v(\d+)\.(\d+)/", request.path)
        if faults.take("meta", "deprecated_version") or (
            version and (int(version.group(1)), int(version.group(2))) < OLDEST_SERVED_VERSION
        ):
            # Code 2635 as Meta's reference lists it for the ad account and insights edges
            # (developers.facebook.com/docs/marketing-api/reference/ad-account/insights/, "Error Codes":
            # "You are calling a deprecated version of the Ads API. Please update to the latest version.").
            return _graph_error(
                400,
                f"(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: {LATEST_VERSION}.",
                2635,
            )
        token = request.param("access_token")
        if faults.take("meta", "expired_token") or token is None:
            return _graph_error(
                400,
                "Error validating access token: Session has expired on Tuesday, 24-Nov-26 10:00:00 PST. The current time is Wednesday, 25-Nov-26 04:12:09 PST.",
                190,
                463,
            )
        if token not in self.valid_tokens:
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        regain_seconds = self._count_token_call(request)
        if regain_seconds is not None:
            response = _graph_error(400, "(#17) User request limit reached", 17, 2446079, transient=True)
            response.headers.update(
                self._usage_headers(account_id, pressure=100, regain_minutes=regain_seconds / 60, request=request)
            )
            return response
        if account_id is not None and (
            # armed with account=<id>, only that account is refused (a token that lost one account)
            faults.take_for("meta", "permission_denied", "account", account_id)
            or self.advertiser.account(account_id) is None
        ):
            return _unknown_object(f"act_{account_id}", "post")
        throttle = faults.take("meta", "throttle")
        if throttle:
            code = throttle.options.get("code", 17)
            regain = throttle.options.get("regain_minutes", 1)
            messages = {
                17: ("User request limit reached", 2446079),
                80004: ("There have been too many calls to this ad-account. Wait a bit and try again.", 2446079),
                4: ("Application request limit reached", None),
                613: ("Calls to this api have exceeded the rate limit.", None),
            }
            message, subcode = messages.get(code, ("Rate limited", None))
            response = _graph_error(400, message, code, subcode, transient=True)
            response.headers.update(
                self._usage_headers(account_id, pressure=100, regain_minutes=regain, request=request)
            )
            return response
        server_error = faults.take("meta", "server_error")
        if server_error:
            status = server_error.options.get("status", 500)
            if status == 503:
                return _graph_error(503, "Service temporarily unavailable", 2, transient=True)
            return _graph_error(500, "An unknown error occurred", 1, 99, transient=True)
        return None

    # --- request parsing -----------------------------------------------------------------------

    @staticmethod
    def _list_param(raw: str | None) -> list[str]:
        if not raw:
            return []
        return json.loads(raw) if raw.startswith("[") else [part for part in raw.split(",") if part]

    def _query_rows(self, request, account_id: str, restatements: int) -> tuple[list[dict], dt.date, dt.date] | object:
        level = request.param("level", "account")
        if level not in ("campaign", "ad"):
            return _graph_error(400, f"(#100) The sandbox serves level=campaign and level=ad, not {level!r}", 100)
        if request.param("time_increment", "1") != "1":
            return _graph_error(400, "(#100) The sandbox serves time_increment=1 only", 100)
        time_range = json.loads(request.param("time_range") or "null") or {}
        try:
            since = dt.date.fromisoformat(time_range["since"])
            until = dt.date.fromisoformat(time_range["until"])
        except (KeyError, ValueError):
            return _graph_error(400, "(#100) Param time_range must be a JSON object with since and until dates", 100)
        if until < since or (until - since).days > 37 * 31:
            return _graph_error(400, "(#100) time_range is invalid or longer than 37 months", 100)
        fields = self._list_param(request.param("fields")) or ["spend", "impressions"]
        # Each `filtering` on <level>.effective_status keeps the objects whose status at that level it lists.
        # DELETED and ARCHIVED objects of the requested level are left out unless a filter on that level's own
        # field asks for them: ".../act_<AD_ACCOUNT_ID>/insights?level=ad does not return stats for the deleted
        # object ... You can query insights for DELETED objects using the ad.effective_status filter"
        # (developers.facebook.com/docs/marketing-api/best-practices/storing_adobjects/).
        wanted = {
            condition["field"].removesuffix(".effective_status"): set(condition.get("value", []))
            for condition in json.loads(request.param("filtering") or "[]")
            if condition.get("field") in ("campaign.effective_status", "ad.effective_status")
        }

        def listed(delivery: DailyDelivery) -> bool:
            status = {lvl: meta_effective_status(delivery.campaign, lvl) for lvl in ("campaign", "ad")}
            if status[level] in ("DELETED", "ARCHIVED") and level not in wanted:
                return False
            return all(status[lvl] in values for lvl, values in wanted.items())

        account = self.advertiser.account(account_id)
        rows = []
        for delivery in meta_deliveries(self.advertiser, account_id, since, until, restatements):
            if not listed(delivery):
                continue
            parts = meta_ad_deliveries(self.advertiser, delivery) if level == "ad" else [delivery]
            rows.extend(self._wire_row(part, account.currency, fields) for part in parts)
        return rows, since, until

    def _take_in_phase(self, kind: str, phase: str, default_phase: str):
        """One use of an armed fault of `kind` meant for `phase`; a fault armed for the other phase stays armed."""
        faults = self.sandbox.faults
        fault = faults.take("meta", kind)
        if fault is None or fault.options.get("phase", default_phase) == phase:
            return fault
        if fault.remaining is not None:  # give the use back: still listed (remaining > 0) or armed anew
            if fault.remaining > 0:
                fault.remaining += 1
            else:
                faults.arm("meta", kind, times=1, **fault.options)
        return None

    def _too_much_data(self, phase: str):
        """The ways Meta refuses a request as too large, when a test armed one for this phase.

        - 100/1487534: the data-per-call limit, "error_code = 100, CodeException (error subcode: 1487534)"
          (developers.facebook.com/docs/marketing-api/insights/best-practices/, "Data Per Call Limits").
        - code 1, HTTP 500, "Please reduce the amount of data you're asking for, then retry your request": seen
          on results pages with `limit` and `after` (github.com/singer-io/tap-facebook/issues/65) and on
          insights requests (github.com/airbytehq/airbyte/pull/42562); Airbyte halves `limit` on it
          (source-facebook-marketing, streams/common.py `reduce_request_record_limit`).
        - 100/1504018 "Request Timed Out" (developers.facebook.com/documentation/ads-commerce/marketing-api/
          insights/error-codes, where its source is "Sync": served here on the synchronous request that
          starts a job, and on the synchronous insights edge).
        """
        if self._take_in_phase("too_much_data", phase, default_phase="create"):
            return _graph_error(
                400, "Please reduce the amount of data you're asking for, then retry your request", 100, 1487534
            )
        if self._take_in_phase("reduce_data", phase, default_phase="results"):
            return _graph_error(500, "Please reduce the amount of data you're asking for, then retry your request", 1)
        if phase == "create" and self.sandbox.faults.take("meta", "request_timed_out"):
            return _graph_error(
                400,
                "Your request timed out. Try a smaller date range, fetch less data, or use async jobs.",
                100,
                1504018,
            )
        return None

    @staticmethod
    def _wire_row(delivery: DailyDelivery, currency: str, fields: list[str]) -> dict:
        """One insights row exactly as the Graph API writes it: every number a string."""
        campaign = delivery.campaign
        everything = {
            "account_id": campaign.account_id,
            "account_currency": currency,
            "campaign_id": campaign.id,
            "campaign_name": campaign.name,
            "objective": meta_objective(campaign),
            "adset_id": campaign.adset_id,
            "ad_id": delivery.ad_id,
            "ad_name": f"{campaign.name} - ad {delivery.ad_id[-1]}" if delivery.ad_id else None,
            "spend": f"{delivery.spend:.2f}",
            "impressions": str(delivery.impressions),
            "reach": str(delivery.reach),
            "frequency": f"{delivery.impressions / delivery.reach:.6f}" if delivery.reach else "0",
            "clicks": str(delivery.clicks),
            "inline_link_clicks": str(delivery.inline_link_clicks),
            "actions": [{"action_type": k, "value": str(v)} for k, v in delivery.actions.items() if v] or None,
            "action_values": [{"action_type": k, "value": f"{v:.2f}"} for k, v in delivery.action_values.items()]
            or None,
        }
        row = {field: everything[field] for field in fields if everything.get(field) is not None}
        row["date_start"] = row["date_stop"] = delivery.day.isoformat()
        return row

    # --- routes --------------------------------------------------------------------------------

    def create_report_run(self, request, match):
        account_id = match.group(1)
        refusal = self._refusal(request, account_id)
        if refusal:
            return refusal
        queried = self._query_rows(request, account_id, self.sandbox.restatements_for_new_report())
        if not isinstance(queried, tuple):
            return queried
        refusal = self._too_much_data("create")
        if refusal:
            return refusal
        rows, since, until = queried
        outcome, failure = "Job Completed", None
        if self.sandbox.faults.take("meta", "job_failed"):
            outcome = "Job Failed"
            failure = {
                "error_code": 2601,
                "error_message": "The report could not be generated. Please retry or reduce the date range.",
            }
        elif self.sandbox.faults.take("meta", "job_skipped"):
            outcome = "Job Skipped"
        run_id = str(next(self._ids))
        with self._lock:
            self._runs[run_id] = ReportRun(run_id, account_id, rows, since, until, outcome, failure)
            self.report_runs_created += 1
        return Response.json(200, {"report_run_id": run_id}, self._usage_headers(account_id, request=request))

    def ad_account(self, request, match):
        """The ad account node with the fields asked for, and its id as Graph always adds it.

        Field names and meanings from the Ad Account reference
        (developers.facebook.com/docs/marketing-api/reference/ad-account/, mirrored in the SDK's
        facebook_business/adobjects/adaccount.py `Field`): `timezone_name` is the IANA name of the
        zone whose days insights' `date_start` counts in, `timezone_offset_hours_utc` its current
        offset, `currency` the ISO code. A field not asked for is not sent.
        """
        account_id = match.group(1)
        refusal = self._refusal(request, account_id)
        if refusal:
            return refusal
        account = self.advertiser.account(account_id)
        zone = zoneinfo.ZoneInfo(account.timezone)
        offset = clock.now(zone).utcoffset() or dt.timedelta()
        node = {
            "account_id": account.id,
            "name": account.name,
            "currency": account.currency,
            "timezone_name": account.timezone,
            "timezone_offset_hours_utc": offset.total_seconds() / 3600,
        }
        wanted = self._list_param(request.param("fields"))
        body = {field: node[field] for field in wanted if field in node}
        body["id"] = f"act_{account.id}"
        return Response.json(200, body, self._usage_headers(account_id, request=request))

    def my_ad_accounts(self, request, _match):
        """The ad accounts the token's user (or system user) may use: `GET /me/adaccounts` ("The advertising accounts
        of the User", developers.facebook.com/docs/graph-api/reference/user/adaccounts/; the SDK's
        `User.get_ad_accounts`, facebook_business/adobjects/user.py), each with the fields asked for and its `id`
        (act_<account_id>) as Graph always adds it. `account_status` 1 is ACTIVE (Ad Account reference,
        developers.facebook.com/docs/marketing-api/reference/ad-account/). Cursor-paged as every Graph edge is:
        `paging.cursors` on every page, `paging.next` only while more follow (facebook_business/api.py
        `Cursor.load_next_page` reads them so)."""
        refusal = self._refusal(request, None)
        if refusal:
            return refusal
        wanted = self._list_param(request.param("fields"))
        rows = []
        for account in self.advertiser.meta_accounts:
            node = {
                "account_id": account.id,
                "name": account.name,
                "currency": account.currency,
                "timezone_name": account.timezone,
                "account_status": 1,
            }
            rows.append({"id": f"act_{account.id}", **{field: node[field] for field in wanted if field in node}})
        return listing_page(request, rows, self.listing_page_limit)

    def token_info(self, token: str | None) -> dict | None:
        """What debug_token says of one of the sandbox's tokens; None for a token it never issued."""
        from connectors.sandbox.facebook_pages import PAGE_TOKEN_PREFIX, SANDBOX_PAGE_TOKEN, held_pages, page_token

        now = int(clock.now(dt.UTC).timestamp())
        if token and token.startswith(PAGE_TOKEN_PREFIX):
            # A Page token the Page-holding system user got: "type": "PAGE" and the Page as "profile_id" (debug_token
            # reference, developers.facebook.com/docs/graph-api/reference/debug_token/: profile_id "The ID of the
            # user's profile when the token is a Page access token"), never expiring as its system user's.
            page = next((page for page in held_pages(self.advertiser) if page_token(page.id) == token), None)
            if page is None:
                return None
            data = _token_data("PAGE", SANDBOX_SYSTEM_USER_ID, issued=now - 400 * 86400, expires=0, data=0)
            return {**data, "profile_id": page.id}
        if token in (SANDBOX_META_TOKEN, SANDBOX_PAGE_TOKEN):
            # A system user's token made to never expire: expires_at and data_access_expires_at 0, type SYSTEM_USER
            # (the debug_token answer Meta's WhatsApp permissions guide shows, developers.facebook.com/docs/whatsapp/
            # permissions, "Checking for granted permissions"). The sandbox's Page token is a system user's too, the
            # one that holds the Pages (see SANDBOX_ADS_SYSTEM_USER_ID): it reads every Page that system user holds,
            # as one Page's own token could not.
            user = SANDBOX_ADS_SYSTEM_USER_ID if token == SANDBOX_META_TOKEN else SANDBOX_SYSTEM_USER_ID
            return _token_data("SYSTEM_USER", user, issued=now - 400 * 86400, expires=0, data=0)
        expires = {
            SANDBOX_SHORT_LIVED_TOKEN: now + SHORT_LIVED_SECONDS,
            SANDBOX_EXPIRING_TOKEN: now + EXPIRING_TOKEN_DAYS * 86400,
        }.get(token or "") or self._long_lived.get(token or "")
        if expires is None:
            return None
        return _token_data(
            "USER", SANDBOX_PERSON_ID, issued=now - 3600, expires=expires, data=now + DATA_ACCESS_SECONDS
        )

    def debug_token(self, request, _match):
        """`GET /debug_token?input_token=...`: "metadata about a given access token ... the user for which the token
        was issued, whether the token is still valid, when it expires, and what permissions the app has"
        (developers.facebook.com/docs/graph-api/reference/debug_token/). The caller authenticates with the app's
        access token ("{app-id}|{app-secret}") or a valid token of the app (here: the token inspected itself,
        as Meta's own guides run it: `input_token=T&access_token=T`). A token the sandbox never issued answers
        is_valid false with the error Graph gives for it, not an HTTP error (the call itself was allowed)."""
        caller = request.param("access_token")
        if caller != f"{SANDBOX_APP_ID}|{SANDBOX_APP_SECRET}" and self.token_info(caller) is None:
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        input_token = request.param("input_token")
        if not input_token:
            return _graph_error(400, "(#100) The parameter input_token is required", 100)
        info = self.token_info(input_token)
        if info is None:
            info = {
                "is_valid": False,
                "scopes": [],
                "error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"},
            }
        return Response.json(200, {"data": info})

    def exchange_token(self, request, _match):
        """`GET /oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token`: a
        long-lived user token for a valid one, `{"access_token", "token_type": "bearer", "expires_in": 5183944}`
        (developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived). Refusals as Graph words
        them: no client_id, `{"message": "Missing client_id parameter.", "type": "OAuthException", "code": 101}`
        (github.com/facebookarchive/php-graph-sdk/issues/50); a wrong App Secret, `"Error validating client
        secret."`, OAuthException code 1 (the whole body in github.com/facebookarchive/php-graph-sdk/issues/538);
        another app's id, "Error validating application. Invalid application ID." (code 101); a token that is not
        one of the app's, code 190."""
        if request.param("grant_type") != "fb_exchange_token":
            return _graph_error(400, "(#100) The sandbox serves grant_type=fb_exchange_token only", 100)
        client_id = request.param("client_id")
        if not client_id:
            return _graph_error(400, "Missing client_id parameter.", 101)
        if client_id != SANDBOX_APP_ID:
            return _graph_error(400, "Error validating application. Invalid application ID.", 101)
        if request.param("client_secret") != SANDBOX_APP_SECRET:
            return _graph_error(400, "Error validating client secret.", 1)
        info = self.token_info(request.param("fb_exchange_token"))
        if info is None:
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        with self._lock:
            token = f"sandbox-long-lived-user-token-{len(self._long_lived) + 1}"
            self._long_lived[token] = int(clock.now(dt.UTC).timestamp()) + LONG_LIVED_SECONDS
            self.valid_tokens.add(token)
        return Response.json(200, {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})

    def report_run_status(self, request, match):
        run = self._runs.get(match.group(1))
        refusal = self._refusal(request, run.account_id if run else None)
        if refusal:
            return refusal
        if run is None:
            return _graph_error(
                400,
                f"Unsupported get request. Object with ID '{match.group(1)}' does not exist",
                100,
                33,
                "GraphMethodException",
            )
        run.polls += 1
        if self.sandbox.meta_report_seconds:
            # Meta produces a report in its own time, polled or not: "For asynchronous requests, it can take up
            # to an hour to complete a request" (developers.facebook.com/docs/marketing-api/insights/best-practices/).
            share = min(1.0, (time.monotonic() - run.started) / self.sandbox.meta_report_seconds)
            done = share >= 1.0
            running_percent = int(share * 100)
        else:
            # By default a report completes on its POLLS_TO_COMPLETE-th poll, whatever the clock: tests stay
            # quick and deterministic.
            done = run.polls >= POLLS_TO_COMPLETE
            # "Job Running" reaches 100 % one poll before "Job Completed": only the status says done.
            running_percent = 0 if run.polls == 1 else 100
        if done:
            run.finished = True
            status, percent = run.outcome, (0 if run.outcome != "Job Completed" else 100)
        else:
            status, percent = ("Job Started" if run.polls == 1 else "Job Running"), running_percent
        body = {
            "id": run.id,
            "account_id": run.account_id,
            "async_status": status,
            "async_percent_completion": percent,
            "date_start": run.since.isoformat(),
            "date_stop": run.until.isoformat(),
            "time_ref": 1764000000,
        }
        if status == "Job Failed" and run.failure:
            body.update(run.failure)
        return Response.json(200, body, self._usage_headers(run.account_id, request=request))

    def report_run_results(self, request, match):
        run = self._runs.get(match.group(1))
        refusal = self._refusal(request, run.account_id if run else None)
        if refusal:
            return refusal
        if run is None or not run.finished or run.outcome != "Job Completed":
            return _graph_error(400, "(#100) The report is not ready or has failed; poll async_status first", 100)
        with self._lock:
            self.result_pages_requested.append((run.id, request.param("after"), request.param("limit")))
        return self._too_much_data("results") or self._page(request, run.rows, run.account_id)

    def sync_insights(self, request, match):
        account_id = match.group(1)
        refusal = self._refusal(request, account_id)
        if refusal:
            return refusal
        queried = self._query_rows(request, account_id, self.sandbox.restatements)
        if not isinstance(queried, tuple):
            return queried
        return self._too_much_data("create") or self._page(request, queried[0], account_id)

    def _page(self, request, rows: list[dict], account_id: str):
        limit = min(int(request.param("limit", str(DEFAULT_PAGE_SIZE))), MAX_PAGE_SIZE)
        after = request.param("after")
        offset = int(base64.b64decode(after).decode().split(":")[1]) if after else 0
        page = [dict(row) for row in rows[offset : offset + limit]]
        if page and self.sandbox.faults.take("meta", "malformed_payload"):
            page[-1]["spend"] = "1.234,56"  # a decimal comma: the kind of value a parser must refuse
        body: dict = {"data": page}
        # Usage near the limit, in the headers Meta sends with every insights answer
        # (developers.facebook.com/docs/marketing-api/insights/best-practices/, "Insights Call Load":
        # x-fb-ads-insights-throttle's acc_id_util_pct and app_id_util_pct).
        busy = self.sandbox.faults.take("meta", "high_usage")
        pressure = busy.options.get("percent", 80) if busy else 0
        if page:
            paging: dict[str, object] = {"cursors": {"before": _cursor(offset), "after": _cursor(offset + len(page))}}
            body["paging"] = paging
            if offset + len(page) < len(rows):
                paging["next"] = graph_link(
                    request, {**request.query, "after": _cursor(offset + len(page)), "limit": str(limit)}
                )
        return Response.json(200, body, self._usage_headers(account_id, pressure=pressure, request=request))


def _token_data(kind: str, user_id: str, issued: int, expires: int, data: int) -> dict:
    """debug_token's `data` for a valid token of the sandbox's app (field names as the debug_token reference and the
    WhatsApp permissions guide above show them, `granular_scopes` included: one {"scope"} per permission granted)."""
    return {
        "app_id": SANDBOX_APP_ID,
        "type": kind,
        "application": SANDBOX_APP_NAME,
        "data_access_expires_at": data,
        "expires_at": expires,
        "is_valid": True,
        "issued_at": issued,
        "scopes": list(SANDBOX_SCOPES),
        "granular_scopes": [{"scope": scope} for scope in SANDBOX_SCOPES],
        "user_id": user_id,
    }


def listing_page(request, rows: list[dict], most: int) -> Response:
    """One page of a listing edge (/me/adaccounts, /me/accounts): at most `limit` (25 by default, Graph's) rows and
    at most `most`, from the `after` cursor on, with cursor paging as Graph writes it."""
    try:
        limit = max(1, min(int(request.param("limit") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE, most))
        after = request.param("after")
        offset = int(base64.b64decode(after).decode().split(":")[1]) if after else 0
    except (ValueError, IndexError):
        return _graph_error(400, "(#100) limit and after must be as Graph wrote them", 100)
    page = rows[offset : offset + limit]
    body: dict = {"data": page}
    if page:
        paging: dict[str, object] = {"cursors": {"before": _cursor(offset), "after": _cursor(offset + len(page))}}
        if offset + len(page) < len(rows):
            paging["next"] = graph_link(request, {**request.query, "after": _cursor(offset + len(page))})
        body["paging"] = paging
    return Response.json(200, body)


def _cursor(offset: int) -> str:
    """An opaque paging cursor, base64 as the Graph API's are."""
    return base64.b64encode(f"offset:{offset}".encode()).decode()


# What the sandbox server mounts for this platform (connectors/sandbox/server.py).
API = MetaGraphApi

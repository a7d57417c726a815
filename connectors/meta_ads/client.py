"""Meta Ads insights through the official facebook-business SDK.

Per ad account and date range: ONE asynchronous insights job (not one per day) with
``time_increment=1``, every campaign status included, then the results read page by page. The
accounts are read one after another, but as soon as one account's job is started the next
accounts' jobs are started too (up to 50 in flight), so that an agency's reports are produced side
by side. A sync lands each page as Graph sent it, for DuckDB to parse (pages.sql); the
row-by-row parse (`daily_insights`) is kept as the reference the SQL is tested against.

Failures are sorted as the Graph API documents them: throttling waits as long as the usage
headers say; transient errors retry with backoff and jitter (code 1, "API Unknown", once); a failed
or skipped job is retried once and then split into halves; an expired token, a missing permission
or a retired Graph version stops at once with a message that names the account and the fix.

When Meta says a request asks for too much (100/1487534, 100/1504018, or code 1 "Please reduce the
amount of data you're asking for"), the same request is never sent again: the connector asks for
less. A page of results is asked for again with half as many rows, from the same cursor, down to one
row; a job that cannot be started, or a page that fails even at one row, has its date range split in
halves (their rows replace those the split job had read). A single day that still asks too much fails the
account with a ReportJobError. Not built: querying a day campaign by campaign (Meta's advice for
the heaviest accounts, and Airbyte's split by edge object), should one day at level=ad ever be too much.

Only a PlatformError leaves an account's fetch, so one account's failure never fails the others.

The clients of an agency often share one token (its system user) and one app, so their syncs, each a process
of its own, spend ONE app and user limit: Meta counts an app's calls, and a user's, across every caller in a
rolling hour, and every answer's `X-App-Usage` (and `x-fb-ads-insights-throttle`'s `app_id_util_pct`) says how
much of it all of them have spent (developers.facebook.com/docs/graph-api/overview/rate-limiting). The client
reads that usage on every answer, errors included, and before its next call pauses while it stands at
TOKEN_PAUSE_PERCENT or more: a whole window (`usage_window_seconds`), the one wait sure to let every call it
counts leave the window, since no process knows when the others' calls were made. Between the answer that
crosses the threshold and the pause, each process makes at most the one call it had under way, so the
processes on a token stay within its limit while the rest of the limit (25 %) holds more calls than there are
processes (DECISIONLOG.md, "Clients on one token share its limits").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import cast

import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.api import FacebookAdsApi, FacebookResponse
from facebook_business.exceptions import FacebookRequestError

from connectors import clock
from connectors.errors import (
    MalformedPayloadError,
    PlatformAuthError,
    PlatformConfigError,
    PlatformError,
    PlatformThrottledError,
    ReportJobError,
    TransientPlatformError,
)
from connectors.graph import (
    EXPIRED_TOKEN_CODE,
    PERMISSION_CODES,
    THROTTLE_CODES,
    TRANSIENT_CODES,
    graph_api,
    json_header,
    regain_seconds_by_business,
)
from connectors.meta_ads.parsing import (
    PLATFORM,
    landed_page,
    next_page_cursor,
    parse_account_time_zone,
    parse_insights_row,
)
from connectors.meta_ads.settings import MetaAdsSettings, normalize_account_id
from connectors.platform import (
    CHECK_MAX_THROTTLE_WAIT_SECONDS,
    AccessCheck,
    PageSlice,
    check_slices,
    fetch_slices,
)
from connectors.redaction import excerpt

CHANNEL = "meta"
RAW_TABLE = "meta_ads_insights"
# Every effective status an object of the requested level can have (Campaign.EffectiveStatus and
# Ad.EffectiveStatus in the SDK's facebook_business/adobjects/campaign.py and ad.py). Insights filter on the
# requested level's own field, or DELETED and ARCHIVED objects drop out: "act_<AD_ACCOUNT_ID>/insights?level=ad
# does not return stats for the deleted object ... You can query insights for DELETED objects using the
# ad.effective_status filter" (developers.facebook.com/docs/marketing-api/best-practices/storing_adobjects/).
EFFECTIVE_STATUSES = {
    "campaign": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"],
    "ad": [
        "ACTIVE",
        "PAUSED",
        "DELETED",
        "ARCHIVED",
        "IN_PROCESS",
        "WITH_ISSUES",
        "ADSET_PAUSED",
        "CAMPAIGN_PAUSED",
        "DISAPPROVED",
        "PENDING_BILLING_INFO",
        "PENDING_REVIEW",
        "PREAPPROVED",
    ],
}
# `objective` is the campaign's objective (OUTCOME_SALES, OUTCOME_LEADS, OUTCOME_AWARENESS, OUTCOME_TRAFFIC,
# OUTCOME_ENGAGEMENT, OUTCOME_APP_PROMOTION), a string field of every insights row: AdsInsights.Field.objective
# in the SDK's facebook_business/adobjects/adsinsights.py, the values Campaign.Objective in campaign.py;
# https://developers.facebook.com/docs/marketing-api/reference/ads-insights/
INSIGHT_FIELDS = {
    "campaign": ["account_id", "account_currency", "campaign_id", "campaign_name", "objective"],
    "ad": [
        "account_id",
        "account_currency",
        "campaign_id",
        "campaign_name",
        "objective",
        "adset_id",
        "ad_id",
        "ad_name",
    ],
}
METRIC_FIELDS = [
    "spend",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "inline_link_clicks",
    "actions",
    "action_values",
]
# Graph's error codes and usage headers are every Graph client's (graph/__init__.py); those below are the Marketing API's.
# Code 1, "API Unknown": "Wait and retry the operation. If it occurs again, check that you are requesting an
# existing API" (error-handling guide): one identical retry, then the account fails.
UNKNOWN_ERROR_CODE = 1
UNKNOWN_ERROR_TRIES = 2
UNKNOWN_OBJECT = (100, 33)
# "You are calling a deprecated version of the Ads API. Please update to the latest version." (the Error Codes
# of developers.facebook.com/docs/marketing-api/reference/ad-account/insights/).
RETIRED_VERSION_CODE = 2635
# Meta's ways of saying a request asks for too much. Each is answered by asking for less, never by the same call:
# - 100/1487534, the data-per-call limit: "Limit your query by limiting the date range"
#   (developers.facebook.com/docs/marketing-api/insights/best-practices/, "Data Per Call Limits");
# - 100/1504018, "Request Timed Out. Try a smaller date range, fetch less data, or use async jobs"
#   (developers.facebook.com/documentation/ads-commerce/marketing-api/insights/error-codes);
# - code 1 (HTTP 500) "Please reduce the amount of data you're asking for, then retry your request", which a
#   smaller `limit` on the same cursor fixes (github.com/singer-io/tap-facebook/issues/65; Airbyte's
#   source-facebook-marketing halves `limit` on it: streams/common.py `reduce_request_record_limit`).
TOO_MUCH_DATA_CODES = {(100, 1487534), (100, 1504018)}
REDUCE_DATA_MESSAGE = "reduce the amount of data"
# A page that asks too much is asked for again with half the rows, down to one (as Airbyte does), before the
# date range is split.
MIN_PAGE_SIZE = 1
USAGE_SLOWDOWN_PERCENT = 85
# No job is started ahead while the last page said the account's or the app's insights usage stood at this
# share of its limit or more (Airbyte's THROTTLE_LIMIT in the same file): the account being read needs it.
AHEAD_USAGE_LIMIT_PERCENT = 70
# At this share of the token's app and user limit, shared by every process on the token, the client pauses a whole
# window before its next call. Airbyte's source-facebook-marketing pauses the same way on X-App-Usage and the ad
# account's usage, read on every call (api.py, MyFacebookAdsApi, `call_rate_threshold` 90 then 95); lower here,
# so that the calls other processes have under way still fit.
TOKEN_PAUSE_PERCENT = 75

# The raw table's shape: one row per account × day × campaign (× ad at ad level). DuckDB types.
RAW_COLUMNS = {
    "account_id": "VARCHAR",
    "date": "DATE",
    "level": "VARCHAR",
    "campaign_id": "VARCHAR",
    "campaign_name": "VARCHAR",
    "adset_id": "VARCHAR",
    "ad_id": "VARCHAR",
    "ad_name": "VARCHAR",
    "account_currency": "VARCHAR",
    # The IANA zone of the account, read from the account node once per sync: insights days are
    # the account's local days (time_range and date_start are in the account's time zone).
    "account_timezone": "VARCHAR",
    "spend": "DECIMAL(18,2)",
    "impressions": "BIGINT",
    "reach": "BIGINT",
    "frequency": "DOUBLE",
    "clicks": "BIGINT",
    "inline_link_clicks": "BIGINT",
    "actions": "STRUCT(action_type VARCHAR, value DOUBLE)[]",
    "action_values": "STRUCT(action_type VARCHAR, value DOUBLE)[]",
    "raw_row": "JSON",
    # The campaign's objective as Meta words it (OUTCOME_*); NULL in rows landed before it was requested.
    "objective": "VARCHAR",
}

log = logging.getLogger(__name__)


class _TooMuchData(Exception):
    """Meta refused the request as too large (see TOO_MUCH_DATA_CODES): ask for less, do not retry it."""


class _JobDidNotComplete(Exception):
    pass


class MetaAdsClient:
    """Fetches daily insights for the configured ad accounts.

    `sleep` is the clock the client waits with; tests pass one that records instead of sleeping.
    """

    def __init__(self, settings: MetaAdsSettings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.sleep = sleep
        self._api = graph_api(settings.access_token, settings.graph_url)
        # every answer the SDK receives, refusals included, says how much of the token's limit is spent
        self._api._session.requests.hooks["response"].append(self._note_token_usage)
        # The Graph version every call goes to: the one this facebook-business release is made for.
        self.graph_version = FacebookAdsApi.API_VERSION
        self.report_jobs_started = 0
        # The accounts and window read_in_turn announced; the jobs started ahead for them, by (account, since,
        # until), until their account's turn takes them.
        self._reading: tuple[tuple[str, ...], dt.date | None, dt.date | None] = ((), None, None)
        self._jobs_ahead: dict[tuple[str, dt.date, dt.date], AdReportRun] = {}
        self._started_ahead: set[tuple[str, dt.date, dt.date]] = set()
        self._insights_usage_percent = 0.0  # as the last page of results said (x-fb-ads-insights-throttle)
        self._token_usage_percent = 0.0  # of the app's and user's limit, shared with every caller on the token
        self.token_pauses = 0

    def close(self) -> None:
        self._api._session.requests.close()

    # --- public ---------------------------------------------------------------------------------

    def insights_pages(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[str]:
        """One account's insights as the Graph API sent them: one line per page of results, for DuckDB to parse.

        Each line wraps the page's body, untouched, with what was asked for (see pages.sql):
        Python handles pages here, never rows. What goes wrong leaves as a PlatformError naming the account.
        """
        account_id = normalize_account_id(account_id)
        yield from self._guarded(account_id, self._landed_pages(account_id, since, until))

    def daily_insights(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """Parsed insights rows for one account, one per day × campaign (× ad) that had delivery.

        The row-by-row reading of the pages insights_pages lands: the reference the page path's SQL is tested
        against (tests/test_meta_pages.py), and the "before" figure of `make bench`. What goes wrong leaves
        as a PlatformError naming the account.
        """
        account_id = normalize_account_id(account_id)
        yield from self._guarded(account_id, self._parsed_rows(account_id, since, until))

    def _guarded(self, account_id: str, reading: Iterator) -> Iterator:
        """What `reading` yields; anything else than a PlatformError that stops it becomes one naming the
        account, so the caller can drop this account's slice and keep the others."""
        failure = None
        try:
            yield from reading
        except PlatformError:
            raise
        except Exception as error:
            failure = self._as_platform_error(error, account_id)
        if failure is not None:
            raise failure  # outside the except block: the original error (and its request) is not chained

    def _pages(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[tuple[str, dt.date, dt.date, str]]:
        """(account time zone, job's since, job's until, page body) for every page of the account's results."""
        time_zone = self._account_time_zone(account_id)
        for job_since, job_until, body in self._pages_for_range(account_id, since, until):
            yield time_zone, job_since, job_until, body

    def _landed_pages(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[str]:
        for number, (time_zone, job_since, job_until, body) in enumerate(self._pages(account_id, since, until)):
            yield landed_page(account_id, self.settings.level, time_zone, job_since, job_until, number, body)

    def _parsed_rows(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """A row read twice (a range split after its job failed part-way) is yielded once, as first read."""
        already_read = set()
        for time_zone, job_since, job_until, body in self._pages(account_id, since, until):
            page = json.loads(body)
            rows = page.get("data") if isinstance(page, dict) else None
            if not isinstance(rows, list):
                raise MalformedPayloadError(
                    PLATFORM,
                    f"Meta returned a page of insights without a data list for ad account act_{account_id}; nothing from this sync was written. Rerun later; if it persists, report it with this message.",
                    account_id,
                )
            for row in rows:
                record = parse_insights_row(row, account_id, self.settings.level, job_since, job_until)
                record["account_timezone"] = time_zone
                # one exact integer per row (Meta's ids fit in 64 bits): a quarter of a tuple's memory
                key = (
                    (dt.date.fromisoformat(record["date"]).toordinal() << 128)
                    | (int(record["campaign_id"]) << 64)
                    | int(record["ad_id"] or 0)
                )
                if key not in already_read:
                    already_read.add(key)
                    yield record

    def read_in_turn(self, account_ids: Sequence[str], since: dt.date, until: dt.date) -> None:
        """Say which accounts will be read, in order, for this window: once an account's report job is started,
        the next ones' jobs are started too (up to `settings.jobs_in_flight` in all), so that Meta produces
        them while this one is read, and each account's turn takes its job instead of starting one."""
        self._reading = (tuple(account_ids), since, until)

    def _start_following_jobs(self, account_id: str, since: dt.date, until: dt.date) -> None:
        """Best effort, one call per job and nothing retried: at the first job that cannot be started here (a
        throttle, an account the token may not read), the rest wait for their turn, where every error is
        sorted, waited out or retried as always."""
        accounts, window_since, window_until = self._reading
        if (since, until) != (window_since, window_until) or account_id not in accounts:
            return  # a split range, or an account read on its own
        position = accounts.index(account_id)
        for following in accounts[position + 1 : position + self.settings.jobs_in_flight]:
            job = (following, since, until)
            if job in self._started_ahead:
                continue
            if max(self._insights_usage_percent, self._token_usage_percent) >= AHEAD_USAGE_LIMIT_PERCENT:
                return
            self._started_ahead.add(job)
            try:
                self._jobs_ahead[job] = self._start_job(*job)
            except Exception:  # whatever it was, the account's own turn meets it again and sorts it
                return

    def check_account(self, account_id: str) -> None:
        """One read-only call that the token may read this account's insights; raises the sorted error if not.

        The synchronous insights edge for yesterday, one row at most: it needs exactly the access a
        sync needs (ads_read on the account), where reading the account node would need less.
        """
        account_id = normalize_account_id(account_id)
        yesterday = clock.yesterday().isoformat()
        params = {
            "level": "campaign",
            "time_range": {"since": yesterday, "until": yesterday},
            "time_increment": 1,
            "limit": 1,
        }
        failure = None
        try:
            self._call(
                account_id,
                lambda: AdAccount(f"act_{account_id}", api=self._api).get_insights(
                    fields=["account_id"], params=params
                ),
            )
        except PlatformError:
            raise
        except Exception as error:
            failure = self._as_platform_error(error, account_id)
        if failure is not None:
            raise failure

    def _account_time_zone(self, account_id: str) -> str:
        """The zone the account's insights days are counted in: one read of the account node."""
        node = self._call(
            account_id,
            lambda: AdAccount(f"act_{account_id}", api=self._api).api_get(fields=["timezone_name"]),
        )
        return parse_account_time_zone(node.export_all_data(), account_id)

    # --- the async job flow ----------------------------------------------------------------------

    def _pages_for_range(
        self, account_id: str, since: dt.date, until: dt.date
    ) -> Iterator[tuple[dt.date, dt.date, str]]:
        """(job's since, job's until, page body) from one job; when the job fails twice or asks too much, from each half.

        When a job's results fail part-way, its halves read its rows again: the row-by-row reader keeps the
        first reading of a row (`already_read`), the page SQL leaves out the split job's pages (`split_jobs`).
        """
        try:
            report_run = self._completed_report_run(account_id, since, until)
            for body in self._read_pages(report_run, account_id):
                yield since, until, body
            return
        except (_JobDidNotComplete, _TooMuchData) as error:
            problem = error
        if since == until:
            raise ReportJobError(
                PLATFORM,
                f"Meta could not produce the insights report for ad account act_{account_id} on {since}, not even for that one day ({problem}). Rerun later; if it persists, lower META_INSIGHTS_LEVEL.",
                account_id,
            )
        middle = since + (until - since) // 2
        log.info(
            "Meta report for act_%s %s..%s did not complete (%s); splitting the range",
            account_id,
            since,
            until,
            problem,
        )
        yield from self._pages_for_range(account_id, since, middle)
        yield from self._pages_for_range(account_id, middle + dt.timedelta(days=1), until)

    def _completed_report_run(self, account_id: str, since: dt.date, until: dt.date) -> AdReportRun:
        """Start the job and wait for it; a failed or skipped job is started once more."""
        last_problem = None
        for attempt in range(2):
            report_run = self._jobs_ahead.pop((account_id, since, until), None) if attempt == 0 else None
            if report_run is None:
                report_run = self._call(account_id, lambda: self._start_job(account_id, since, until))
            if attempt == 0:
                self._start_following_jobs(account_id, since, until)
            outcome = self._wait_for(report_run, account_id)
            if outcome == "Job Completed":
                return report_run
            last_problem = outcome
            detail = report_run.get("error_message")
            if detail:
                last_problem = f"{outcome}: {detail}"
            log.info("Meta report job for act_%s %s..%s ended as %r", account_id, since, until, last_problem)
        raise _JobDidNotComplete(last_problem)

    def _start_job(self, account_id: str, since: dt.date, until: dt.date) -> AdReportRun:
        level = self.settings.level
        params = {
            "level": level,
            "time_range": {"since": since.isoformat(), "until": until.isoformat()},
            "time_increment": 1,
            "action_breakdowns": ["action_type"],
            "use_unified_attribution_setting": True,
            "filtering": [{"field": f"{level}.effective_status", "operator": "IN", "value": EFFECTIVE_STATUSES[level]}],
            "fields": INSIGHT_FIELDS[level] + METRIC_FIELDS,
        }
        self.report_jobs_started += 1
        # Neither batched nor pending: the SDK returns the AdReportRun itself.
        return cast(AdReportRun, AdAccount(f"act_{account_id}", api=self._api).get_insights_async(params=params))

    def _wait_for(self, report_run: AdReportRun, account_id: str) -> str:
        waited = 0.0
        interval = self.settings.poll_interval_seconds
        while True:
            self._call(
                account_id,
                lambda: report_run.api_get(
                    fields=["async_status", "async_percent_completion", "error_code", "error_message"]
                ),
            )
            status = report_run.get("async_status")
            # Only "Job Completed" means done: "Job Running" can already show 100 %.
            if status in ("Job Completed", "Job Failed", "Job Skipped"):
                return status
            if waited >= self.settings.max_job_wait_seconds:
                return f"still {status!r} after {waited:.0f}s"
            self.sleep(interval)
            waited += interval
            interval = min(interval * 1.5, 60.0)

    def _read_pages(self, report_run: AdReportRun, account_id: str) -> Iterator[str]:
        """Every page of GET /{report_run_id}/insights, each body as Graph sent it.

        The request is the SDK's own (FacebookAdsApi.call, what its Cursor sends for report_run.get_result()),
        so the SDK signs it, raises Graph's errors as FacebookRequestError, and _call sorts them; only the
        building of one SDK object per row is left out. Pages load one at a time: memory holds one page.
        """
        params: dict[str, int | str] = {"limit": self.settings.page_size}
        while True:
            response = self._load_page(report_run.get_id(), params, account_id)
            body = cast(str, response.body())  # the SDK keeps the response's text as it came
            yield body
            self._slow_down_if_near_limits(response.headers(), account_id)
            after = next_page_cursor(body)
            if after is None:
                return
            params["after"] = after

    def _load_page(self, node_id: str, params: dict, account_id: str) -> FacebookResponse:
        """Load the next page; when Meta says it asks too much, ask for half as many rows from the same place.

        A refused load leaves `after` where it was, so the smaller page starts at the row the refused one
        would have. At MIN_PAGE_SIZE the refusal goes up, and the date range is split.
        """
        while True:
            try:
                response = self._call(account_id, lambda: self._api.call("GET", (node_id, "insights"), params=params))
            except _TooMuchData as problem:
                limit = int(params["limit"])
                if limit <= MIN_PAGE_SIZE:
                    raise
                params["limit"] = max(MIN_PAGE_SIZE, limit // 2)
                log.info(
                    "Meta refused a page of %d rows for act_%s (%s); asking for %d",
                    limit,
                    account_id,
                    problem,
                    params["limit"],
                )
                continue
            # Only the refused page needed fewer rows: grow back towards the setting, so one refusal
            # does not read the rest of a large job a row at a time (the next call has a new `after`).
            params["limit"] = min(self.settings.page_size, int(params["limit"]) * 2)
            return response

    # --- error handling ----------------------------------------------------------------------------

    def _call(self, account_id: str, operation: Callable):
        """Run one Graph call, waiting out throttles and retrying transient failures."""
        backoff = self.settings.backoff
        throttle_waited = 0.0
        attempt = unknown_errors = 0
        while True:
            attempt += 1
            self._pause_while_the_token_is_near_its_limit(account_id)
            try:
                return operation()
            except FacebookRequestError as error:
                problem = self._classify(error, account_id)
                headers = error.http_headers() or {}
                unknown = error.api_error_code() == UNKNOWN_ERROR_CODE
                unknown_errors += 1 if unknown else 0
            except requests.RequestException as error:  # broken connections, timeouts, cut-off bodies
                problem = TransientPlatformError(
                    PLATFORM,
                    f"Could not reach Meta at {self.settings.graph_url} for ad account act_{account_id} ({type(error).__name__}).",
                    account_id,
                )
                headers, unknown = {}, False
            # Decided outside the except blocks, so the SDK's exception (which carries the request)
            # is never chained onto ours.
            if isinstance(problem, PlatformThrottledError):
                wait = self._throttle_wait(headers, attempt)
                throttle_waited += wait
                if throttle_waited > self.settings.max_throttle_wait_seconds:
                    raise PlatformThrottledError(
                        PLATFORM,
                        f"Meta throttled ad account act_{account_id} for longer than {self.settings.max_throttle_wait_seconds / 60:.0f} minutes ({problem}). Rerun later.",
                        account_id,
                    )
                log.warning(
                    "Meta throttled act_%s (%s); waiting %.0fs as the usage headers ask", account_id, problem, wait
                )
                self.sleep(wait)
                continue
            # Code 1 is retried once (UNKNOWN_ERROR_TRIES); other transient errors up to backoff.attempts tries.
            may_retry = unknown_errors < UNKNOWN_ERROR_TRIES if unknown else attempt < backoff.attempts
            if isinstance(problem, TransientPlatformError) and may_retry:
                delay = backoff.delay(attempt)
                log.warning("Meta call for act_%s failed (%s); retry %d in %.1fs", account_id, problem, attempt, delay)
                self.sleep(delay)
                continue
            raise problem

    def _classify(self, error: FacebookRequestError, account_id: str) -> Exception:
        code, subcode = error.api_error_code(), error.api_error_subcode()
        message = error.api_error_message() or f"HTTP {error.http_status()}"
        where = f"ad account act_{account_id}"
        if code == EXPIRED_TOKEN_CODE:
            return PlatformAuthError(
                PLATFORM,
                f"Meta rejected the access token while reading {where} (code 190: {message}). Generate a new long-lived system-user token with ads_read and set META_ACCESS_TOKEN.",
                account_id,
            )
        if code in PERMISSION_CODES:
            return PlatformAuthError(
                PLATFORM,
                f"The Meta token may not read insights for {where} (code {code}: {message}). Grant the token's user access to the account with the ads_read permission.",
                account_id,
            )
        if (code, subcode) == UNKNOWN_OBJECT:
            return PlatformConfigError(
                PLATFORM,
                f"Meta says {where} does not exist or the token cannot see it ({message}). Check META_AD_ACCOUNT_IDS and the token user's access.",
                account_id,
            )
        if code == RETIRED_VERSION_CODE:
            return PlatformConfigError(
                PLATFORM,
                f"Meta no longer serves Graph API {self.graph_version}, the version facebook-business {FacebookAdsApi.SDK_VERSION} calls (code 2635 for {where}: {message}). Upgrade facebook-business to a release made for a current Graph version (raise its pin in pyproject.toml and reinstall), then rerun.",
                account_id,
            )
        if (code, subcode) in TOO_MUCH_DATA_CODES or (
            code == UNKNOWN_ERROR_CODE and REDUCE_DATA_MESSAGE in message.lower()
        ):
            return _TooMuchData(f"code {code}/{subcode}: {message}")
        if code in THROTTLE_CODES:
            return PlatformThrottledError(PLATFORM, f"code {code}: {message}", account_id)
        if code in TRANSIENT_CODES or (error.http_status() or 0) >= 500 or error.api_transient_error():
            return TransientPlatformError(
                PLATFORM,
                f"Meta answered HTTP {error.http_status()} for {where} (code {code}: {message}). Rerun later.",
                account_id,
            )
        return PlatformConfigError(
            PLATFORM,
            f"Meta refused the insights request for {where} (code {code}/{subcode}: {message}). This is not retried; check the account settings.",
            account_id,
        )

    def _as_platform_error(self, error: Exception, account_id: str) -> PlatformError:
        """What leaves the connector when something other than a sorted PlatformError stopped an account."""
        where = f"ad account act_{account_id}"
        if isinstance(error, FacebookRequestError):
            error = self._classify(error, account_id)
            if isinstance(error, PlatformError):
                return error
        if isinstance(error, (_TooMuchData, _JobDidNotComplete)):
            return ReportJobError(
                PLATFORM,
                f"Meta could not produce the insights for {where} ({error}). Rerun later; if it persists, lower META_INSIGHTS_LEVEL.",
                account_id,
            )
        if isinstance(error, requests.RequestException):  # its text holds the URL, token included: name it only
            return TransientPlatformError(
                PLATFORM, f"Could not read from Meta for {where} ({type(error).__name__}). Rerun later.", account_id
            )
        log.error("Unexpected failure reading Meta insights for %s", where, exc_info=error)
        return PlatformError(
            PLATFORM,
            f"The Meta connector failed unexpectedly on {where} ({type(error).__name__}: {excerpt(str(error), 200)}); nothing from this account was written. Rerun; if it persists, report it with this message.",
            account_id,
        )

    def _throttle_wait(self, headers: Mapping[str, str], attempt: int) -> float:
        """Seconds to wait, as the usage headers say; exponential backoff when they say nothing."""
        seconds = max(regain_seconds_by_business(headers).values(), default=0.0)
        seconds = max(seconds, float(json_header(headers, "x-ad-account-usage").get("reset_time_duration") or 0))
        return seconds or self.settings.backoff.delay(attempt)

    def _note_token_usage(self, response: requests.Response, *args, **kwargs) -> None:
        """A `requests` response hook: the share of the token's app and user limit Meta says is spent."""
        app = json_header(response.headers, "x-app-usage")
        usage = [app.get("call_count"), app.get("total_cputime"), app.get("total_time")]
        usage.append(json_header(response.headers, "x-fb-ads-insights-throttle").get("app_id_util_pct"))
        try:
            self._token_usage_percent = max(float(value or 0) for value in usage)
        except (TypeError, ValueError):
            pass  # an unreadable header says nothing: keep what the last one said

    def _pause_while_the_token_is_near_its_limit(self, account_id: str) -> None:
        if self._token_usage_percent < TOKEN_PAUSE_PERCENT:
            return
        wait = self.settings.usage_window_seconds
        log.warning(
            "Meta says %.0f%% of this token's call limit is spent (by every sync on it); pausing %.0fs before "
            "the next call for act_%s, until its calls have left Meta's window",
            self._token_usage_percent,
            wait,
            account_id,
        )
        self.token_pauses += 1
        self.sleep(wait)
        self._token_usage_percent = 0.0  # the next answer says where it stands now

    def _slow_down_if_near_limits(self, headers: Mapping[str, str], account_id: str) -> None:
        """Pause before the next call when the account or app is close to its rate limit."""
        usage = [
            float(json_header(headers, "x-fb-ads-insights-throttle").get("acc_id_util_pct") or 0),
            float(json_header(headers, "x-fb-ads-insights-throttle").get("app_id_util_pct") or 0),
            float(json_header(headers, "x-ad-account-usage").get("acc_id_util_pct") or 0),
        ]
        peak = max(usage)
        self._insights_usage_percent = peak
        if peak >= USAGE_SLOWDOWN_PERCENT:
            wait = (peak - USAGE_SLOWDOWN_PERCENT + 1) * 2.0
            log.info("Meta usage for act_%s at %.0f%%; pausing %.0fs", account_id, peak, wait)
            self.sleep(wait)


def fetch_window(settings: MetaAdsSettings, since: dt.date, until: dt.date) -> Iterator[PageSlice]:
    """Every configured account's pages of insights for [since, until], one account at a time, the report jobs
    of the next accounts running meanwhile (`settings.jobs_in_flight`)."""
    client = MetaAdsClient(settings)
    client.read_in_turn(settings.account_ids, since, until)
    return fetch_slices(client, settings.account_ids, MetaAdsClient.insights_pages, since, until)


# What DuckDB runs on an account's landed pages to make its raw rows (ParsePages in __init__.py).
LANDED_PAGES_SQL = (Path(__file__).parent / "pages.sql").read_text(encoding="utf-8")


def check_access(settings: MetaAdsSettings) -> Iterator[AccessCheck]:
    """(act_<id>, None) for each ad account the token can read, (act_<id>, the error and its fix) for the others."""
    patient_enough = dataclasses.replace(
        settings, max_throttle_wait_seconds=min(settings.max_throttle_wait_seconds, CHECK_MAX_THROTTLE_WAIT_SECONDS)
    )
    return check_slices(
        lambda: MetaAdsClient(patient_enough),
        settings.account_ids,
        MetaAdsClient.check_account,
        lambda account_id: f"act_{account_id}",
    )

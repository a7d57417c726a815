"""Google Analytics 4 traffic and key events through the official google-analytics-data client.

Two reports, each ONE runReport per property per date range (never one per day), paged with
limit/offset until rowCount is reached: the traffic report (sessions, users, key events and
revenue per day and session source / medium / campaign: the UTM tags) lands in raw.ga4_traffic;
the key-event report (the same rows split by event name, key events only, with each event's
value) lands in raw.ga4_key_events. Both go through the same client, paging, quota handling,
error sorting and parsing; a `Ga4Report` says what each asks for and where the answers land.

Transports: gRPC (the client's default) against Google with the user's credentials; REST without
credentials for an http:// GA4_API_URL; gRPC on a loopback channel without TLS for GA4_GRPC_TARGET
(both of the latter for the sandbox and tests only).

Every request asks for the property's quota (`consumed` is what that one request used, `remaining`
what is left) and slows down before an hourly quota runs out. Values arrive as strings,
positionally, and are parsed by the metric types the response declares and the column they land
in ("12.0" for an integer metric becomes 12, money is rounded to cents). Placeholder values such
as "(not set)" and "(direct)" are kept as they are, and so is "(other)", the row GA4 folds the
rarest dimension combinations into. Both reports keep each response's thresholding flags on their
rows and warn once per property and window when GA4 set them: the key-event report above all, as
it splits by eventName on top of four session dimensions and a filter, the many-dimension queries
whose tables pass their row limit and fold the rarest values into "(other)" (reports with
secondary dimensions, filters or comparisons are the likeliest to have an (other) row:
support.google.com/analytics/answer/9309767, "About the (other) row").

Errors, as GA4 documents them: RESOURCE_EXHAUSTED waits according to which quota ran out (a spent
daily quota stops the property for this run); UNAVAILABLE, INTERNAL and DEADLINE_EXCEEDED are
retried with backoff by the client library (`google.api_core.retry.Retry`); INVALID_ARGUMENT,
PERMISSION_DENIED, UNAUTHENTICATED and credentials that cannot be refreshed fail at once.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping

import requests
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Filter,
    FilterExpression,
    Metric,
    MetricType,
    RunReportRequest,
)
from google.api_core import exceptions as google_errors
from google.api_core.retry import Retry
from google.auth import exceptions as google_auth_errors

from connectors import clock
from connectors.endpoints import credentialed_url, is_loopback_host
from connectors.errors import (
    MalformedPayloadError,
    PlatformAuthError,
    PlatformConfigError,
    PlatformThrottledError,
    TransientPlatformError,
)
from connectors.platform import (
    AccessCheck,
    RecordSlice,
    check_slices,
    fetch_slices,
)
from connectors.retry import Backoff

PLATFORM = "ga4"
MAX_PAGE_SIZE = 250_000
# Stop paging gently when less than this share of an hourly quota is left.
QUOTA_SLOWDOWN_SHARE = 0.1
# The hourly quotas paging watches (PropertyQuota fields) and their documented size for a standard
# property; Analytics 360 properties have ten times the tokens
# (https://developers.google.com/analytics/devguides/reporting/data/v1/quotas). QuotaStatus.consumed is
# "Quota consumed by this request", remaining "Quota remaining after this request" (PropertyQuota
# reference), so a quota's size is at least what is left plus what this client spent in the hour.
HOURLY_QUOTA_SIZES = {
    "tokens_per_hour": 40_000,
    "tokens_per_project_per_hour": 14_000,
    "potentially_thresholded_requests_per_hour": 120,
}
# The UNAVAILABLE a failing per-call credential turns into on gRPC: grpc core reports an exception
# in the call-credentials plugin (google-auth's AuthMetadataPlugin refreshing the token) as status
# UNAVAILABLE with this text, followed by the RefreshError's own (grpc/grpc#13322 chose UNAVAILABLE;
# seen with google-auth in googleapis/google-cloud-python#10424 "503 Getting metadata from plugin
# failed with error: ('invalid_grant: Invalid JWT Signature.' ..." and grpc/grpc#23323, where the
# client's retries then spin on it). The text is all the client passes on: the RefreshError itself
# never reaches the caller on gRPC, and its `retryable` flag is lost. So on gRPC every failure to get
# a token is reported as the credential problem it nearly always is; the one it cannot tell apart
# is a token endpoint that could not be reached at all (google-auth's TransportError), which REST
# raises as itself and retries. A genuine UNAVAILABLE from GA4 carries GA4's own message.
CREDENTIAL_PLUGIN_FAILURE = "Getting metadata from plugin failed"
# Worth retrying: GA4 says to retry UNAVAILABLE, INTERNAL and DEADLINE_EXCEEDED; REST reaches them
# also as 502/504 from Google's front end, or as a broken connection; google-auth's TransportError
# is a token endpoint that could not be reached (api-core's own if_transient_error retries it too).
TRANSIENT_ERRORS = (
    google_errors.ServiceUnavailable,
    google_errors.InternalServerError,
    google_errors.BadGateway,
    google_errors.GatewayTimeout,
    google_errors.DeadlineExceeded,
    requests.ConnectionError,
    requests.Timeout,
    google_auth_errors.TransportError,
)

# Every GA4 dimension and metric the reports ask for → its raw column ("date" is parsed apart).
_COLUMN_OF = {
    "sessionSource": "session_source",
    "sessionMedium": "session_medium",
    "sessionCampaignName": "session_campaign_name",
    "sessionCampaignId": "session_campaign_id",
    "sessionDefaultChannelGroup": "session_default_channel_group",
    "eventName": "event_name",
    "sessions": "sessions",
    "totalUsers": "total_users",
    "engagedSessions": "engaged_sessions",
    "keyEvents": "key_events",
    "eventValue": "event_value",
    "purchaseRevenue": "purchase_revenue",
    "totalRevenue": "total_revenue",
    "transactions": "transactions",
}


# ResponseMetaData (https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/ResponseMetaData):
# subjectToThresholding "this report is subject to thresholding and only returns data that meets the
# minimum aggregation thresholds"; dataLossFromOtherRow "some buckets of dimension combinations are
# rolled into '(other)' row". Both describe a whole response: every row of it carries them, in raw
# columns named as the client's ResponseMetaData fields.
THRESHOLDING_COLUMNS = ("subject_to_thresholding", "data_loss_from_other_row")


@dataclasses.dataclass(frozen=True)
class Ga4Report:
    """One runReport shape: what it asks GA4 for and the raw table its rows land in. Columns are
    property_id, date, one per further dimension and per metric (in request order, named by
    `_COLUMN_OF`), then the response's currency and time zone and the raw row."""

    table: str  # raw.<table>
    dimensions: tuple[str, ...]  # "date" first: every row is one day
    metrics: tuple[str, ...]
    columns: Mapping[str, str]  # raw column → DuckDB type, in load order
    dimension_filter: FilterExpression | None = None
    # Keep each response's metadata.subjectToThresholding / dataLossFromOtherRow on its rows (as the
    # last two columns) and warn when GA4 set them.
    records_thresholding: bool = False

    def __post_init__(self):
        named = [_COLUMN_OF[name] for name in (*self.dimensions[1:], *self.metrics)]
        flags = list(THRESHOLDING_COLUMNS) if self.records_thresholding else []
        expected = ["property_id", "date", *named, "currency", "time_zone", "raw_row", *flags]
        if self.dimensions[:1] != ("date",) or list(self.columns) != expected:
            raise ValueError(f"GA4 report {self.table}: columns {list(self.columns)} do not follow {expected}")


TRAFFIC_REPORT = Ga4Report(
    table="ga4_traffic",
    dimensions=(
        "date",
        "sessionSource",
        "sessionMedium",
        "sessionCampaignName",
        "sessionCampaignId",
        "sessionDefaultChannelGroup",
    ),
    metrics=(
        "sessions",
        "totalUsers",
        "engagedSessions",
        "keyEvents",
        "purchaseRevenue",
        "totalRevenue",
        "transactions",
    ),
    columns={
        "property_id": "VARCHAR",
        "date": "DATE",
        "session_source": "VARCHAR",
        "session_medium": "VARCHAR",
        "session_campaign_name": "VARCHAR",
        "session_campaign_id": "VARCHAR",
        "session_default_channel_group": "VARCHAR",
        "sessions": "BIGINT",
        "total_users": "BIGINT",
        "engaged_sessions": "BIGINT",
        "key_events": "DOUBLE",
        "purchase_revenue": "DECIMAL(18,2)",
        "total_revenue": "DECIMAL(18,2)",
        "transactions": "BIGINT",
        "currency": "VARCHAR",
        "time_zone": "VARCHAR",
        "raw_row": "JSON",
        "subject_to_thresholding": "BOOLEAN",
        "data_loss_from_other_row": "BOOLEAN",
    },
    records_thresholding=True,
)

# The traffic report's key events split by event name: summed over eventName they give the traffic
# report's keyEvents. Key events only, through a dimension filter on isKeyEvent = "true" (the
# dimension is "true" for events marked as key events; Data API schema:
# https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema). A filter may name a
# dimension the request does not ask for (Filter.fieldName:
# https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/FilterExpression).
# Without it every other event with a value (add_to_cart…) would come too, with keyEvents 0.
# eventValue is the sum of the events' `value` parameter (same schema page), read in the property's
# currency (the response's currencyCode), as revenue is.
KEY_EVENTS_REPORT = Ga4Report(
    table="ga4_key_events",
    dimensions=("date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionCampaignId", "eventName"),
    metrics=("keyEvents", "eventValue"),
    columns={
        "property_id": "VARCHAR",
        "date": "DATE",
        "session_source": "VARCHAR",
        "session_medium": "VARCHAR",
        "session_campaign_name": "VARCHAR",
        "session_campaign_id": "VARCHAR",
        "event_name": "VARCHAR",
        "key_events": "DOUBLE",
        "event_value": "DECIMAL(18,2)",
        "currency": "VARCHAR",
        "time_zone": "VARCHAR",
        "raw_row": "JSON",
        "subject_to_thresholding": "BOOLEAN",
        "data_loss_from_other_row": "BOOLEAN",
    },
    records_thresholding=True,
    dimension_filter=FilterExpression(
        filter=Filter(
            field_name="isKeyEvent",
            string_filter=Filter.StringFilter(match_type=Filter.StringFilter.MatchType.EXACT, value="true"),
        )
    ),
)

log = logging.getLogger(__name__)


class DailyQuotaExhaustedError(PlatformThrottledError):
    """The property's tokens for today are spent: nothing more until GA4 resets them tomorrow."""

    retryable = False


@dataclasses.dataclass(frozen=True)
class Ga4Settings:
    property_ids: tuple[str, ...]
    api_url: str | None = None  # None: Google's endpoint over gRPC with the user's credentials
    # Sandbox and tests only: "host:port" on this machine, spoken to over gRPC without TLS and
    # without the user's credentials (GA4_GRPC_TARGET).
    grpc_target: str | None = None
    # The service-account key file (GOOGLE_APPLICATION_CREDENTIALS); None: application default credentials.
    credentials_file: str | None = None
    page_size: int = 10_000
    concurrent_quota_wait_seconds: float = 30
    hourly_quota_wait_seconds: float = 30 * 60
    max_quota_wait_seconds: float = 65 * 60
    # How long one page's first try may take; retries share it with the backoff's sleeps (see
    # `Ga4Client._page_deadline_seconds`).
    request_timeout_seconds: float = 120
    backoff: Backoff = Backoff()

    def __post_init__(self):
        if self.grpc_target is None:
            return
        if self.api_url:
            raise PlatformConfigError(
                PLATFORM, "GA4_API_URL and GA4_GRPC_TARGET are both set: set one (for Google's own service, neither)."
            )
        host, _, port = self.grpc_target.rpartition(":")
        if not is_loopback_host(host) or not port.isdigit():  # no TLS: this machine only
            raise PlatformConfigError(
                PLATFORM,
                f"GA4_GRPC_TARGET={self.grpc_target!r}: it points the GA4 connector at a local sandbox over gRPC without TLS, so it must be 127.0.0.1:<port> or localhost:<port>. Leave it unset to reach Google.",
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Ga4Settings | None:
        raw_ids = env.get("GA4_PROPERTY_IDS", "").strip()
        if not raw_ids:
            return None
        return cls.connection_from_env(
            env, tuple(normalize_property_id(part) for part in raw_ids.split(",") if part.strip())
        )

    @classmethod
    def connection_from_env(cls, env: Mapping[str, str], property_ids: tuple[str, ...] = ()) -> Ga4Settings:
        """Where GA4 answers and with which credentials, whether or not any property is configured yet
        (`social-roi connect ga4` lists the properties before GA4_PROPERTY_IDS holds one)."""
        return cls(
            property_ids=property_ids,
            api_url=credentialed_url(env, "GA4_API_URL", "", PLATFORM) or None,
            grpc_target=(env.get("GA4_GRPC_TARGET") or "").strip() or None,
            credentials_file=(env.get("GOOGLE_APPLICATION_CREDENTIALS") or "").strip() or None,
        )

    @property
    def uses_plain_http(self) -> bool:
        return bool(self.api_url and self.api_url.startswith("http://"))


def normalize_property_id(value: str) -> str:
    """'properties/123', ' 123 ' → '123'."""
    digits = value.strip().removeprefix("properties/")
    if not digits.isdigit():
        raise PlatformConfigError(
            PLATFORM,
            f"{value.strip()!r} in GA4_PROPERTY_IDS is not a GA4 property id: use the numeric id from Admin → Property details.",
        )
    return digits


def build_client(settings: Ga4Settings, credentials=None) -> BetaAnalyticsDataClient:
    """The official client: gRPC without TLS for a GA4_GRPC_TARGET (the sandbox), REST without TLS for
    an http:// endpoint (the sandbox), otherwise Google's gRPC transport with a service-account file or
    application default credentials. `credentials` (google.auth) replaces the user's, for tests:
    sent on the sandbox transports too, where none are sent otherwise."""
    if settings.grpc_target:
        return _loopback_grpc_client(settings.grpc_target, credentials)
    if settings.uses_plain_http:
        return BetaAnalyticsDataClient(**plain_http_client_arguments(settings, credentials))
    options = {"api_endpoint": settings.api_url} if settings.api_url else None
    return BetaAnalyticsDataClient(credentials=credentials or user_credentials(settings), client_options=options)


def plain_http_client_arguments(settings: Ga4Settings, credentials=None) -> dict:
    """What an official Google client (Data or Admin API) takes to talk to an http:// GA4_API_URL, the
    sandbox on this machine: the REST transport (gRPC would want TLS) and no credentials unless given,
    as none should travel unencrypted."""
    from google.auth.credentials import AnonymousCredentials

    return {
        "credentials": credentials or AnonymousCredentials(),
        "transport": "rest",
        "client_options": {"api_endpoint": settings.api_url},
    }


# Read-only access to GA4's reports and configuration: all the Data API's runReport and the Admin API's
# accountSummaries.list and properties.get need (their references' "Authorization scopes").
ANALYTICS_READONLY_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"


def user_credentials(settings: Ga4Settings):
    """The user's Google credentials for GA4, read-only: the key file GOOGLE_APPLICATION_CREDENTIALS
    names, else application default credentials (`gcloud auth application-default login`, or the
    machine's service account on Google Cloud). PlatformConfigError naming the fix when there are none
    or the file cannot be used; nothing is sent to Google yet (the token is fetched on first use)."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        if settings.credentials_file:
            credentials, _project = google.auth.load_credentials_from_file(
                settings.credentials_file, scopes=[ANALYTICS_READONLY_SCOPE]
            )
        else:
            credentials, _project = google.auth.default(scopes=[ANALYTICS_READONLY_SCOPE])
        return credentials
    except DefaultCredentialsError:
        pass  # Google's exception is not chained onto ours (connectors/errors.py)
    if settings.credentials_file:
        path = settings.credentials_file
        why = "there is no such file" if not os.path.exists(path) else "it is not a key file Google accepts"
        raise PlatformConfigError(
            PLATFORM,
            f"GOOGLE_APPLICATION_CREDENTIALS={path!r} cannot be used: {why}. Point it at the JSON key of a service account (Google Cloud console → IAM & Admin → Service accounts → Keys → Add key → JSON) whose e-mail has Viewer access to the GA4 properties.",
        )
    raise PlatformConfigError(
        PLATFORM,
        "No Google credentials found for GA4: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file whose account has Viewer access to the properties, or run `gcloud auth application-default login`.",
    )


def service_account_email(settings: Ga4Settings) -> str | None:
    """The service account's e-mail (the key file's client_email), the address to give Viewer access in
    GA4; None without a readable service-account key file. Read from the file alone: no call to Google."""
    if not settings.credentials_file:
        return None
    try:
        with open(settings.credentials_file, encoding="utf-8") as key_file:
            key = json.load(key_file)
    except (OSError, ValueError):
        return None
    email = key.get("client_email") if isinstance(key, dict) and key.get("type") == "service_account" else None
    return email if isinstance(email, str) and email else None


def grant_viewer_fix(settings: Ga4Settings) -> str:
    """How to let the credentials read a property: what GA4 Admin calls it, with the service account's address."""
    who = service_account_email(settings) or "the service account's e-mail (client_email in its key file)"
    return (
        f"Add {who} as a Viewer on the property in GA4 Admin → Property access management, or check GA4_PROPERTY_IDS."
    )


def _loopback_grpc_client(target: str, credentials) -> BetaAnalyticsDataClient:
    """The client's own gRPC transport on a channel we build: gRPC local credentials (no TLS; gRPC
    connects only to loopback peers with them) where Google's channel has TLS, and, when there are
    `credentials`, the same per-call credentials plugin api-core attaches for Google
    (google-auth's AuthMetadataPlugin), so a credential fails here as it fails there. A plain
    grpc.insecure_channel would do for the sandbox, but gRPC refuses call credentials on it."""
    import grpc
    from google.analytics.data_v1beta.services.beta_analytics_data.transports import BetaAnalyticsDataGrpcTransport

    channel_credentials = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
    if credentials is not None:
        from google.auth.transport.grpc import AuthMetadataPlugin
        from google.auth.transport.requests import Request

        per_call = grpc.metadata_call_credentials(AuthMetadataPlugin(credentials, Request()))
        channel_credentials = grpc.composite_channel_credentials(channel_credentials, per_call)
    channel = grpc.secure_channel(target, channel_credentials)
    return BetaAnalyticsDataClient(transport=BetaAnalyticsDataGrpcTransport(channel=channel))


class Ga4Client:
    """Fetches a report's daily rows per property. `sleep` is injectable so tests record the quota
    waits (the library's backoff between transient retries sleeps on its own)."""

    def __init__(
        self,
        settings: Ga4Settings,
        sleep: Callable[[float], None] = time.sleep,
        client: BetaAnalyticsDataClient | None = None,
    ):
        self.settings = settings
        self.sleep = sleep
        self._client = client or build_client(settings)
        self.requests_sent = 0  # tries, retries included
        # (property, hourly quota) → (when, consumed) of this client's requests in the last hour
        self._spent: dict[tuple[str, str], collections.deque[tuple[float, int]]] = collections.defaultdict(
            collections.deque
        )

    def close(self) -> None:
        self._client.transport.close()

    def daily_traffic(self, property_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        return self.report_rows(TRAFFIC_REPORT, property_id, since, until)

    def daily_key_events(self, property_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        return self.report_rows(KEY_EVENTS_REPORT, property_id, since, until)

    def report_rows(self, report: Ga4Report, property_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """The report's raw-table records for [since, until]: one runReport, paged."""
        property_id = normalize_property_id(property_id)
        offset, page_size = 0, min(self.settings.page_size, MAX_PAGE_SIZE)
        flagged: dict[str, set[str]] = collections.defaultdict(set)  # thresholding flag → days
        while True:
            response = self._run_report(report, property_id, since, until, offset, page_size)
            flags = [name for name in THRESHOLDING_COLUMNS if getattr(response.metadata, name)]
            for record in parse_report(response, report, property_id, since, until):
                for name in flags:
                    flagged[name].add(record["date"])
                yield record
            offset += len(response.rows)
            if not response.rows or offset >= response.row_count:
                break
            self._slow_down_before_quota_runs_out(response, property_id)
        if report.records_thresholding and flagged:
            _warn_thresholded(report, property_id, since, until, flagged)

    def check_property(self, property_id: str) -> None:
        """One minimal read-only report (one metric, yesterday, one row) that the credentials may read
        this property; raises the sorted error if not. Not retried: a check reports, it does not wait."""
        property_id = normalize_property_id(property_id)
        yesterday = clock.yesterday().isoformat()
        request = RunReportRequest(
            property=f"properties/{property_id}",
            date_ranges=[DateRange(start_date=yesterday, end_date=yesterday)],
            metrics=[Metric(name="sessions")],
            limit=1,
        )
        try:
            self._client.run_report(request=request, retry=None, timeout=self.settings.request_timeout_seconds)
            return
        except google_errors.GoogleAPICallError as error:
            problem, _wait = self._classify(error, property_id, tries=1)
        except (google_auth_errors.GoogleAuthError, requests.RequestException) as error:
            problem = self._not_sent(error, property_id, tries=1)
        # Raised outside the except blocks, so Google's exception is never chained onto ours.
        raise problem

    @staticmethod
    def _request(
        report: Ga4Report, property_id: str, since: dt.date, until: dt.date, offset: int, limit: int
    ) -> RunReportRequest:
        return RunReportRequest(
            property=f"properties/{property_id}",
            date_ranges=[DateRange(start_date=since.isoformat(), end_date=until.isoformat())],
            dimensions=[Dimension(name=name) for name in report.dimensions],
            metrics=[Metric(name=name) for name in report.metrics],
            dimension_filter=report.dimension_filter,
            limit=limit,
            offset=offset,
            return_property_quota=True,
            keep_empty_rows=False,
        )

    def _run_report(self, report: Ga4Report, property_id: str, since: dt.date, until: dt.date, offset: int, limit: int):
        """One page. Transient errors are retried inside the client by `Retry`; what comes out is
        either the page or an error to sort: the quota waits are ours, everything else stops."""
        request = self._request(report, property_id, since, until, offset, limit)
        throttles, quota_waited = 0, 0.0
        while True:
            first_try = self.requests_sent + 1
            self.requests_sent += 1
            try:
                response = self._client.run_report(
                    request=request,
                    retry=self._transient_retry(property_id),
                    # api-core's deadline semantics: every try gets what is left of it.
                    timeout=self._page_deadline_seconds,
                )
            except google_errors.RetryError as error:
                problem, wait = self._retries_timed_out(error, property_id), None
            except google_errors.GoogleAPICallError as error:
                throttles += isinstance(error, google_errors.TooManyRequests)
                problem, wait = self._classify(error, property_id, self.requests_sent - first_try + 1, throttles)
            except (google_auth_errors.GoogleAuthError, requests.RequestException) as error:
                problem, wait = self._not_sent(error, property_id, self.requests_sent - first_try + 1), None
            else:
                self._book_quota(response, property_id)
                return response
            if wait is None:
                raise problem
            quota_waited += wait
            if quota_waited > self.settings.max_quota_wait_seconds:
                raise PlatformThrottledError(
                    PLATFORM,
                    f"GA4 quota for property {property_id} stayed exhausted for over {self.settings.max_quota_wait_seconds / 60:.0f} minutes ({problem}). Rerun later.",
                    property_id,
                )
            log.warning("GA4 property %s: %s; waiting %.0fs", property_id, problem, wait)
            self.sleep(wait)

    @property
    def _page_deadline_seconds(self) -> float:
        """A page's whole deadline, retries included: the first try's timeout plus the longest the
        backoff may sleep between the tries it allows."""
        backoff = self.settings.backoff
        sleeps = sum(min(backoff.max_seconds, backoff.base_seconds * 2**n) for n in range(backoff.attempts - 1))
        return self.settings.request_timeout_seconds + sleeps

    def _transient_retry(self, property_id: str) -> Retry:
        """The client library's retry for one page: transient errors only, at most `backoff.attempts`
        tries, exponential backoff with jitter from `backoff`, within the page's deadline."""
        backoff = self.settings.backoff
        retries = itertools.count(1)

        def transient(error: Exception) -> bool:
            # Called once per failed try; `next` runs only for transient errors, so it counts them.
            return _is_transient(error) and next(retries) < backoff.attempts

        def on_retry(error: Exception) -> None:
            self.requests_sent += 1
            log.warning("GA4 property %s: %s; retrying", property_id, _describe(error))

        return Retry(
            predicate=transient,
            initial=backoff.base_seconds,
            maximum=backoff.max_seconds,
            multiplier=2,
            timeout=self._page_deadline_seconds,
            on_error=on_retry,
        )

    def _classify(
        self, error: google_errors.GoogleAPICallError, property_id: str, tries: int, throttles: int = 1
    ) -> tuple[Exception, float | None]:
        """(error to raise, seconds to wait before asking again or None to stop)."""
        message = platform_message(error)
        where = f"GA4 property {property_id}"
        if isinstance(error, google_errors.TooManyRequests):
            text = message.lower()
            if "per day" in text:
                return DailyQuotaExhaustedError(
                    PLATFORM,
                    f"{where} has used today's GA4 quota ({message}). It is skipped for this run; GA4 resets the daily quota at midnight Pacific time.",
                    property_id,
                ), None
            if "concurrent" in text:
                return PlatformThrottledError(
                    PLATFORM, message, property_id
                ), self.settings.concurrent_quota_wait_seconds
            # "Exhausted potentially thresholded requests quota.": 120 such requests per property per
            # hour (PropertyQuota.potentiallyThresholdedRequestsPerHour); hourly, so waited out like
            # the hourly token quotas.
            if "per hour" in text or "potentially thresholded" in text:
                return PlatformThrottledError(PLATFORM, message, property_id), self.settings.hourly_quota_wait_seconds
            return PlatformThrottledError(PLATFORM, message, property_id), self.settings.backoff.delay(throttles)
        if is_credential_failure(error):
            return self._cannot_refresh(property_id, message), None
        if isinstance(error, google_errors.Unauthorized):
            return self._unauthenticated(property_id, message), None
        if disabled := api_not_enabled(error):
            return PlatformConfigError(PLATFORM, f"GA4 refused {where}: {disabled}", property_id), None
        if isinstance(error, google_errors.Forbidden):
            return PlatformAuthError(
                PLATFORM,
                f"The GA4 credentials may not read {where} (PERMISSION_DENIED: {message}). {grant_viewer_fix(self.settings)}",
                property_id,
            ), None
        if isinstance(error, TRANSIENT_ERRORS):
            return _kept_failing(property_id, type(error).__name__, message, tries), None
        return PlatformConfigError(
            PLATFORM,
            f"GA4 refused the report request for {where} ({type(error).__name__}: {message}). This is not retried.",
            property_id,
        ), None

    def _not_sent(self, error: Exception, property_id: str, tries: int) -> Exception:
        """An error raised before GA4 answered: REST raises google-auth's RefreshError itself (the
        token could not be refreshed), or a broken connection that outlasted the retries."""
        if isinstance(error, google_auth_errors.RefreshError):
            # google-auth marks a refresh that failed on a 5xx or a timeout as retryable: an outage of
            # the token endpoint, not a key for the user to replace
            if getattr(error, "retryable", False):
                return _kept_failing(property_id, type(error).__name__, str(error), tries)
            return self._cannot_refresh(property_id, str(error))
        if isinstance(error, google_auth_errors.GoogleAuthError) and not isinstance(error, TRANSIENT_ERRORS):
            return self._unauthenticated(property_id, type(error).__name__)
        return _kept_failing(property_id, type(error).__name__, str(error), tries)

    def _retries_timed_out(self, error: google_errors.RetryError, property_id: str) -> TransientPlatformError:
        detail = _describe(error.cause) if error.cause is not None else error.message
        return TransientPlatformError(
            PLATFORM,
            f"GA4 kept failing for GA4 property {property_id} until the page's deadline of {self._page_deadline_seconds:.0f}s ({detail}). Rerun later.",
            property_id,
        )

    @staticmethod
    def _unauthenticated(property_id: str, detail: str) -> PlatformAuthError:
        return PlatformAuthError(
            PLATFORM,
            f"GA4 rejected the credentials for GA4 property {property_id} (UNAUTHENTICATED: {detail}). {CREDENTIALS_FIX}",
            property_id,
        )

    @staticmethod
    def _cannot_refresh(property_id: str, detail: str) -> PlatformAuthError:
        # Only a refusal reaches here (invalid_grant and the like): an outage of the token endpoint
        # is retryable and reported as transient (_not_sent, is_credential_failure).
        return PlatformAuthError(
            PLATFORM,
            f"The GA4 credentials could not get an access token for GA4 property {property_id} ({detail}). {CREDENTIALS_FIX}",
            property_id,
        )

    def _book_quota(self, response, property_id: str) -> None:
        """Remember what each request used of the hourly quotas, for an hour."""
        quota, now = response.property_quota, time.monotonic()
        for name in HOURLY_QUOTA_SIZES:
            if name in quota:
                spent = self._spent[property_id, name]
                spent.append((now, getattr(quota, name).consumed))
                while spent and spent[0][0] <= now - 3600:
                    spent.popleft()

    def _slow_down_before_quota_runs_out(self, response, property_id: str) -> None:
        """Before the next page: stop if today's tokens would not pay for another page like this one,
        pause when less than QUOTA_SLOWDOWN_SHARE of an hourly quota is left."""
        quota = response.property_quota
        if "tokens_per_day" in quota and quota.tokens_per_day.remaining < quota.tokens_per_day.consumed:
            raise DailyQuotaExhaustedError(
                PLATFORM,
                f"GA4 property {property_id} is about to run out of today's tokens ({quota.tokens_per_day.remaining} left, the last page took {quota.tokens_per_day.consumed}). It is skipped for this run; GA4 resets the daily quota at midnight Pacific time.",
                property_id,
            )
        for name, documented_size in HOURLY_QUOTA_SIZES.items():
            if name not in quota:
                continue
            remaining = getattr(quota, name).remaining
            size = max(documented_size, remaining + sum(consumed for _, consumed in self._spent[property_id, name]))
            floor = QUOTA_SLOWDOWN_SHARE * size
            if remaining < floor:
                wait = self.settings.hourly_quota_wait_seconds * (1 - remaining / floor)
                log.info(
                    "GA4 property %s: %s nearly spent (%d of about %d left); pausing %.0fs",
                    property_id,
                    name,
                    remaining,
                    size,
                    wait,
                )
                self.sleep(wait)
                return


# What to do about credentials GA4 or Google's token endpoint refused.
CREDENTIALS_FIX = (
    "Point GOOGLE_APPLICATION_CREDENTIALS at a valid, enabled service-account key file, or renew application "
    "default credentials with `gcloud auth application-default login`."
)
# OAuth 2.0's refusals of a token request (RFC 6749 section 5.2): the credential is wrong or revoked.
# Anything else from the token endpoint (a 5xx, no connection) is transient and retried.
OAUTH_REFUSALS = ("invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope", "access_denied")


# The Google APIs a GA4 credential's Cloud project must have enabled, by service name.
GOOGLE_APIS = {
    "analyticsdata.googleapis.com": "the Google Analytics Data API",
    "analyticsadmin.googleapis.com": "the Google Analytics Admin API",
}


def api_not_enabled(error: google_errors.GoogleAPICallError) -> str | None:
    """What to do when Google refused a call because its API is not enabled in the Cloud project the
    credentials belong to, None for any other refusal. Google answers that with 403 PERMISSION_DENIED
    ("Google Analytics Admin API has not been used in project 123 before or it is disabled. Enable it by
    visiting https://console.developers.google.com/apis/api/analyticsadmin.googleapis.com/overview?project=123
    then retry.") and a google.rpc.ErrorInfo of reason SERVICE_DISABLED whose metadata names the service,
    the consumer project and, lately, an activationUrl (Google's error model, cloud.google.com/apis/design/errors;
    api-core reads the ErrorInfo into `reason` and `metadata` on REST and gRPC alike)."""
    if not isinstance(error, google_errors.Forbidden) or error.reason != "SERVICE_DISABLED":
        return None
    metadata = error.metadata or {}
    service = metadata.get("service", "analyticsdata.googleapis.com")
    project = metadata.get("consumer", "").removeprefix("projects/")
    link = metadata.get("activationUrl") or (
        f"https://console.developers.google.com/apis/api/{service}/overview"
        + (f"?project={project}" if project else "")
    )
    api = GOOGLE_APIS.get(service, service)
    return f"{api} is not enabled in the Google Cloud project{f' {project}' if project else ''} of the credentials (GOOGLE_APPLICATION_CREDENTIALS). Enable it at {link} (APIs & Services → Library), wait a few minutes, and run again."


def is_credential_failure(error: Exception) -> bool:
    """A token refusal inside gRPC's call-credentials plugin, which gRPC reports as UNAVAILABLE."""
    message = getattr(error, "message", None) or ""
    return (
        isinstance(error, google_errors.ServiceUnavailable)
        and CREDENTIAL_PLUGIN_FAILURE in message
        and any(refusal in message for refusal in OAUTH_REFUSALS)
    )


def _is_transient(error: Exception) -> bool:
    return isinstance(error, TRANSIENT_ERRORS) and not is_credential_failure(error)


def _describe(error: Exception) -> str:
    if isinstance(error, google_errors.GoogleAPICallError):
        return f"{type(error).__name__}: {platform_message(error)}"
    return f"{type(error).__name__}: {error}"


def _kept_failing(property_id: str, error_name: str, message: str, tries: int) -> TransientPlatformError:
    return TransientPlatformError(
        PLATFORM,
        f"GA4 answered {error_name} for GA4 property {property_id} ({message}) on {tries} {'try' if tries == 1 else 'tries'}. Rerun later.",
        property_id,
    )


def _warn_thresholded(
    report: Ga4Report, property_id: str, since: dt.date, until: dt.date, flagged: Mapping[str, set[str]]
) -> None:
    """One warning per property and window, naming the days whose rows GA4 flagged."""
    what = {
        "subject_to_thresholding": "subject to thresholding (rows under GA4's privacy thresholds withheld)",
        "data_loss_from_other_row": "with rows rolled into '(other)'",
    }
    days = sorted(set().union(*flagged.values()))
    log.warning(
        "GA4 property %s: the report for %s..%s came back %s; days affected: %s. Their figures may be low; the rows carry %s in raw.%s.",
        property_id,
        since,
        until,
        " and ".join(what[name] for name in THRESHOLDING_COLUMNS if name in flagged),
        ", ".join(days),
        " / ".join(name for name in THRESHOLDING_COLUMNS if name in flagged),
        report.table,
    )


def platform_message(error: google_errors.GoogleAPICallError) -> str:
    """GA4's own words, without the request URL the REST transport puts in front of them."""
    return re.sub(r"^(GET|POST) \S+: ", "", error.message or str(error))


def parse_report(response, report: Ga4Report, property_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
    """`report`'s raw-table records from one runReport page, values read by the headers' names and types."""
    dimension_names = [header.name for header in response.dimension_headers]
    metric_headers = [(header.name, header.type_) for header in response.metric_headers]
    metric_names = [name for name, _ in metric_headers]
    currency, time_zone = response.metadata.currency_code, response.metadata.time_zone
    flags = (
        {name: getattr(response.metadata, name) for name in THRESHOLDING_COLUMNS} if report.records_thresholding else {}
    )
    if dimension_names != list(report.dimensions) or metric_names != list(report.metrics):
        raise MalformedPayloadError(
            PLATFORM,
            f"GA4 property {property_id} answered with columns {dimension_names + metric_names} instead of the ones requested; nothing was written.",
            property_id,
        )
    for row in response.rows:
        dimensions = [value.value for value in row.dimension_values]
        metrics = [value.value for value in row.metric_values]
        raw = {"dimensions": dict(zip(dimension_names, dimensions)), "metrics": dict(zip(metric_names, metrics))}
        try:
            day = dt.datetime.strptime(dimensions[0], "%Y%m%d").date()
        except ValueError:
            raise MalformedPayloadError(
                PLATFORM,
                f"GA4 property {property_id} sent date {dimensions[0]!r}, not YYYYMMDD; nothing was written.",
                property_id,
            ) from None
        if not since <= day <= until:
            raise MalformedPayloadError(
                PLATFORM,
                f"GA4 property {property_id} sent a row for {day}, outside {since}..{until}; nothing was written.",
                property_id,
            )
        record: dict[str, object] = {"property_id": property_id, "date": day.isoformat()}
        record.update({_COLUMN_OF[name]: value for name, value in zip(dimension_names[1:], dimensions[1:])})
        for (name, metric_type), value in zip(metric_headers, metrics):
            column = _COLUMN_OF[name]
            record[column] = _metric_value(value, metric_type, report.columns[column], name, property_id)
        record.update(currency=currency, time_zone=time_zone, raw_row=json.dumps(raw, separators=(",", ":")), **flags)
        yield record


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def _metric_value(value: str, metric_type: int, column_type: str, name: str, property_id: str):
    if not _NUMBER.fullmatch(value or ""):
        raise MalformedPayloadError(
            PLATFORM,
            f"GA4 property {property_id} sent {name}={value!r}, not a number; nothing was written.",
            property_id,
        )
    number = float(value)
    # Counts land in BIGINT columns whatever type the header declares.
    if metric_type == MetricType.TYPE_INTEGER or column_type == "BIGINT":
        if not number.is_integer():
            raise MalformedPayloadError(
                PLATFORM,
                f"GA4 property {property_id} sent {name}={value!r} for an integer metric; nothing was written.",
                property_id,
            )
        return int(number)  # integer metrics can arrive as "12.0"
    # Money: revenue is TYPE_CURRENCY; eventValue is a plain number, in the property currency too.
    if metric_type == MetricType.TYPE_CURRENCY or column_type.startswith("DECIMAL"):
        return round(number, 2)
    return number


def fetch_window(settings: Ga4Settings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured property's traffic rows for [since, until], one property at a time."""
    return fetch_slices(Ga4Client(settings), settings.property_ids, Ga4Client.daily_traffic, since, until)


def fetch_key_events_window(settings: Ga4Settings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured property's key events per event name for [since, until], one property at a time."""
    return fetch_slices(Ga4Client(settings), settings.property_ids, Ga4Client.daily_key_events, since, until)


def check_access(settings: Ga4Settings) -> Iterator[AccessCheck]:
    """(properties/<id>, None) for each property the credentials can read, (properties/<id>, the error and its fix) for the others."""
    return check_slices(
        lambda: Ga4Client(settings),
        settings.property_ids,
        Ga4Client.check_property,
        lambda property_id: f"properties/{property_id}",
    )

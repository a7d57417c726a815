"""Google Analytics 4 traffic and key events through the official google-analytics-data client.

Two reports, each ONE runReport per property per date range (never one per day), paged with
limit/offset until rowCount is reached: the traffic report (sessions, users, key events and
revenue per day and session source / medium / campaign: the UTM tags) lands in raw.ga4_traffic;
the key-event report (the same rows split by event name, key events only, with each event's
value) lands in raw.ga4_key_events. Both go through the same client, paging, quota handling,
error sorting and parsing; a `Ga4Report` says what each asks for and where the answers land.

Every request asks for the property's quota and slows down before it runs out. Values arrive as
strings, positionally, and are parsed by the metric types the response declares and the column
they land in ("12.0" for an integer metric becomes 12, money is rounded to cents).
Placeholder values such as "(not set)" and "(direct)" are kept as they are.

Errors, as GA4 documents them: RESOURCE_EXHAUSTED waits according to which quota ran out (a spent
daily quota stops the property for this run); UNAVAILABLE, INTERNAL and DEADLINE_EXCEEDED retry
with backoff; INVALID_ARGUMENT, PERMISSION_DENIED and UNAUTHENTICATED fail at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping

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
from google.auth import exceptions as google_auth_errors

from connectors.errors import (
    MalformedPayloadError,
    PlatformAuthError,
    PlatformConfigError,
    PlatformThrottledError,
    TransientPlatformError,
)
from connectors.retry import Backoff
from connectors.source import AccessCheck, RawSource, RestatementWindow, SliceRecords, check_slices, fetch_slices

PLATFORM = "ga4"
MAX_PAGE_SIZE = 250_000
# Stop paging gently when less than this share of an hourly token quota is left.
QUOTA_SLOWDOWN_SHARE = 0.1

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

    def __post_init__(self):
        named = [_COLUMN_OF[name] for name in (*self.dimensions[1:], *self.metrics)]
        expected = ["property_id", "date", *named, "currency", "time_zone", "raw_row"]
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
    },
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
    },
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
    page_size: int = 10_000
    concurrent_quota_wait_seconds: float = 30
    hourly_quota_wait_seconds: float = 30 * 60
    max_quota_wait_seconds: float = 65 * 60
    request_timeout_seconds: float = 120
    backoff: Backoff = Backoff()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Ga4Settings | None:
        raw_ids = env.get("GA4_PROPERTY_IDS", "").strip()
        if not raw_ids:
            return None
        return cls(
            property_ids=tuple(normalize_property_id(part) for part in raw_ids.split(",") if part.strip()),
            api_url=(env.get("GA4_API_URL") or "").strip().rstrip("/") or None,
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


def build_client(settings: Ga4Settings) -> BetaAnalyticsDataClient:
    """The official client: REST without TLS or credentials for an http:// endpoint (the sandbox),
    otherwise Google's transport with a service-account file or application default credentials."""
    if settings.uses_plain_http:
        from google.auth.credentials import AnonymousCredentials

        return BetaAnalyticsDataClient(
            credentials=AnonymousCredentials(), transport="rest", client_options={"api_endpoint": settings.api_url}
        )
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _project = google.auth.default(scopes=["https://www.googleapis.com/auth/analytics.readonly"])
    except DefaultCredentialsError:
        problem = PlatformConfigError(
            PLATFORM,
            "No Google credentials found for GA4: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file whose account has Viewer access to the properties, or run `gcloud auth application-default login`.",
        )
    else:
        options = {"api_endpoint": settings.api_url} if settings.api_url else None
        return BetaAnalyticsDataClient(credentials=credentials, client_options=options)
    raise problem


class Ga4Client:
    """Fetches a report's daily rows per property. `sleep` is injectable so tests record waits."""

    def __init__(
        self,
        settings: Ga4Settings,
        sleep: Callable[[float], None] = time.sleep,
        client: BetaAnalyticsDataClient | None = None,
    ):
        self.settings = settings
        self.sleep = sleep
        self._client = client or build_client(settings)
        self.requests_sent = 0

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
        while True:
            response = self._run_report(report, property_id, since, until, offset, page_size)
            yield from parse_report(response, report, property_id, since, until)
            offset += len(response.rows)
            if not response.rows or offset >= response.row_count:
                return
            self._slow_down_before_quota_runs_out(response, property_id)

    def check_property(self, property_id: str) -> None:
        """One minimal read-only report (one metric, yesterday, one row) that the credentials may read
        this property; raises the sorted error if not. Not retried: a check reports, it does not wait."""
        property_id = normalize_property_id(property_id)
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
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
            problem, _wait = self._classify(error, property_id, attempt=1)
        except google_auth_errors.GoogleAuthError as error:
            problem = self._unauthenticated(property_id, type(error).__name__)
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
        request = self._request(report, property_id, since, until, offset, limit)
        attempt, quota_waited = 0, 0.0
        while True:
            attempt += 1
            self.requests_sent += 1
            try:
                # retry=None: the client retries nothing by default, and we decide here what to retry.
                return self._client.run_report(
                    request=request, retry=None, timeout=self.settings.request_timeout_seconds
                )
            except google_errors.GoogleAPICallError as error:
                problem, wait = self._classify(error, property_id, attempt)
            except google_auth_errors.GoogleAuthError as error:
                # A 401 makes the client refresh its credentials; a revoked key (or the anonymous
                # credentials of a plain-http endpoint) cannot be refreshed.
                problem, wait = self._unauthenticated(property_id, type(error).__name__), None
            if wait is None:
                raise problem
            if isinstance(problem, PlatformThrottledError):
                quota_waited += wait
                if quota_waited > self.settings.max_quota_wait_seconds:
                    raise PlatformThrottledError(
                        PLATFORM,
                        f"GA4 quota for property {property_id} stayed exhausted for over {self.settings.max_quota_wait_seconds / 60:.0f} minutes ({problem}). Rerun later.",
                        property_id,
                    )
            elif attempt >= self.settings.backoff.attempts:
                raise problem
            log.warning("GA4 property %s: %s; waiting %.0fs", property_id, problem, wait)
            self.sleep(wait)

    def _classify(self, error: google_errors.GoogleAPICallError, property_id: str, attempt: int):
        """(error to raise, seconds to wait before retrying or None to stop)."""
        message = _platform_message(error)
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
            if "per hour" in text:
                return PlatformThrottledError(PLATFORM, message, property_id), self.settings.hourly_quota_wait_seconds
            return PlatformThrottledError(PLATFORM, message, property_id), self.settings.backoff.delay(attempt)
        if isinstance(error, google_errors.Unauthorized):
            return self._unauthenticated(property_id, message), None
        if isinstance(error, google_errors.Forbidden):
            return PlatformAuthError(
                PLATFORM,
                f"The GA4 credentials may not read {where} (PERMISSION_DENIED: {message}). Add the service account's e-mail as a Viewer in GA4 Admin → Property access management, or check GA4_PROPERTY_IDS.",
                property_id,
            ), None
        if isinstance(error, (google_errors.ServerError, google_errors.DeadlineExceeded)):
            return TransientPlatformError(
                PLATFORM, f"GA4 answered {type(error).__name__} for {where} ({message}).", property_id
            ), self.settings.backoff.delay(attempt)
        return PlatformConfigError(
            PLATFORM,
            f"GA4 refused the report request for {where} ({type(error).__name__}: {message}). This is not retried.",
            property_id,
        ), None

    @staticmethod
    def _unauthenticated(property_id: str, detail: str) -> PlatformAuthError:
        return PlatformAuthError(
            PLATFORM,
            f"GA4 rejected the credentials for GA4 property {property_id} (UNAUTHENTICATED: {detail}). Point GOOGLE_APPLICATION_CREDENTIALS at a valid service-account key file, or renew application default credentials with `gcloud auth application-default login`.",
            property_id,
        )

    def _slow_down_before_quota_runs_out(self, response, property_id: str) -> None:
        quota = response.property_quota
        for name in ("tokens_per_hour", "tokens_per_project_per_hour"):
            status = getattr(quota, name)
            total = status.consumed + status.remaining
            if total and status.remaining < QUOTA_SLOWDOWN_SHARE * total:
                wait = self.settings.hourly_quota_wait_seconds * (1 - status.remaining / (QUOTA_SLOWDOWN_SHARE * total))
                log.info(
                    "GA4 property %s: %s nearly spent (%d left); pausing %.0fs",
                    property_id,
                    name,
                    status.remaining,
                    wait,
                )
                self.sleep(wait)
                return
        daily = quota.tokens_per_day
        if daily.consumed and daily.remaining < daily.consumed / max(self.requests_sent, 1):
            raise DailyQuotaExhaustedError(
                PLATFORM,
                f"GA4 property {property_id} is about to run out of today's tokens ({daily.remaining} left). It is skipped for this run; GA4 resets the daily quota at midnight Pacific time.",
                property_id,
            )


def _platform_message(error: google_errors.GoogleAPICallError) -> str:
    """GA4's own words, without the request URL the REST transport puts in front of them."""
    return re.sub(r"^(GET|POST) \S+: ", "", error.message or str(error))


def parse_report(response, report: Ga4Report, property_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
    """`report`'s raw-table records from one runReport page, values read by the headers' names and types."""
    dimension_names = [header.name for header in response.dimension_headers]
    metric_headers = [(header.name, header.type_) for header in response.metric_headers]
    metric_names = [name for name, _ in metric_headers]
    currency, time_zone = response.metadata.currency_code, response.metadata.time_zone
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
        record = {"property_id": property_id, "date": day.isoformat()}
        record.update({_COLUMN_OF[name]: value for name, value in zip(dimension_names[1:], dimensions[1:])})
        for (name, metric_type), value in zip(metric_headers, metrics):
            column = _COLUMN_OF[name]
            record[column] = _metric_value(value, metric_type, report.columns[column], name, property_id)
        record.update(currency=currency, time_zone=time_zone, raw_row=json.dumps(raw, separators=(",", ":")))
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


def fetch_window(settings: Ga4Settings, since: dt.date, until: dt.date) -> Iterator[SliceRecords]:
    """Every configured property's traffic rows for [since, until], one property at a time."""
    return fetch_slices(Ga4Client(settings), settings.property_ids, Ga4Client.daily_traffic, since, until)


def fetch_key_events_window(settings: Ga4Settings, since: dt.date, until: dt.date) -> Iterator[SliceRecords]:
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


SOURCE = RawSource(
    platform=PLATFORM,
    table=TRAFFIC_REPORT.table,
    columns=TRAFFIC_REPORT.columns,
    slice_column="property_id",
    date_column="date",
    credentials_hint="GA4_PROPERTY_IDS (and GOOGLE_APPLICATION_CREDENTIALS)",
    settings_from_env=Ga4Settings.from_env,
    fetch=fetch_window,
    check=check_access,
    # GA4 finishes processing a day within 24-48 hours (data freshness:
    # https://support.google.com/analytics/answer/11198161).
    restatement=RestatementWindow(nightly_days=3, weekly_days=3),
    setting_names=("GA4_PROPERTY_IDS", "GOOGLE_APPLICATION_CREDENTIALS", "GA4_API_URL"),
)

# The same properties, settings and restatement window as the traffic report. No check of its own:
# SOURCE's check already tries every property with the same credentials.
KEY_EVENTS_SOURCE = RawSource(
    platform=PLATFORM,
    table=KEY_EVENTS_REPORT.table,
    columns=KEY_EVENTS_REPORT.columns,
    slice_column="property_id",
    date_column="date",
    credentials_hint=SOURCE.credentials_hint,
    settings_from_env=Ga4Settings.from_env,
    fetch=fetch_key_events_window,
    check=None,
    restatement=SOURCE.restatement,
)

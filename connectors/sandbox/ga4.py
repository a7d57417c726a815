"""The GA4 Data API (v1beta runReport) as the official client's REST and gRPC transports see it.

Served: POST /v1beta/properties/{id}:runReport with dateRanges, dimensions, metrics, limit,
offset, returnPropertyQuota, keepEmptyRows and a dimensionFilter (string and in-list filters in
and/or/not groups); the same report over gRPC (``ga4_grpc.py``), answered by the same
``Ga4DataApi.report``: same rows, same faults, errors as the gRPC status of the same name. Faithful
details: every value is a string, positionally under dimensionHeaders/metricHeaders; some integer
metrics come as "12.0"; rowCount is the total before paging; rows whose metrics are all zero are
left out; metadata carries currencyCode and timeZone (and subjectToThresholding /
dataLossFromOtherRow when set); propertyQuota's ``consumed`` is what this one request used and
``remaining`` what is left of the quota; errors use Google's JSON error shape with the gRPC status
name. A request that asks by event (eventName or isKeyEvent, as a dimension or in the filter) reads
each row's key events by name: the sandbox knows key events only, so it answers such requests for
keyEvents and eventValue and refuses other metrics.

Credentials: requests without any are answered (the REST client sends none to a plain-http
endpoint); a bearer token other than the one ``POST /token`` hands out is UNAUTHENTICATED. ``POST
/token`` stands in for Google's OAuth token endpoint: it refreshes SANDBOX_GA4_REFRESH_TOKEN and
answers any other refresh token ``invalid_grant``, as Google does for a revoked one.

Fault kinds (``sandbox.faults.arm("ga4", kind, ...)``): ``concurrent_quota``, ``hourly_quota``,
``project_hourly_quota``, ``daily_quota``, ``thresholded_quota`` (each the RESOURCE_EXHAUSTED
message GA4 sends), ``unavailable``, ``internal``, ``unauthenticated``, ``permission_denied``; and
two that change answers rather than refuse them, armed with ``times=None`` and optionally
``days=[date, ...]``: ``thresholded`` (metadata.subjectToThresholding) and ``other_row_data_loss``
(metadata.dataLossFromOtherRow) on every report whose date range covers one of the days (every
report without ``days``); with ``by_event=True`` only on reports split by event (eventName or
isKeyEvent), with ``by_event=False`` only on the others: GA4 flags each response on its own, and a
report split by event name on top of the session dimensions is the one most likely to meet a
table's row limit ("About the (other) row", support.google.com/analytics/answer/9309767: reports
with more dimensions and filters are the likeliest). They only flag: the sandbox withholds no rows. ``spend_tokens_elsewhere``
makes other apps' use of the property's quota visible in propertyQuota.

The rows are GA4's view of the advertiser's day (``ga4_figures.py``); ``environment()`` holds the
settings that point the GA4 connector here. The Admin API that lists the properties (``social-roi
connect ga4``) is served on the same port, from ``ga4_admin.py``.
"""

import datetime as dt
import json
import re
import threading

from connectors.sandbox.ga4_figures import ga4_rows
from connectors.sandbox.http import Response

# Names as the Data API schema lists them:
# https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema
DIMENSION_NAMES = {
    "date",
    "sessionSource",
    "sessionMedium",
    "sessionSourceMedium",
    "sessionCampaignName",
    "sessionCampaignId",
    "sessionDefaultChannelGroup",
    "eventName",
    "isKeyEvent",  # "true" for an event marked as a key event
}
# Event-scoped dimensions: asking by them splits a row into its events.
EVENT_DIMENSIONS = {"eventName", "isKeyEvent"}
METRIC_TYPES = {
    "sessions": "TYPE_INTEGER",
    "totalUsers": "TYPE_INTEGER",
    "engagedSessions": "TYPE_INTEGER",
    "keyEvents": "TYPE_INTEGER",
    "transactions": "TYPE_INTEGER",
    "purchaseRevenue": "TYPE_CURRENCY",
    "totalRevenue": "TYPE_CURRENCY",
    "eventValue": "TYPE_FLOAT",  # the sum of the events' `value` parameter: a plain number
}
# The metrics the sandbox can split by event: it models key events, not every event a site sends.
EVENT_METRICS = {"keyEvents", "eventValue"}
# Filter.StringFilter.MatchType: the REST transport sends the enum's number (enum-encoding=int).
MATCH_TYPES = {1: "EXACT", 2: "BEGINS_WITH", 3: "ENDS_WITH", 4: "CONTAINS", 5: "FULL_REGEXP", 6: "PARTIAL_REGEXP"}
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 250_000
TOKENS_PER_DAY = 200_000
TOKENS_PER_HOUR = 40_000
TOKENS_PER_PROJECT_PER_HOUR = 14_000

POTENTIALLY_THRESHOLDED_REQUESTS_PER_HOUR = 120
# Google's OAuth token endpoint in the sandbox: the one refresh token it honours and the access token it gives.
SANDBOX_GA4_REFRESH_TOKEN = "sandbox-ga4-refresh-token"
SANDBOX_GA4_ACCESS_TOKEN = "sandbox-ga4-access-token"

QUOTA_MESSAGES = {
    "concurrent_quota": "Exhausted concurrent requests quota.",
    "hourly_quota": "Exhausted property tokens per hour.",
    "project_hourly_quota": "Exhausted property tokens for a project per hour.",
    "daily_quota": "Exhausted property tokens per day.",
    "thresholded_quota": "Exhausted potentially thresholded requests quota.",
}
# Faults that flag a report's metadata instead of refusing it: fault kind → ResponseMetaData field.
METADATA_FLAGS = {"thresholded": "subjectToThresholding", "other_row_data_loss": "dataLossFromOtherRow"}
OTHER_FAULTS = {
    "unavailable": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "internal": (500, "INTERNAL", "Internal error encountered."),
    "unauthenticated": (
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
    ),
    "permission_denied": (
        403,
        "PERMISSION_DENIED",
        "User does not have sufficient permissions for this property. To learn more about Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.",
    ),
}


def environment(sandbox) -> dict[str, str]:
    """The settings that point the GA4 connector at this sandbox (plain HTTP: no TLS, no credentials)."""
    return {
        "GA4_PROPERTY_IDS": ",".join(prop.id for prop in sandbox.advertiser.ga4_properties),
        "GA4_API_URL": sandbox.base_url,
    }


class Ga4ApiError(Exception):
    """An error runReport answers with: HTTP status, gRPC status name and GA4's message."""

    def __init__(self, http_status: int, status_name: str, message: str):
        super().__init__(message)
        self.http_status, self.status_name, self.message = http_status, status_name, message


def _invalid(message: str) -> Ga4ApiError:
    return Ga4ApiError(400, "INVALID_ARGUMENT", message)


class _Refused(Exception):
    """A request runReport answers with INVALID_ARGUMENT (or the sandbox does not serve)."""


def _unknown_field(name: str) -> _Refused:
    return _Refused(
        f"Field {name} is not a valid dimension or metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
    )


def _filter_fields(expression: dict) -> list[str]:
    """The dimensions a FilterExpression names, refusing what runReport refuses: a metric in a
    dimension filter ("Metrics cannot be used in this filter", RunReportRequest.dimensionFilter:
    https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport).
    A filter may name a dimension the request does not ask for (Filter.fieldName:
    https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/FilterExpression)."""
    for group in ("andGroup", "orGroup"):
        if group in expression:
            return [name for part in expression[group].get("expressions", []) for name in _filter_fields(part)]
    if "notExpression" in expression:
        return _filter_fields(expression["notExpression"])
    condition = expression.get("filter", {})
    name = condition.get("fieldName", "")
    if name in METRIC_TYPES:
        raise _Refused(f"Metric {name} cannot be used in a dimension filter; use metricFilter.")
    if name not in DIMENSION_NAMES:
        raise _unknown_field(name)
    if not ("stringFilter" in condition or "inListFilter" in condition):
        raise _Refused("This sandbox serves dimension filters made of stringFilter and inListFilter conditions only.")
    return [name]


def _matches(expression: dict, values: dict) -> bool:
    """FilterExpression semantics; string matches ignore case unless caseSensitive is set."""
    if "andGroup" in expression:
        return all(_matches(part, values) for part in expression["andGroup"].get("expressions", []))
    if "orGroup" in expression:
        return any(_matches(part, values) for part in expression["orGroup"].get("expressions", []))
    if "notExpression" in expression:
        return not _matches(expression["notExpression"], values)
    condition = expression["filter"]
    value = str(values[condition["fieldName"]])
    spec = condition.get("stringFilter") or condition.get("inListFilter")
    fold = (lambda text: text) if spec.get("caseSensitive") else str.lower
    if "inListFilter" in condition:
        return fold(value) in {fold(candidate) for candidate in spec.get("values", [])}
    wanted, given_type = fold(spec.get("value", "")), spec.get("matchType", "EXACT")
    match_type = MATCH_TYPES.get(given_type) or str(given_type)  # an enum's number, or its name
    flags = 0 if spec.get("caseSensitive") else re.IGNORECASE
    return {
        "EXACT": lambda: fold(value) == wanted,
        "BEGINS_WITH": lambda: fold(value).startswith(wanted),
        "ENDS_WITH": lambda: fold(value).endswith(wanted),
        "CONTAINS": lambda: wanted in fold(value),
        "FULL_REGEXP": lambda: re.fullmatch(spec.get("value", ""), value, flags) is not None,
        "PARTIAL_REGEXP": lambda: re.search(spec.get("value", ""), value, flags) is not None,
    }[match_type]()


class Ga4DataApi:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.advertiser = sandbox.advertiser
        self._tokens_used = 0  # by this (the only) Cloud project
        self._tokens_used_elsewhere = 0  # by other apps reading the property
        self._thresholded_requests = 0
        self._lock = threading.Lock()
        self.reports_served = 0
        self.report_requests = 0  # every runReport that arrived, over REST or gRPC, answered or refused
        self.token_requests = 0
        # Imported here: ga4_admin takes this module's credential check and error texts.
        from connectors.sandbox.ga4_admin import Ga4AdminApi

        self.admin = Ga4AdminApi(sandbox)

    def routes(self):
        return [
            ("POST", re.compile(r"^/v1beta/properties/(\d+):runReport$"), self.run_report),
            ("POST", re.compile(r"^/token$"), self.token),
            *self.admin.routes(),
        ]

    def spend_tokens_elsewhere(self, tokens: int) -> None:
        """Other apps read the property: `tokens` fewer left of its hourly and daily quotas (not of
        this project's per-project quota)."""
        with self._lock:
            self._tokens_used_elsewhere += tokens

    def run_report(self, request, match):
        """runReport over REST: the JSON body the client's REST transport sends, Google's JSON error shape."""
        try:
            payload = self.report(
                match.group(1), json.loads(request.body or b"{}"), request.headers.get("authorization")
            )
        except Ga4ApiError as error:
            body = {"error": {"code": error.http_status, "message": error.message, "status": error.status_name}}
            return Response.json(error.http_status, body)
        return Response.json(200, payload)

    def token(self, request, _match):
        """Google's OAuth token endpoint, for the refresh-token grant (oauth2.googleapis.com/token)."""
        with self._lock:
            self.token_requests += 1
        if self.sandbox.faults.take("ga4", "token_endpoint_down"):
            # An outage of Google's token endpoint answers 5xx; google-auth retries it and then raises a
            # RefreshError marked retryable (google/auth/_exponential_backoff.py, oauth2/_client.py).
            return Response.json(503, {"error": "internal_failure", "error_description": "Backend Error"})
        if (
            request.form.get("grant_type") == "refresh_token"
            and request.form.get("refresh_token") == SANDBOX_GA4_REFRESH_TOKEN
        ):
            return Response.json(
                200,
                {
                    "access_token": SANDBOX_GA4_ACCESS_TOKEN,
                    "expires_in": 3599,
                    "scope": "https://www.googleapis.com/auth/analytics.readonly",
                    "token_type": "Bearer",
                },
            )
        return Response.json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})

    def _refusal(self, property_id: str, authorization: str | None) -> Ga4ApiError | None:
        faults = self.sandbox.faults
        for kind, (status, name, message) in OTHER_FAULTS.items():
            if faults.take("ga4", kind):
                return Ga4ApiError(status, name, message)
        if authorization is not None and authorization != f"Bearer {SANDBOX_GA4_ACCESS_TOKEN}":
            return Ga4ApiError(*OTHER_FAULTS["unauthenticated"])
        for kind, message in QUOTA_MESSAGES.items():
            if faults.take("ga4", kind):
                return Ga4ApiError(429, "RESOURCE_EXHAUSTED", message)
        if property_id not in {prop.id for prop in self.advertiser.ga4_properties}:
            return Ga4ApiError(*OTHER_FAULTS["permission_denied"])
        return None

    def _metadata_flags(self, since: dt.date, until: dt.date, by_event: bool) -> dict[str, bool]:
        flags = {}
        for kind, field in METADATA_FLAGS.items():
            fault = self.sandbox.faults.take_matching(
                "ga4", kind, lambda fault: fault.options.get("by_event") in (None, by_event)
            )
            days = None if fault is None else fault.options.get("days")
            if fault and (days is None or any(since <= dt.date.fromisoformat(str(day)) <= until for day in days)):
                flags[field] = True  # proto3 JSON leaves out false
        return flags

    def report(self, property_id: str, body: dict, authorization: str | None = None) -> dict:
        """runReport's answer (the RunReportResponse as JSON) to `body` (the RunReportRequest as
        JSON, without `property`), or the Ga4ApiError it refuses with. `authorization` is the
        request's "Bearer ..." credential, None when it carries none."""
        with self._lock:
            self.report_requests += 1
        refusal = self._refusal(property_id, authorization)
        if refusal:
            raise refusal
        dimensions = [d["name"] for d in body.get("dimensions", [])]
        metrics = [m["name"] for m in body.get("metrics", [])]
        if len(dimensions) > 9 or len(metrics) > 10 or not metrics:
            raise _invalid("A request may have at most 9 dimensions and between 1 and 10 metrics.")
        unknown = [n for n in dimensions if n not in DIMENSION_NAMES] + [n for n in metrics if n not in METRIC_TYPES]
        if unknown:
            raise _invalid(str(_unknown_field(unknown[0])))
        dimension_filter = body.get("dimensionFilter")
        try:
            filtered_on = _filter_fields(dimension_filter) if dimension_filter else []
        except _Refused as refusal:
            raise _invalid(str(refusal)) from None
        if body.get("metricFilter"):
            raise _invalid("This sandbox does not serve metricFilter.")
        by_event = bool(EVENT_DIMENSIONS & {*dimensions, *filtered_on})
        if by_event and not set(metrics) <= EVENT_METRICS:
            raise _invalid(
                f"This sandbox splits only {sorted(EVENT_METRICS)} by event (eventName, isKeyEvent); it knows no other events."
            )
        try:
            [date_range] = body["dateRanges"]
            since = dt.date.fromisoformat(date_range["startDate"])
            until = dt.date.fromisoformat(date_range["endDate"])
        except (KeyError, ValueError):
            raise _invalid(
                "This sandbox serves exactly one date range with startDate and endDate as YYYY-MM-DD."
            ) from None
        limit = min(int(body.get("limit") or DEFAULT_LIMIT), MAX_LIMIT)
        offset = int(body.get("offset") or 0)

        # The first page of a report is a new sync; later pages read the same figures.
        restatements = self.sandbox.restatements_for_new_report() if offset == 0 else self.sandbox.restatements
        rows = self._rows(
            property_id,
            since,
            until,
            dimensions,
            metrics,
            restatements,
            by_event,
            dimension_filter,
            body.get("keepEmptyRows", False),
        )
        page = rows[offset : offset + limit]
        flags = self._metadata_flags(since, until, by_event)
        thresholded = 1 if flags.get("subjectToThresholding") else 0
        with self._lock:
            cost = 10 + len(page) // 100
            self._tokens_used += cost
            self._thresholded_requests += thresholded
            own, elsewhere, thresholded_so_far = (
                self._tokens_used,
                self._tokens_used_elsewhere,
                self._thresholded_requests,
            )
            self.reports_served += 1
        payload = {
            "dimensionHeaders": [{"name": n} for n in dimensions],
            "metricHeaders": [{"name": n, "type": METRIC_TYPES[n]} for n in metrics],
            "rows": page,
            "rowCount": len(rows),
            "metadata": {
                "currencyCode": self.advertiser.ga4_property.currency,
                "timeZone": self.advertiser.ga4_property.timezone,
                **flags,
            },
            "kind": "analyticsData#runReport",
        }
        if not page:
            del payload["rows"]
        if not rows:
            del payload["rowCount"]  # proto3 JSON leaves out zero values
        if body.get("returnPropertyQuota"):
            # QuotaStatus: "consumed: Quota consumed by this request. remaining: Quota remaining after
            # this request." (https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/PropertyQuota)
            payload["propertyQuota"] = {
                "tokensPerDay": {"consumed": cost, "remaining": max(0, TOKENS_PER_DAY - own - elsewhere)},
                "tokensPerHour": {"consumed": cost, "remaining": max(0, TOKENS_PER_HOUR - own - elsewhere)},
                "concurrentRequests": {"consumed": 0, "remaining": 10},
                "serverErrorsPerProjectPerHour": {"consumed": 0, "remaining": 10},
                "potentiallyThresholdedRequestsPerHour": {
                    "consumed": thresholded,
                    "remaining": max(0, POTENTIALLY_THRESHOLDED_REQUESTS_PER_HOUR - thresholded_so_far),
                },
                "tokensPerProjectPerHour": {"consumed": cost, "remaining": max(0, TOKENS_PER_PROJECT_PER_HOUR - own)},
            }
        return payload

    def _rows(
        self, property_id, since, until, dimensions, metrics, restatements, by_event, dimension_filter, keep_empty_rows
    ) -> list[dict]:
        """The advertiser's traffic (or, by event, each traffic row's key events by name) that the
        filter keeps, grouped by the requested dimensions, sorted like GA4 pages it."""
        grouped: dict[tuple, list[float]] = {}
        day = since
        while day <= until:
            for source_row in ga4_rows(self.advertiser, day, restatements, property_id):
                values = dict(
                    source_row,
                    date=day.strftime("%Y%m%d"),
                    sessionSourceMedium=f"{source_row['sessionSource']} / {source_row['sessionMedium']}",
                )
                for fact in [dict(values, **event) for event in source_row["events"]] if by_event else [values]:
                    if dimension_filter and not _matches(dimension_filter, fact):
                        continue
                    key = tuple(fact[name] for name in dimensions)
                    sums = grouped.setdefault(key, [0.0] * len(metrics))
                    for index, name in enumerate(metrics):
                        sums[index] += float(fact[name])
            day += dt.timedelta(days=1)
        if not keep_empty_rows:
            # "If false or unspecified, each row with all metrics equal to 0 will not be returned"
            # (RunReportRequest.keepEmptyRows, runReport reference above).
            grouped = {key: sums for key, sums in grouped.items() if any(sums)}
        rows = []
        for position, (key, sums) in enumerate(sorted(grouped.items())):
            rows.append(
                {
                    "dimensionValues": [{"value": value} for value in key],
                    "metricValues": [
                        {"value": _wire_number(name, value, position)} for name, value in zip(metrics, sums)
                    ],
                }
            )
        return rows


def _wire_number(name: str, value: float, position: int) -> str:
    if METRIC_TYPES[name] == "TYPE_INTEGER":
        # GA4 sometimes writes integer metrics with a decimal point; parsers must cope.
        return f"{int(value)}.0" if position % 7 == 3 else str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


# What the sandbox server mounts for this platform (connectors/sandbox/server.py).
API = Ga4DataApi

"""The GA4 Data API (v1beta runReport) in the REST JSON the official client's REST transport parses.

Served: POST /v1beta/properties/{id}:runReport with dateRanges, dimensions, metrics, limit,
offset, returnPropertyQuota, keepEmptyRows and a dimensionFilter (string and in-list filters in
and/or/not groups). Faithful details: every value is a string, positionally under
dimensionHeaders/metricHeaders; some integer metrics come as "12.0"; rowCount is the total
before paging; rows whose metrics are all zero are left out; metadata carries currencyCode and
timeZone; errors use Google's JSON error shape with the gRPC status name. A request that asks by
event (eventName or isKeyEvent, as a dimension or in the filter) reads each row's key events by
name: the sandbox knows key events only, so it answers such requests for keyEvents and eventValue
and refuses other metrics.

Fault kinds (``sandbox.faults.arm("ga4", kind, ...)``): ``concurrent_quota``, ``hourly_quota``,
``project_hourly_quota``, ``daily_quota`` (each the RESOURCE_EXHAUSTED message GA4 sends),
``unavailable``, ``internal``, ``unauthenticated``, ``permission_denied``.

The rows are GA4's view of the advertiser's day (``ga4_figures.py``); ``environment()`` holds the
settings that point the GA4 connector here.
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

QUOTA_MESSAGES = {
    "concurrent_quota": "Exhausted concurrent requests quota.",
    "hourly_quota": "Exhausted property tokens per hour.",
    "project_hourly_quota": "Exhausted property tokens for a project per hour.",
    "daily_quota": "Exhausted property tokens per day.",
}
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
        "GA4_PROPERTY_IDS": sandbox.advertiser.ga4_property.id,
        "GA4_API_URL": sandbox.base_url,
    }


def _google_error(status: int, status_name: str, message: str) -> Response:
    return Response.json(status, {"error": {"code": status, "message": message, "status": status_name}})


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
    wanted, match_type = fold(spec.get("value", "")), spec.get("matchType", "EXACT")
    match_type = MATCH_TYPES.get(match_type, match_type)
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
        self._tokens_used = 0
        self._lock = threading.Lock()
        self.reports_served = 0

    def routes(self):
        return [("POST", re.compile(r"^/v1beta/properties/(\d+):runReport$"), self.run_report)]

    def _fault(self, property_id: str):
        faults = self.sandbox.faults
        for kind, (status, name, message) in OTHER_FAULTS.items():
            if faults.take("ga4", kind):
                return _google_error(status, name, message)
        for kind, message in QUOTA_MESSAGES.items():
            if faults.take("ga4", kind):
                return _google_error(429, "RESOURCE_EXHAUSTED", message)
        if property_id != self.advertiser.ga4_property.id:
            return _google_error(403, "PERMISSION_DENIED", OTHER_FAULTS["permission_denied"][2])
        return None

    def run_report(self, request, match):
        property_id = match.group(1)
        refusal = self._fault(property_id)
        if refusal:
            return refusal
        body = json.loads(request.body or b"{}")
        dimensions = [d["name"] for d in body.get("dimensions", [])]
        metrics = [m["name"] for m in body.get("metrics", [])]
        if len(dimensions) > 9 or len(metrics) > 10 or not metrics:
            return _google_error(
                400, "INVALID_ARGUMENT", "A request may have at most 9 dimensions and between 1 and 10 metrics."
            )
        unknown = [n for n in dimensions if n not in DIMENSION_NAMES] + [n for n in metrics if n not in METRIC_TYPES]
        if unknown:
            return _google_error(400, "INVALID_ARGUMENT", str(_unknown_field(unknown[0])))
        dimension_filter = body.get("dimensionFilter")
        try:
            filtered_on = _filter_fields(dimension_filter) if dimension_filter else []
        except _Refused as refusal:
            return _google_error(400, "INVALID_ARGUMENT", str(refusal))
        if body.get("metricFilter"):
            return _google_error(400, "INVALID_ARGUMENT", "This sandbox does not serve metricFilter.")
        by_event = bool(EVENT_DIMENSIONS & {*dimensions, *filtered_on})
        if by_event and not set(metrics) <= EVENT_METRICS:
            return _google_error(
                400,
                "INVALID_ARGUMENT",
                f"This sandbox splits only {sorted(EVENT_METRICS)} by event (eventName, isKeyEvent); it knows no other events.",
            )
        try:
            [date_range] = body["dateRanges"]
            since = dt.date.fromisoformat(date_range["startDate"])
            until = dt.date.fromisoformat(date_range["endDate"])
        except (KeyError, ValueError):
            return _google_error(
                400,
                "INVALID_ARGUMENT",
                "This sandbox serves exactly one date range with startDate and endDate as YYYY-MM-DD.",
            )
        limit = min(int(body.get("limit") or DEFAULT_LIMIT), MAX_LIMIT)
        offset = int(body.get("offset") or 0)

        # The first page of a report is a new sync; later pages read the same figures.
        restatements = self.sandbox.restatements_for_new_report() if offset == 0 else self.sandbox.restatements
        rows = self._rows(
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
        with self._lock:
            cost = 10 + len(page) // 100
            self._tokens_used += cost
            used = self._tokens_used
            self.reports_served += 1
        payload = {
            "dimensionHeaders": [{"name": n} for n in dimensions],
            "metricHeaders": [{"name": n, "type": METRIC_TYPES[n]} for n in metrics],
            "rows": page,
            "rowCount": len(rows),
            "metadata": {
                "currencyCode": self.advertiser.ga4_property.currency,
                "timeZone": self.advertiser.ga4_property.timezone,
            },
            "kind": "analyticsData#runReport",
        }
        if not page:
            del payload["rows"]
        if not rows:
            del payload["rowCount"]  # proto3 JSON leaves out zero values
        if body.get("returnPropertyQuota"):
            payload["propertyQuota"] = {
                "tokensPerDay": {"consumed": cost, "remaining": max(0, TOKENS_PER_DAY - used)},
                "tokensPerHour": {"consumed": cost, "remaining": max(0, TOKENS_PER_HOUR - used)},
                "concurrentRequests": {"consumed": 0, "remaining": 10},
                "serverErrorsPerProjectPerHour": {"consumed": 0, "remaining": 10},
                "potentiallyThresholdedRequestsPerHour": {"consumed": 0, "remaining": 120},
                "tokensPerProjectPerHour": {"consumed": cost, "remaining": max(0, TOKENS_PER_PROJECT_PER_HOUR - used)},
            }
        return Response.json(200, payload)

    def _rows(
        self, since, until, dimensions, metrics, restatements, by_event, dimension_filter, keep_empty_rows
    ) -> list[dict]:
        """The advertiser's traffic (or, by event, each traffic row's key events by name) that the
        filter keeps, grouped by the requested dimensions, sorted like GA4 pages it."""
        grouped: dict[tuple, list[float]] = {}
        day = since
        while day <= until:
            for source_row in ga4_rows(self.advertiser, day, restatements):
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
                        sums[index] += fact[name]
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

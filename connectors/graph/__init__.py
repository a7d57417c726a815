"""What every Graph API client knows of Graph's answers, whatever it reads: the error codes sorted by what to
do about them, and the usage headers that say how long a throttle lasts. The ad connector (meta_ads/client.py) and
the organic Pages and Instagram client (graph/organic.py) both read them from here.

Error codes from Meta's error reference (developers.facebook.com/docs/marketing-api/error-reference) and the
Graph error-handling guide (developers.facebook.com/docs/graph-api/guides/error-handling).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from facebook_business.api import FacebookAdsApi
from facebook_business.session import FacebookSession

# Throttles: 4 the app, 17 the user, 32 a Page (platform rate limits), 341 and 613 custom limits, and 80000-80014
# the Business Use Case limits, one code per use case: 80001 Pages, 80002 Instagram, 80000 ads insights, 80004 ads
# management... ("Error codes", developers.facebook.com/docs/graph-api/overview/rate-limiting).
THROTTLE_CODES = {4, 17, 32, 341, 613, *range(80000, 80015)}
TRANSIENT_CODES = {1, 2}
EXPIRED_TOKEN_CODE = 190
PERMISSION_CODES = {10, *range(200, 300)}
# "Viewer doesn't have permission to perform this action": "You do not have permission to perform this task.
# Contact an admin of the Page to request access" (code 1 with subcode 2853006, developers.facebook.com/
# documentation/pages-api/error-codes). The token's user lacks the task on the Page the read needs (ANALYZE for
# insights): code 1 as an unknown error has, but not transient, and never retried.
MISSING_PAGE_TASK = (1, 2853006)

BUSINESS_USE_CASE_USAGE = "x-business-use-case-usage"

# "Batch requests are limited to 50 requests per batch. Each call within the batch is counted separately for the
# purposes of calculating API call limits" (developers.facebook.com/docs/graph-api/batch-requests, "Limitations").
MAX_REQUESTS_PER_BATCH = 50


def graph_api(access_token: str | None, graph_url: str, timeout: float = 120) -> FacebookAdsApi:
    """One SDK session on `graph_url` with `access_token`, calling the Graph version this facebook-business release
    is made for: not the SDK's global default, so that every client (and every token) stays independent."""
    session = FacebookSession(access_token=access_token, timeout=timeout)
    # The SDK's documented base-URL attribute; untyped, so pyright takes its default's literal for its type.
    session.GRAPH = graph_url  # pyright: ignore[reportAttributeAccessIssue]
    return FacebookAdsApi(session, api_version=FacebookAdsApi.API_VERSION)


def json_header(headers: Mapping[str, str], name: str) -> dict:
    """A usage header's JSON object ({} when absent or unreadable); `name` in lower case, matched in any case."""
    value = next((v for k, v in headers.items() if k.lower() == name), None)
    try:
        parsed = json.loads(value) if value else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def regain_seconds_by_business(headers: Mapping[str, str]) -> dict[str, float]:
    """Business object id → seconds until it may call again, as `X-Business-Use-Case-Usage` says.

    The header maps each business object a call counted against (an ad account, a Page, an Instagram account; one
    call can count against several, e.g. an Instagram account and its business) to its use cases, each with
    `estimated_time_to_regain_access` "in minutes" (developers.facebook.com/docs/graph-api/overview/rate-limiting,
    "Business Use Case Rate Limits", headers; the shape {"<id>": [{"type": "pages", "call_count", ...}]} is the one
    sns-sdks/python-facebook tests, tests/test_ratelimit.py). An id whose use cases all say 0 is not throttled and
    is left out.
    """
    waits: dict[str, float] = {}
    for business_id, use_cases in json_header(headers, BUSINESS_USE_CASE_USAGE).items():
        minutes = []
        for use_case in use_cases if isinstance(use_cases, list) else []:
            try:
                minutes.append(float(use_case.get("estimated_time_to_regain_access") or 0))
            except (AttributeError, TypeError, ValueError):
                continue
        if max(minutes, default=0.0) > 0:
            waits[str(business_id)] = max(minutes) * 60
    return waits

"""Facebook Page insights on the Graph API, as the official facebook-business SDK's ``Page.get_insights`` calls it.

Served: ``GET /{version}/{page_id}/insights?metric=...&period=day&since=...&until=...`` for the advertiser's
Pages (``organic_figures.py``). The answer has Meta's shape: one entry per metric,
``{"name", "period", "values": [{"value", "end_time"}], "title", "description", "id"}``, and time-based
``paging`` (``previous`` / ``next`` URLs for the neighbouring ranges, no cursors).

Faithful details (developers.facebook.com/documentation/pages-api/platforminsights/page, "Limitations", and the
Page Insights reference developers.facebook.com/docs/graph-api/reference/insights): a daily value's ``end_time``
is the END of its day, midnight of the next day in the Page's reporting zone written in UTC ("if you set
``since`` to January 1, 2018, the ``end_time`` will be January 2, 2018 at 8:00 GMT"), so ``since`` is the first
day served and ``until`` the first day NOT served; at most 90 days per request (Meta refuses more than 93 days
between since and until); a retired metric anywhere in ``metric`` fails the whole request with
"(#100) The value must be a valid insights metric" (the deprecated-metrics list,
developers.facebook.com/docs/platforminsights/page/deprecated-metrics/; github.com/airbytehq/airbyte/pull/84408).

Fault kinds (``sandbox.faults.arm("facebook_pages", kind, ...)``): ``retired_metric`` (metric=<a current metric
name>: Meta retires it, as it does a few each year) and ``page_permission_denied`` (page=<page id>, or every Page
without it: the Page token lacks ``read_insights`` / ``pages_read_engagement``; code 10). Arm them with
``times=None`` to keep them for the whole test.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
import zoneinfo

from connectors.sandbox.http import Response
from connectors.sandbox.meta_graph import VERSION, _graph_error
from connectors.sandbox.organic_figures import FacebookPage, PageDay, facebook_page, facebook_pages, page_days

FAULT_PLATFORM = "facebook_pages"
SANDBOX_PAGE_TOKEN = "sandbox-page-token"
MAX_RANGE_DAYS = 93
# The current metrics the sandbox serves, and what each is of a Page's day.
METRICS = {
    "page_follows": ("follows_total", "Lifetime Follows", "The number of people who follow your Page."),
    "page_daily_follows": ("follows", "Daily Follows", "The number of follows of your Page."),
    "page_daily_follows_unique": ("follows", "Daily Unique Follows", "The number of people who followed your Page."),
    "page_daily_unfollows_unique": ("unfollows", "Daily Unfollows", "The number of people who unfollowed your Page."),
    "page_media_view": ("media_views", "Daily Media Views", "The number of times your content was played or shown."),
    "page_total_media_view_unique": ("media_viewers", "Daily Media Viewers", "People who saw your content."),
    "page_post_engagements": ("post_engagements", "Daily Post Engagements", "Interactions with your posts."),
    "page_views_total": ("page_views", "Daily Page Views", "The number of times your Page's profile was viewed."),
}
# Retired in 2025-2026: asked for, they fail the request (the deprecated-metrics list above).
RETIRED_METRICS = {
    "page_fans",
    "page_fan_adds",
    "page_fan_adds_unique",
    "page_fan_removes",
    "page_fan_removes_unique",
    "page_impressions",
    "page_impressions_unique",
    "page_impressions_paid",
    "page_impressions_organic_unique",
    "page_impressions_viral",
    "page_engaged_users",
}


def environment(sandbox) -> dict[str, str]:
    """The settings that point the Facebook Pages connector at this sandbox: every Page, with a Page token."""
    return {
        "META_PAGE_IDS": ",".join(page.id for page in facebook_pages(sandbox.advertiser)),
        "META_PAGE_ACCESS_TOKEN": SANDBOX_PAGE_TOKEN,
        "META_GRAPH_URL": sandbox.base_url,
    }


class FacebookPagesApi:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.advertiser = sandbox.advertiser
        # Every insights request: (page id, metrics asked for).
        self.requests: list[tuple[str, list[str]]] = []

    def routes(self):
        # Only the advertiser's Page ids: the Meta module serves /{report_run_id}/insights on the same shape of path.
        ids = "|".join(page.id for page in facebook_pages(self.advertiser))
        return [("GET", re.compile(rf"^/{VERSION}/({ids})/insights$"), self.page_insights)]

    def page_insights(self, request, match):
        page = facebook_page(self.advertiser, match.group(1))
        metrics = [name for name in (request.param("metric") or "").strip("[]").replace('"', "").split(",") if name]
        self.requests.append((page.id, metrics))
        token = request.param("access_token")
        if token != SANDBOX_PAGE_TOKEN:
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if self._permission_denied(page.id):
            return _graph_error(
                400,
                "(#10) This endpoint requires the 'read_insights' permission or the 'pages_read_engagement' permission.",
                10,
            )
        retired = self._retired_now()
        if not metrics or any(name in retired or name not in METRICS for name in metrics):
            return _graph_error(400, "(#100) The value must be a valid insights metric", 100)
        if request.param("period", "day") != "day":
            return _graph_error(400, "(#100) The sandbox serves period=day only", 100)
        try:
            since, until = _day(request.param("since"), page), _day(request.param("until"), page)
        except ValueError:
            return _graph_error(400, "(#100) since and until must be dates or unix timestamps", 100)
        if until <= since or (until - since).days > MAX_RANGE_DAYS:
            return _graph_error(
                400, f"(#100) There cannot be more than {MAX_RANGE_DAYS} days between since and until", 100
            )
        days = page_days(self.advertiser, page, since, until - dt.timedelta(days=1))
        data = [
            {
                "name": name,
                "period": "day",
                "values": [{"value": getattr(day, METRICS[name][0]), "end_time": _end_time(day)} for day in days],
                "title": METRICS[name][1],
                "description": METRICS[name][2],
                "id": f"{page.id}/insights/{name}/day",
            }
            for name in metrics
        ]
        return Response.json(200, {"data": data, "paging": _paging(request, since, until)})

    def _permission_denied(self, page_id: str) -> bool:
        faults = self.sandbox.faults
        fault = faults.take(FAULT_PLATFORM, "page_permission_denied")
        if fault is None or fault.options.get("page") in (None, page_id):
            return fault is not None
        if fault.remaining is not None:  # meant for another Page: give the use back
            if fault.remaining > 0:
                fault.remaining += 1
            else:
                faults.arm(FAULT_PLATFORM, "page_permission_denied", times=1, **fault.options)
        return False

    def _retired_now(self) -> set[str]:
        fault = self.sandbox.faults.take(FAULT_PLATFORM, "retired_metric")
        return RETIRED_METRICS | ({fault.options.get("metric", "page_views_total")} if fault else set())


def _day(value: str | None, page: FacebookPage) -> dt.date:
    """A since/until as Graph takes them: a date, or a unix timestamp read in the Page's reporting zone."""
    if value is None:
        raise ValueError("missing")
    if value.isdigit():
        return dt.datetime.fromtimestamp(int(value), zoneinfo.ZoneInfo(page.timezone)).date()
    return dt.date.fromisoformat(value[:10])


def _end_time(day: PageDay) -> str:
    """The end of the day (midnight starting the next) in the Page's reporting zone, written in UTC."""
    midnight = dt.datetime.combine(day.day + dt.timedelta(days=1), dt.time(), zoneinfo.ZoneInfo(day.page.timezone))
    return midnight.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _paging(request, since: dt.date, until: dt.date) -> dict:
    """Time-based paging as Graph gives it for insights: the ranges just before and just after this one."""
    span = until - since
    query = {k: v for k, v in request.query.items() if k != "access_token"}

    def url(start: dt.date, end: dt.date) -> str:
        return f"{request.base_url}{request.path}?{urllib.parse.urlencode({**query, 'since': start.isoformat(), 'until': end.isoformat()})}"

    return {"previous": url(since - span, since), "next": url(until, until + span)}

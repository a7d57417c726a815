"""Facebook Page insights on the Graph API, as the official facebook-business SDK's ``Page.get_insights`` calls it.

Served, for the advertiser's Pages (``organic_figures.py``): ``GET /{version}/{page_id}/insights?metric=...&period=day
&since=...&until=...``, the Page node ``GET /{version}/{page_id}?fields=followers_count`` and its posts with their
lifetime figures, ``GET /{version}/{page_id}/published_posts?fields=...,insights.metric(...)&since=...&until=...``. The answer has Meta's shape: one entry per metric,
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

from connectors.sandbox.graph_usage import business_throttle
from connectors.sandbox.http import Response
from connectors.sandbox.meta_graph import VERSION, _graph_error, graph_link
from connectors.sandbox.organic_figures import (
    FacebookPage,
    PageDay,
    PagePost,
    current_followers,
    facebook_page,
    facebook_pages,
    page_days,
    page_posts,
)

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
# The post metrics served (lifetime), and what each is of a post: post_impressions* gave way to the media-view
# metrics in 2025 (the deprecated-metrics list above).
POST_METRICS = {
    "post_media_view": ("views", "Lifetime Media Views", "The number of times your post was played or shown."),
    "post_total_media_view_unique": ("viewers", "Lifetime Media Viewers", "People who saw your post."),
    "post_clicks_by_type": ("link_clicks", "Lifetime Post Clicks by Type", "Clicks on your post, by type."),
}
# Graph's default page size for edges ("limit": developers.facebook.com/docs/graph-api/results, "Cursor-based
# Pagination").
DEFAULT_LIMIT = 25
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
    "post_impressions",
    "post_impressions_unique",
    "post_impressions_organic",
    "post_engaged_users",
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
        return [
            ("GET", re.compile(rf"^/{VERSION}/({ids})/insights$"), self.page_insights),
            ("GET", re.compile(rf"^/{VERSION}/({ids})/published_posts$"), self.published_posts),
            ("GET", re.compile(rf"^/{VERSION}/({ids})$"), self.page_node),
        ]

    def _refusal(self, request, page: FacebookPage) -> Response | None:
        """The token and permission checks every Page read passes first."""
        if request.param("access_token") != SANDBOX_PAGE_TOKEN:
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if (throttled := business_throttle(self.sandbox, FAULT_PLATFORM, page.id)) is not None:
            return throttled
        if self._permission_denied(page.id):
            return _graph_error(
                400,
                "(#10) This endpoint requires the 'read_insights' permission or the 'pages_read_engagement' permission.",
                10,
            )
        return None

    def page_node(self, request, match):
        """The Page node with the fields asked for (followers_count: "The number of followers of the Page",
        developers.facebook.com/docs/graph-api/reference/page/); Graph always adds the id."""
        page = facebook_page(self.advertiser, match.group(1))
        self.requests.append((page.id, ["node"]))
        if (refused := self._refusal(request, page)) is not None:
            return refused
        fields = {"followers_count": current_followers(self.advertiser, page), "name": page.name}
        wanted = [name for name in (request.param("fields") or "").split(",") if name]
        return Response.json(200, {**{name: fields[name] for name in wanted if name in fields}, "id": page.id})

    def published_posts(self, request, match):
        """The Page's posts, newest first, with the fields asked for and the lifetime insights asked for through
        field expansion (``insights.metric(...)``: developers.facebook.com/docs/graph-api/reference/insights,
        "Field expansion"). ``since``/``until`` bound the posts' created_time (time-based pagination,
        developers.facebook.com/docs/graph-api/results); the pages themselves are cursor-paged with ``after``.
        A count nobody added to is left out, as Graph leaves out ``shares`` of a post never shared."""
        page = facebook_page(self.advertiser, match.group(1))
        fields = _top_level_fields(request.param("fields") or "id")
        insights = next((field for field in fields if field.startswith("insights")), "")
        metrics = re.findall(r"[a-z_]+", insights.partition(".metric(")[2])
        self.requests.append((page.id, ["published_posts", *metrics]))
        if (refused := self._refusal(request, page)) is not None:
            return refused
        if any(name in self._retired_now() or name not in POST_METRICS for name in metrics):
            return _graph_error(400, "(#100) The value must be a valid insights metric", 100)
        try:
            since = _instant(request.param("since") or "1970-01-01")
            until = _instant(request.param("until") or self.advertiser.today.isoformat())
            offset = int(request.param("after") or "0", 16)
        except ValueError:
            return _graph_error(400, "(#100) since, until and after must be dates, unix timestamps or cursors", 100)
        listed = page_posts(self.advertiser, page, since.date(), until.date(), self.sandbox.restatements)
        posts = [post for post in listed if since <= post.published_at < until]
        limit = int(request.param("limit") or DEFAULT_LIMIT)
        chosen = posts[offset : offset + limit]
        data = [_post(post, fields, metrics, request) for post in chosen]
        paging = {"cursors": {"before": format(offset, "x"), "after": format(offset + len(chosen), "x")}}
        if offset + limit < len(posts):
            query = {k: v for k, v in request.query.items() if k != "access_token"}
            query["after"] = paging["cursors"]["after"]
            paging["next"] = f"{request.base_url}{request.path}?{urllib.parse.urlencode(query)}"
        return Response.json(200, {"data": data, "paging": paging})

    def page_insights(self, request, match):
        page = facebook_page(self.advertiser, match.group(1))
        metrics = [name for name in (request.param("metric") or "").strip("[]").replace('"', "").split(",") if name]
        self.requests.append((page.id, metrics))
        if (refused := self._refusal(request, page)) is not None:
            return refused
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
        return self.sandbox.faults.take_for(FAULT_PLATFORM, "page_permission_denied", "page", page_id) is not None

    def _retired_now(self) -> set[str]:
        fault = self.sandbox.faults.take(FAULT_PLATFORM, "retired_metric")
        return RETIRED_METRICS | ({fault.options.get("metric", "page_views_total")} if fault else set())


def _instant(value: str) -> dt.datetime:
    """A since/until bounding posts' created_time: a unix timestamp, or a date read as its UTC midnight."""
    if value.isdigit():
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    return dt.datetime.combine(dt.date.fromisoformat(value[:10]), dt.time(), dt.UTC)


def _top_level_fields(fields: str) -> list[str]:
    """`a,b.summary(total_count).limit(0),insights.metric(x,y)` → its top-level fields, commas in brackets kept."""
    parts, depth, current = [], 0, ""
    for char in fields:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [part.strip() for part in [*parts, current] if part.strip()]


def _post(post: PagePost, fields: list[str], metrics: list[str], request) -> dict:
    """A Page post as Graph writes it, with only the fields asked for."""
    body: dict = {"id": post.id}
    for field in fields:
        name = field.split(".")[0]
        if name == "created_time":
            body[name] = post.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000")
        elif name == "permalink_url":
            body[name] = post.permalink
        elif name == "message":
            body[name] = post.message
        elif name == "shares" and post.shares:
            body[name] = {"count": post.shares}
        elif name in ("reactions", "comments"):
            body[name] = {"data": [], "summary": {"total_count": getattr(post, name)}}
        elif name == "insights":
            body[name] = {
                "data": [_post_metric(post, metric) for metric in metrics],
                "paging": _edge_paging(post, metrics, request),
            }
    return body


def _edge_paging(post: PagePost, metrics: list[str], request) -> dict:
    """The paging of a post's insights edge, as Graph nests it in the post: the day before and after the post's
    as time ranges, the Page token in both links (graph_link)."""
    published = int(post.published_at.timestamp())
    day = 24 * 3600

    def link(since: int, until: int) -> str:
        return graph_link(
            request, {"metric": ",".join(metrics), "since": str(since), "until": str(until)}, f"{post.id}/insights"
        )

    return {"previous": link(published - day, published), "next": link(published + day, published + 2 * day)}


def _post_metric(post: PagePost, metric: str) -> dict:
    attribute, title, description = POST_METRICS[metric]
    value = getattr(post, attribute)
    if metric == "post_clicks_by_type":  # a breakdown by click type, "link clicks" among them
        value = {"link clicks": value, "other clicks": value // 3} if value else {}
    return {
        "name": metric,
        "period": "lifetime",
        "values": [{"value": value}],
        "title": title,
        "description": description,
        "id": f"{post.id}/insights/{metric}/lifetime",
    }


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

    def url(start: dt.date, end: dt.date) -> str:
        return graph_link(request, {**request.query, "since": start.isoformat(), "until": end.isoformat()})

    return {"previous": url(since - span, since), "next": url(until, until + span)}

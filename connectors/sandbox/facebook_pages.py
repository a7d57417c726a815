"""Facebook Page insights on the Graph API, as the official facebook-business SDK's ``Page.get_insights`` calls it.

Served, for the advertiser's Pages (``organic_figures.py``): ``GET /{version}/{page_id}/insights?metric=...&period=day
&since=...&until=...``, the Page node ``GET /{version}/{page_id}?fields=followers_count`` and its posts with their
lifetime figures, ``GET /{version}/{page_id}/published_posts?fields=...,insights.metric(...)&since=...&until=...``,
and a video's or Reel's lifetime figures, ``GET /{version}/{video_id}/video_insights?metric=...``. The answer has
Meta's shape: one entry per metric, ``{"name", "period", "values": [{"value", "end_time"}], "title",
"description", "id"}``, and time-based ``paging`` (``previous`` / ``next`` URLs for the neighbouring ranges, no
cursors).

Posts page by time as well, as in Meta's own examples ("Time-based Pagination", developers.facebook.com/docs/
graph-api/results: ``paging.next`` carries ``until`` and a ``__paging_token``, no ``cursors``; "If not included,
this is the last page of data"): a full page has a ``next``, the page after the last post is empty and has none.
Every ``paging`` link carries the request's ``access_token``, as real Graph's do (the reproduction in issue #21).

Videos and Reels have no figures on the post's insights (their ``insights`` come back empty, issue #21): their
figures are on the video's ``video_insights`` edge (developers.facebook.com/docs/video-api/guides/insights:
``total_video_views``, ``total_video_views_unique``; Reels: ``blue_reels_play_count``, "Introducing Reels metrics
API", developers.facebook.com/blog/post/2022/12/15/introducing-reels-metrics-api/). A post's ``attachments``
(``media_type`` "video", ``target`` {``id``, ``url``}, developers.facebook.com/docs/graph-api/reference/
story-attachment/) name its video; a Reel's url is facebook.com/reel/<id>.

Meta keeps Page insights for two years ("Only the last two years of insights data is available", Page Insights
reference); an older range answers an empty ``data``, not an error.

Faithful details (developers.facebook.com/documentation/pages-api/platforminsights/page, "Limitations", and the
Page Insights reference developers.facebook.com/docs/graph-api/reference/insights): a daily value's ``end_time``
is the END of its day, midnight of the next day in the Page's reporting zone written in UTC ("if you set
``since`` to January 1, 2018, the ``end_time`` will be January 2, 2018 at 8:00 GMT"), so ``since`` is the first
day served and ``until`` the first day NOT served; at most 90 days per request (Meta refuses more than 93 days
between since and until); a retired metric anywhere in ``metric`` fails the whole request with
"(#100) The value must be a valid insights metric" (the deprecated-metrics list,
developers.facebook.com/docs/platforminsights/page/deprecated-metrics/; github.com/airbytehq/airbyte/pull/84408).

Tokens, as Meta documents them: Page insights need "a Page access token requested by a person who can perform the
ANALYZE task on the Page" (developers.facebook.com/docs/platforminsights/page; "As of February 5, 2018 all metrics
require a page access token of the page of which the insights are being queried", quoted in bufferapp/facebook-
api-wrapper#11). So every Page read here (insights, published_posts, video_insights, the Page node's fields) takes
that Page's own Page token only; any other token the sandbox issued (the system user's, a user's, another Page's)
is refused with HTTP 400 {"error": {"message": "(#190) This method must be called with a Page Access Token", "type":
"OAuthException", "code": 190, "fbtrace_id": ...}} (the whole body of a real refusal in halsandr/Facebook_Connector#1;
the same message in pablobarbera/Rfacebook#174 and facebook/facebook-php-business-sdk#428). A Page token comes from
``GET /{page_id}?fields=access_token`` or ``/me/accounts?fields=access_token,...`` with the token of a user (or
system user) holding the Page ("It's just a simple call to /{page-id}?fields=access_token", facebook/facebook-java-
business-sdk#21; developers.facebook.com/docs/pages/access-tokens); the field is "Only returned if the User making
the request has a role (other than Live Contributor) on the Page" (Page reference, developers.facebook.com/docs/
graph-api/reference/page/), so a token whose user holds no role on the Page gets the node without it. Asked with
the Page's own token, the field answers that same token (the sandbox's choice: Meta does not document it). With a
Page token, ``/me`` is the Page and ``/me/accounts`` fails "(#100) Tried accessing nonexisting field (accounts) on
node type (Page)" (spring-projects/spring-social-facebook#163, sns-sdks/python-facebook#219). ``page_token_reads``
counts the tokens handed out per Page. debug_token says of a Page token "type": "PAGE" with the Page as its
"profile_id" (meta_ads.py, token_info).

Fault kinds (``sandbox.faults.arm("facebook_pages", kind, ...)``): ``retired_metric`` (metric=<a current metric
name>: Meta retires it, as it does a few each year) and ``page_permission_denied`` (page=<page id>, or every Page
without it: the Page token lacks ``read_insights`` / ``pages_read_engagement``; code 10) and ``repeated_next``
(a posts page whose ``next`` names that same page, as paging APIs have been seen to answer: microsoftgraph/
microsoft-graph-docs issue #4897; Meta documents no such answer) and ``page_token_refused`` (page=<page id>, or
every Page: ``?fields=access_token`` is refused with code 10, as for a token without pages_read_engagement). Arm
them with
``times=None`` to keep them for the whole test.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import threading
import urllib.parse
import zoneinfo

from connectors.graph import MISSING_PAGE_TASK
from connectors.sandbox.graph_usage import business_throttle
from connectors.sandbox.http import Response
from connectors.sandbox.instagram_figures import InstagramAccount, instagram_accounts
from connectors.sandbox.meta_ads import VERSION, _graph_error, _unknown_object, graph_link, listing_page
from connectors.sandbox.organic_figures import (
    HISTORY_DAYS,
    FacebookPage,
    PageDay,
    PagePost,
    current_followers,
    facebook_pages,
    page_days,
    page_posts,
)

FAULT_PLATFORM = "facebook_pages"
# Meta's Page tokens, like its user tokens, are alphanumeric in practice (`EAA…` in Graph's paging links and in
# Meta's samples; Meta documents no alphabet), so this one is written the same as is, percent-encoded and
# JSON-escaped: the encodings of a secret are exercised by LinkedIn's (linkedin_ads.py) and the SMTP password.
SANDBOX_PAGE_TOKEN = "sandbox-page-token"
# What the system user's token answers for a Page's `access_token` (page_token): a token of the Page itself, not a
# string that contains SANDBOX_PAGE_TOKEN (a test finding one would then prove nothing).
PAGE_TOKEN_PREFIX = "sandbox-token-of-page-"
MAX_RANGE_DAYS = 93
# What the system user may do on each of the advertiser's Pages: every task (the Page tasks of /me/accounts,
# developers.facebook.com/docs/pages-api/manage-pages: "the tasks you can perform on each page").
ALL_TASKS = ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]
# One more Page the system user holds, without ANALYZE: it may advertise and post for it, not read its insights.
# It is listed by /me/accounts only; no setting of the sandbox names it and it has no figures, so every sync and
# total stays as it is. Its insights are refused as Meta refuses a viewer without the task (MISSING_PAGE_TASK).
PAGE_WITHOUT_ANALYZE_ID = "111000000000001"  # above every id facebook_pages() draws (10**14 + < 10**13)
PAGE_WITHOUT_ANALYZE_TASKS = ["ADVERTISE", "MODERATE", "CREATE_CONTENT"]
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
# The video metrics served on video_insights (lifetime), and what each is of a video post.
VIDEO_METRICS = {
    "total_video_views": ("views", "Lifetime Total Video Views", "Times your video was viewed for 3 seconds or more."),
    "total_video_views_unique": ("viewers", "Lifetime Unique Video Views", "People who viewed your video."),
    "blue_reels_play_count": ("views", "Lifetime Reels Plays", "Times your reel started to play."),
    "post_impressions_unique": ("viewers", "Lifetime Post Reach", "People who saw your reel."),
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


def page_token(page_id: str) -> str:
    """The Page token of one Page: deterministic, so that a test can look for it in what the pipeline wrote."""
    return PAGE_TOKEN_PREFIX + hashlib.sha256(f"page-token:{page_id}".encode()).hexdigest()[:24]


PAGE_TOKEN_REFUSAL = "(#190) This method must be called with a Page Access Token"


def held_pages(advertiser) -> list[FacebookPage]:
    """Every Page the system user holds: the advertiser's, then the one without ANALYZE."""
    extra = FacebookPage(
        id=PAGE_WITHOUT_ANALYZE_ID,
        name=f"{advertiser.brand} Community",
        timezone="America/Los_Angeles",
        started_with_followers=1_200,
    )
    return [*facebook_pages(advertiser), extra]


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
        # Every Page token handed out, by Page id: how many times `?fields=access_token` or /me/accounts answered it.
        self.page_token_reads: dict[str, int] = {}
        # (today, restatements) → the history's posts by their video's id (_post_of_video)
        self._videos_lock = threading.Lock()
        self._videos_of_history: tuple[tuple | None, dict[str, PagePost]] = (None, {})

    def routes(self):
        # Only the advertiser's Page ids: the Meta module serves /{report_run_id}/insights on the same shape of path.
        ids = "|".join(page.id for page in self._held_pages())
        return [
            ("GET", re.compile(rf"^/{VERSION}/me/accounts$"), self.my_pages),
            ("GET", re.compile(rf"^/{VERSION}/me$"), self.me),
            ("GET", re.compile(rf"^/{VERSION}/({ids})/insights$"), self.page_insights),
            ("GET", re.compile(rf"^/{VERSION}/({ids})/published_posts$"), self.published_posts),
            ("GET", re.compile(rf"^/{VERSION}/({ids})$"), self.page_node),
            ("GET", re.compile(rf"^/{VERSION}/(\d{{16}})/video_insights$"), self.video_insights),
        ]

    def _held_pages(self) -> list[FacebookPage]:
        return held_pages(self.advertiser)

    def _page(self, page_id: str) -> FacebookPage:
        return next(page for page in self._held_pages() if page.id == page_id)

    def page_of_token(self, token: str | None) -> FacebookPage | None:
        """The held Page `token` is the Page token of, if any."""
        return next((page for page in self._held_pages() if token and token == page_token(page.id)), None)

    def _holds_pages(self, token: str | None) -> bool:
        """Whether `token`'s user is the system user assigned the Pages (SANDBOX_PAGE_TOKEN's)."""
        return token == SANDBOX_PAGE_TOKEN

    def _known_token(self, token: str | None) -> bool:
        """A token the sandbox issued: the Page-holding system user's, the Meta sandbox's, or a Page's."""
        return (
            token == SANDBOX_PAGE_TOKEN
            or token in self.sandbox.meta.valid_tokens
            or self.page_of_token(token) is not None
        )

    def me(self, request, _match):
        """`GET /me`: the token's node. With a Page token, the Page (fields as on the Page node); with a user's or
        system user's token, that user ({id, name})."""
        token = request.param("access_token")
        if (page := self.page_of_token(token)) is not None:
            wanted = [name for name in _top_level_fields(request.param("fields") or "name") if name != "access_token"]
            return Response.json(200, self._page_fields(page, wanted))
        if not self._known_token(token):
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        info = self.sandbox.meta.token_info(token) or {}
        return Response.json(200, {"name": "social-roi sandbox user", "id": info.get("user_id", "")})

    def _instagram_account(self, page: FacebookPage) -> InstagramAccount | None:
        """The Instagram professional account connected to the Page: the advertiser's n-th Page has its n-th account
        (both are one per Meta ad account); the Page without ANALYZE has none."""
        pages = facebook_pages(self.advertiser)
        ids = [held.id for held in pages]
        return instagram_accounts(self.advertiser)[ids.index(page.id)] if page.id in ids else None

    def my_pages(self, request, _match):
        """The Pages the token's user (or system user) holds: `GET /me/accounts` (developers.facebook.com/docs/
        pages-api/manage-pages: "a list of all Pages on which you can perform tasks, the tasks you can perform on
        each page, and a short-lived Page access token for each Page"; the SDK's `User.get_accounts`). Without
        `fields` each Page has Graph's defaults (access_token, category, category_list, name, id, tasks, the
        answer that guide shows); with them, the fields asked for and the id, so a Page token is sent only to a
        caller that asks for it. `instagram_business_account` is the connected Instagram professional account, its
        `id` or the subfields asked for in braces (`instagram_business_account{id,username,name}`, field
        expansion: developers.facebook.com/docs/graph-api/guides/field-expansion), absent for a Page with none.
        The sandbox's Page token is the system user's that holds the Pages; the ad token's system user holds none. A
        Page token has no `accounts` edge: its /me is a Page (see the module docstring)."""
        token = request.param("access_token")
        if self.page_of_token(token) is not None:
            return _graph_error(400, "(#100) Tried accessing nonexisting field (accounts) on node type (Page)", 100)
        if not self._known_token(token):
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        pages = self._held_pages() if self._holds_pages(token) else []
        asked = request.param("fields")
        fields = _top_level_fields(asked) if asked else ["access_token", "category", "category_list", "name", "tasks"]
        rows = [self._page_fields(page, fields) for page in pages]
        return listing_page(request, rows, self.sandbox.meta.listing_page_limit)

    def _page_fields(self, page: FacebookPage, fields: list[str]) -> dict:
        """A Page node with `fields` (top-level, expansions in braces kept) and its id."""
        body: dict = {}
        for field in fields:
            name, _, expansion = field.partition("{")
            if name == "name":
                body[name] = page.name
            elif name == "tasks":
                body[name] = PAGE_WITHOUT_ANALYZE_TASKS if page.id == PAGE_WITHOUT_ANALYZE_ID else ALL_TASKS
            elif name == "access_token":
                body[name] = page_token(page.id)
                self.page_token_reads[page.id] = self.page_token_reads.get(page.id, 0) + 1
            elif name == "category":
                body[name] = "Outdoor & Sporting Goods Company"
            elif name == "category_list":
                body[name] = [{"id": "2250", "name": "Outdoor & Sporting Goods Company"}]
            elif name == "followers_count":
                body[name] = current_followers(self.advertiser, page)
            elif name == "instagram_business_account" and (account := self._instagram_account(page)) is not None:
                everything = {"id": account.id, "username": account.username, "name": account.name}
                wanted = [part.strip() for part in expansion.rstrip("}").split(",") if part.strip()] or ["id"]
                body[name] = {key: everything[key] for key in wanted if key in everything} | {"id": account.id}
        return {**body, "id": page.id}

    def _refusal(self, request, page: FacebookPage, reads_insights: bool = True) -> Response | None:
        """The token and permission checks every Page read passes first: the Page's own Page token only (see the
        module docstring)."""
        token = request.param("access_token")
        if token != page_token(page.id):
            if self._known_token(token):
                return _graph_error(400, PAGE_TOKEN_REFUSAL, 190)
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if (throttled := business_throttle(self.sandbox, FAULT_PLATFORM, page.id)) is not None:
            return throttled
        if reads_insights and page.id == PAGE_WITHOUT_ANALYZE_ID:
            # Code 1, subcode 2853006: "Viewer doesn't have permission to perform this action" ("You do not have
            # permission to perform this task. Contact an admin of the Page to request access",
            # developers.facebook.com/documentation/pages-api/error-codes). Meta does not document the HTTP status;
            # 400 is what Graph sends with its other permission errors.
            code, subcode = MISSING_PAGE_TASK
            return _graph_error(400, "Viewer doesn't have permission to perform this action.", code, subcode)
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
        page = self._page(match.group(1))
        fields = _top_level_fields(request.param("fields") or "")
        if fields and all(name in ("id", "access_token") for name in fields):
            return self._page_token_of(request, page)
        self.requests.append((page.id, ["node"]))
        if (refused := self._refusal(request, page, reads_insights=False)) is not None:
            return refused
        # `tasks` is what /me/accounts adds to each Page of its user, not a field of the node
        wanted = [name for name in fields if not name.startswith(("tasks", "access_token"))]
        return Response.json(200, self._page_fields(page, wanted))

    def _page_token_of(self, request, page: FacebookPage) -> Response:
        """`GET /{page_id}?fields=access_token`: the Page's token for a token whose user holds the Page, or for
        the Page's own token; the node without it for any other token the sandbox issued (see the module
        docstring). A `page_token_refused` fault refuses it as Graph refuses a token without pages_read_engagement."""
        token = request.param("access_token")
        if not self._known_token(token):
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if (throttled := business_throttle(self.sandbox, FAULT_PLATFORM, page.id)) is not None:
            return throttled
        if self.sandbox.faults.take_for(FAULT_PLATFORM, "page_token_refused", "page", page.id) is not None:
            # Code 10, the permission error of Graph's Page reads (developers.facebook.com/docs/graph-api/guides/
            # error-handling, "Permission Denied"); its wording here is the sandbox's own.
            return _graph_error(
                400,
                "(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page Public Content Access' feature.",
                10,
            )
        if self._holds_pages(token) or token == page_token(page.id):
            return Response.json(200, self._page_fields(page, ["access_token"]))
        return Response.json(200, {"id": page.id})

    def published_posts(self, request, match):
        """The Page's posts, newest first, with the fields asked for and the lifetime insights asked for through
        field expansion (``insights.metric(...)``: developers.facebook.com/docs/graph-api/reference/insights,
        "Field expansion"). ``since``/``until`` bound the posts' created_time, and the pages follow by time too
        (see the module docstring): ``next`` asks ``until`` the last post's created_time with a ``__paging_token``
        naming that post. A count nobody added to is left out, as Graph leaves out ``shares`` of a post never
        shared."""
        page = self._page(match.group(1))
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
            after_post = _paging_token_post(request.param("__paging_token"))
            limit = int(request.param("limit") or DEFAULT_LIMIT)
        except ValueError:
            return _graph_error(400, "(#100) since, until, limit and __paging_token must be as Graph wrote them", 100)
        listed = page_posts(self.advertiser, page, since.date(), until.date(), self.sandbox.restatements)
        if after_post is None:
            posts = [post for post in listed if since <= post.published_at < until]
        else:  # the next page: from `until` (the last post's second) on, past the post the token names
            posts = [post for post in listed if since <= post.published_at <= until]
            ids = [post.id for post in posts]
            posts = posts[ids.index(after_post) + 1 :] if after_post in ids else posts
        chosen = posts[:limit]
        data = [_post(post, fields, metrics, request) for post in chosen]
        if not chosen:
            return Response.json(200, {"data": []})
        query = dict(request.query)  # access_token included, as real Graph writes its paging links
        paging = {
            "previous": _link(request, query, since=int(chosen[0].published_at.timestamp()), __previous=1),
        }
        if len(chosen) == limit:
            paging["next"] = _link(
                request,
                query,
                until=int(chosen[-1].published_at.timestamp()),
                __paging_token=_paging_token(chosen[-1].id),
            )
        if self.sandbox.faults.take(FAULT_PLATFORM, "repeated_next"):
            paging["next"] = _link(request, query)  # the page just served, again
        return Response.json(200, {"data": data, "paging": paging})

    def video_insights(self, request, match):
        """A video's or Reel's lifetime insights (``GET /{video-id}/video_insights?metric=...``, see the module
        docstring), for the videos of the advertiser's Page posts."""
        post = self._post_of_video(match.group(1))
        metrics = _metric_names(request.param("metric"))
        if post is None:
            return _unknown_object(match.group(1))
        self.requests.append((post.page.id, ["video_insights", *metrics]))
        if (refused := self._refusal(request, post.page)) is not None:
            return refused
        if not metrics or any(name not in VIDEO_METRICS for name in metrics):
            return _graph_error(400, "(#100) The value must be a valid insights metric", 100)
        data = [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": getattr(post, VIDEO_METRICS[name][0]) or 0}],
                "title": VIDEO_METRICS[name][1],
                "description": VIDEO_METRICS[name][2],
                "id": f"{post.video_id}/video_insights/{name}/lifetime",
            }
            for name in metrics
        ]
        return Response.json(200, {"data": data})

    def _post_of_video(self, video_id: str) -> PagePost | None:
        """The post a video id belongs to, among the posts of the Pages' history: looked up in an index of the
        history's videos, built once per day and restatement (a lookup that regenerated the history took 60 ms,
        and a backfill asks one per video)."""
        history_key = (self.advertiser.today, self.sandbox.restatements)
        with self._videos_lock:
            if self._videos_of_history[0] != history_key:
                today = self.advertiser.today
                history = (today - dt.timedelta(days=HISTORY_DAYS), today)
                videos = {
                    post.video_id: post
                    for page in facebook_pages(self.advertiser)
                    for post in page_posts(self.advertiser, page, *history, self.sandbox.restatements)
                    if post.video_id is not None
                }
                self._videos_of_history = (history_key, videos)
            return self._videos_of_history[1].get(video_id)

    def page_insights(self, request, match):
        page = self._page(match.group(1))
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
        # Older than two years: an empty answer, as Graph gives (see the module docstring; page_days holds the
        # Pages' last two years only).
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


def _metric_names(value: str | None) -> list[str]:
    """A metric list as the SDK sends it (JSON, '["a","b"]') or as written by hand ('a,b')."""
    return [name for name in (value or "").strip("[]").replace('"', "").split(",") if name]


def _link(request, query: dict, **changes) -> str:
    return f"{request.base_url}{request.path}?{urllib.parse.urlencode({**query, **changes})}"


def _paging_token(post_id: str) -> str:
    """Opaque to the client, as Graph's `__paging_token` is ("enc_..."): here it names the page's last post."""
    return "enc_" + base64.urlsafe_b64encode(post_id.encode()).decode().rstrip("=")


def _paging_token_post(token: str | None) -> str | None:
    if not token:
        return None
    if not token.startswith("enc_"):
        raise ValueError(token)
    encoded = token.removeprefix("enc_")
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError(token) from None


def _top_level_fields(fields: str) -> list[str]:
    """`a,b.summary(total_count).limit(0),insights.metric(x,y),attachments{a,b}` → its top-level fields, commas in
    brackets kept."""
    parts, depth, current = [], 0, ""
    for char in fields:
        depth += {"(": 1, ")": -1, "{": 1, "}": -1}.get(char, 0)
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
            # a video's or Reel's figures are on the video, not the post (see the module docstring)
            body[name] = {
                "data": [_post_metric(post, metric) for metric in metrics] if post.kind == "status" else [],
                "paging": _edge_paging(post, metrics, request),
            }
        elif name.startswith("attachments") and post.kind != "status":
            url = (
                post.permalink
                if post.kind == "reel"
                else f"https://www.facebook.com/{post.page.id}/videos/{post.video_id}/"
            )
            attachment = {"media_type": "video", "type": "video_inline", "target": {"id": post.video_id, "url": url}}
            body["attachments"] = {"data": [{**attachment, "url": url}]}
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


# What the sandbox server mounts for this platform (connectors/sandbox/server.py).
API = FacebookPagesApi

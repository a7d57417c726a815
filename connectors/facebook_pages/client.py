"""Facebook Page organic insights (followers, views, engagement) and posts through the official facebook-business SDK.

Per Page and day: ``Page(page_id).get_insights(params={"metric": PAGE_METRICS, "period": "day", ...})``, at most
90 days per call, one row per day with every metric side by side and the raw values kept as JSON.

A daily value's ``end_time`` is the END of its day: midnight starting the next day in Meta's reporting zone,
written in UTC ("if you set ``since`` to January 1, 2018, the ``end_time`` will be January 2, 2018 at 8:00 GMT",
developers.facebook.com/documentation/pages-api/platforminsights/page, "Limitations"). So ``until`` is the first
day not returned, and a value's day is the day before the midnight nearest its ``end_time``.

Per post published in the window (POSTS_SOURCE): ``GET /{page_id}/published_posts?fields=...,insights.metric(...)``,
the post's lifetime figures as they stand at the fetch, read in the same request through field expansion. The
posts edge pages by time (``until`` + ``__paging_token`` in ``paging.next``, no ``cursors``: "Time-based
Pagination", developers.facebook.com/docs/graph-api/results), and the SDK's Cursor stops at the first page without
``cursors`` (facebook_business/api.py ``Cursor.load_next_page``), so the connector follows ``paging.next`` itself
until a page has none. Videos and Reels have no figures on the post's insights: theirs are read from the video's
``video_insights`` edge (VIDEO_METRICS, REEL_METRICS). Per Page (``fetch_follower_totals``): the Page node's
``followers_count`` now, for the snapshot table kept forever.

A metric Graph leaves out is NULL, never 0 (a day or a post Meta has no figure for is unknown, not nothing).
Meta keeps Page insights two years ("Only the last two years of insights data is available", Page Insights
reference, developers.facebook.com/docs/graph-api/reference/insights; older ranges come back empty, not as an
error): ``earliest_day`` keeps a backfill from replacing older stored days with nothing.

Tokens: Page insights, posts and video insights need the Page's own Page token ("a Page access token requested by
a person who can perform the ANALYZE task on the Page", Page Insights reference; Graph refuses a user's or system
user's token with "(#190) This method must be called with a Page Access Token", pablobarbera/Rfacebook#174). So the
client asks each Page's token once, ``GET /{page_id}?fields=access_token`` with the configured token (the Pages'
system user's, META_PAGE_ACCESS_TOKEN, else META_ACCESS_TOKEN), keeps it for the process (``PAGE_TOKENS``: one call
per Page per run), registers it for redaction the moment it is read, and reads the Page with it. A configured
token that is already that Page's token answers itself and is used as is. A Page Meta gives no token for fails
alone, with PAGE_TOKEN_ADVICE.

Errors (classified in ``graph/organic.py``, shared with Instagram): a retired metric fails the whole request with code 100 "The value must be a valid insights metric": the
connector names the metric and its replacement (RETIRED_METRICS). A Page token without ``read_insights`` /
``pages_read_engagement`` (code 10, 200-299) fails that Page only, naming it and the permission; an expired
token (190) likewise. Throttling and transient errors are retried as in ``meta_ads/client.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import cast

from facebook_business.adobjects.page import Page
from facebook_business.api import Cursor, FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

from connectors import clock
from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError
from connectors.graph import MISSING_PAGE_TASK, PERMISSION_CODES, graph_api
from connectors.graph.organic import (
    DEFAULT_GRAPH_URL,
    PAGE_TOKENS,
    TOKEN_SETTINGS,
    OrganicGraphClient,
    ids_and_token,
)
from connectors.platform import (
    AccessCheck,
    RecordSlice,
    check_slices,
    fetch_slices,
)
from connectors.redaction import remember
from connectors.retry import Backoff

PLATFORM = "facebook_pages"
PERMISSIONS = "read_insights and pages_read_engagement"
RAW_TABLE = "facebook_page_insights"
# The Page metrics read, and the column each lands in. Checked for Graph API v26.0 (facebook-business 26.0.x)
# against Meta's deprecated-metrics list (developers.facebook.com/docs/platforminsights/page/deprecated-metrics/:
# page_fans, page_fan_adds, page_impressions* and more retired on 2025-11-15 and 2026-06-15, "By June 15, 2026, a
# number of the Page Insights metrics will be deprecated for all API versions") and the replacements connectors
# moved to (github.com/airbytehq/airbyte/pull/84408 and /80740, verified against the live Graph API).
METRICS_CHECKED_FOR_GRAPH_VERSION = "v26.0"
PAGE_METRICS = {
    "page_follows": "follows_total",  # lifetime total of followers at the end of the day
    "page_daily_follows_unique": "follows",
    "page_daily_unfollows_unique": "unfollows",
    "page_media_view": "media_views",
    "page_total_media_view_unique": "media_viewers",  # unique people: never summed across days
    "page_post_engagements": "post_engagements",
    "page_views_total": "page_views",
}
# Metrics Meta retired, and what replaced them: named in the error when an old list asks for one.
RETIRED_METRICS = {
    "page_fans": "page_follows",
    "page_fan_adds": "page_daily_follows_unique",
    "page_fan_adds_unique": "page_daily_follows_unique",
    "page_fan_removes": "page_daily_unfollows_unique",
    "page_fan_removes_unique": "page_daily_unfollows_unique",
    "page_impressions": "page_media_view",
    "page_impressions_unique": "page_total_media_view_unique",
}
# A post's lifetime metrics, read with the posts (same version check as PAGE_METRICS; post_impressions* retired in
# 2025 for post_media_view and post_total_media_view_unique).
POST_METRICS = {
    "post_media_view": "views",
    "post_total_media_view_unique": "viewers",  # unique people
    "post_clicks_by_type": "link_clicks",  # a breakdown by click type: its "link clicks"
}
RETIRED_METRICS.update(
    {"post_impressions": "post_media_view", "post_impressions_unique": "post_total_media_view_unique"}
)
# A video's and a Reel's lifetime figures, on the video's `video_insights` edge (their post's insights are empty),
# and the post column each lands in. Videos: developers.facebook.com/docs/video-api/guides/insights (its example
# answers total_video_views, total_video_views_unique). Reels: "plays" (blue_reels_play_count), developers.
# facebook.com/blog/post/2022/12/15/introducing-reels-metrics-api/ and the Reels insights of the Video API guide.
VIDEO_METRICS = {"total_video_views": "views", "total_video_views_unique": "viewers"}
REEL_METRICS = {"blue_reels_play_count": "views"}
POST_FIELDS = (
    "id",
    "created_time",
    "permalink_url",
    "message",
    "shares",
    # Counts only: a summary without the reactions and comments themselves.
    "reactions.summary(total_count).limit(0)",
    "comments.summary(total_count).limit(0)",
    # Which video a video or Reel post shows (media_type "video", target {id, url}: developers.facebook.com/docs/
    # graph-api/reference/story-attachment/); a Reel's url is facebook.com/reel/<id>.
    "attachments{media_type,target,url}",
)
# Query parameters of a `paging.next` link that the session adds itself: dropped, so that they are neither sent
# twice nor kept anywhere.
SESSION_PARAMETERS = ("access_token", "appsecret_proof")
POSTS_PAGE_SIZE = 100
POSTS_TABLE = "facebook_page_posts"
INVALID_METRIC_MESSAGE = "valid insights metric"
# Page insights need "a Page access token requested by a person who can perform the ANALYZE task on the Page" and
# the read_insights and pages_read_engagement permissions (developers.facebook.com/blog/post/2022/11/08/getting-
# started-with-page-insights-api/, "What you'll need"); a system user is given a Page's tasks in Business Settings
# (developers.facebook.com/docs/business-management-apis/system-users/, assigned Pages and their `tasks`).
PAGE_TASK_ADVICE = (
    "Grant it in Meta Business Settings: Accounts → Pages → this Page → Assign people (or Add people) → the system "
    "user (or person) whose token this is → the task \"View Page performance\" (Graph's ANALYZE), with the token's "
    "permissions read_insights and pages_read_engagement; then generate the token again (Users → System users → "
    "Generate new token) and set META_PAGE_ACCESS_TOKEN (or META_ACCESS_TOKEN)."
)
# Where a Page's token comes from: `GET /{page_id}?fields=access_token` with the token of a user (or system user)
# holding a task on the Page ("Only returned if the User making the request has a role (other than Live Contributor)
# on the Page", developers.facebook.com/docs/graph-api/reference/page/; developers.facebook.com/docs/pages/
# access-tokens), with pages_show_list and pages_read_engagement (developers.facebook.com/docs/pages-api/
# getting-started, "Get a Page Access Token"). What to grant when Meta gives none:
PAGE_TOKEN_ADVICE = (
    "Meta gives a Page's token only to a token whose user has a task on that Page. Grant it in Meta Business "
    "Settings: Accounts → Pages → this Page → Assign people (or Add people) → the system user (or person) whose "
    'token this is → the task "View Page performance" (Graph\'s ANALYZE); the token needs the permissions '
    "pages_show_list, pages_read_engagement and read_insights (Users → System users → Generate new token, tick "
    "them). Then set META_PAGE_ACCESS_TOKEN (or META_ACCESS_TOKEN) to that token, or to this Page's own Page token."
)
MAX_DAYS_PER_REQUEST = 90  # "Only 90 days of insights can be viewed at one time" (Page Insights reference)

RAW_COLUMNS = {
    "page_id": "VARCHAR",
    "date": "DATE",
    "follows_total": "BIGINT",
    "follows": "BIGINT",
    "unfollows": "BIGINT",
    "media_views": "BIGINT",
    "media_viewers": "BIGINT",
    "post_engagements": "BIGINT",
    "page_views": "BIGINT",
    "raw_row": "JSON",
}

POSTS_COLUMNS = {
    "page_id": "VARCHAR",
    "post_id": "VARCHAR",
    "published_date": "DATE",  # the UTC day of created_time
    "published_at": "TIMESTAMP",  # UTC
    "permalink": "VARCHAR",
    "message": "VARCHAR",
    "views": "BIGINT",
    "viewers": "BIGINT",
    "reactions": "BIGINT",
    "comments": "BIGINT",
    "shares": "BIGINT",
    "link_clicks": "BIGINT",
    "raw_row": "JSON",
}


def earliest_day(today: dt.date) -> dt.date:
    """The first day a backfill fetches and replaces: Meta keeps insights for the last two years (see the module
    docstring) and answers older ranges empty, so an older stored day is kept as loaded. One day after the date two
    years back, so that the boundary day (already gone for a request made late in the day, in Meta's zone) is
    never replaced by an empty answer."""
    if (today.month, today.day) == (2, 29):
        return dt.date(today.year - 2, 3, 1)
    return today.replace(year=today.year - 2) + dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class FacebookPagesSettings:
    access_token: str = dataclasses.field(repr=False)
    page_ids: tuple[str, ...]
    graph_url: str = DEFAULT_GRAPH_URL
    metrics: tuple[str, ...] = tuple(PAGE_METRICS)
    max_throttle_wait_seconds: float = 15 * 60
    backoff: Backoff = Backoff()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FacebookPagesSettings | None:
        """None without META_PAGE_IDS; a Page token (else the Meta system-user token) is then required."""
        read = ids_and_token(
            env, PLATFORM, "META_PAGE_IDS", PERMISSIONS, "use the Facebook Page's numeric id (its About section)"
        )
        if read is None:
            return None
        page_ids, token, graph_url = read
        return cls(access_token=token, page_ids=page_ids, graph_url=graph_url)


class FacebookPagesClient(OrganicGraphClient):
    """Reads Page insights, posts and follower totals; `sleep` is the clock it waits with (tests record instead)."""

    PLATFORM = PLATFORM
    NOUN = "Facebook Page"
    PERMISSIONS = PERMISSIONS
    PERMISSION_ADVICE = "a Page token from a user with a task on the Page"
    TASK_ADVICE = PAGE_TASK_ADVICE

    def __init__(self, settings: FacebookPagesSettings, sleep: Callable[[float], None] = time.sleep):
        super().__init__(settings, sleep)
        # The session of the Page being read, with its Page token: one at a time, as the Pages are read one after
        # another (fetch_slices), so a run over many Pages holds one connection pool, not one per Page.
        self._page_session: tuple[str, FacebookAdsApi] | None = None

    def close(self) -> None:
        if self._page_session is not None:
            self._page_session[1]._session.requests.close()
        super().close()

    def _api_for(self, page_id: str) -> FacebookAdsApi:
        """The session that reads `page_id` with its own Page token (see the module docstring)."""
        if self._page_session is not None and self._page_session[0] == page_id:
            return self._page_session[1]
        token = self._page_token(page_id)
        if self._page_session is not None:
            self._page_session[1]._session.requests.close()
        self._page_session = (page_id, graph_api(token, self.settings.graph_url))
        return self._page_session[1]

    def _page_token(self, page_id: str) -> str:
        """The Page's token: kept from earlier in the process, or asked with the configured token (which answers
        itself when it already is the Page's token)."""
        graph_url, token = self.settings.graph_url, self.settings.access_token
        if (kept := PAGE_TOKENS.get(graph_url, token, page_id)) is not None:
            return kept
        answer = self._call(page_id, lambda: self._ask_page_token(page_id))
        page_token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(page_token, str) or not page_token:
            raise PlatformAuthError(
                PLATFORM,
                f"Meta gave no Page token for Facebook Page {page_id}: the token's user has no task (role) on it. {PAGE_TOKEN_ADVICE}",
                page_id,
            )
        remember(page_token)  # scrubbed from every text from now on, before anything could write it
        PAGE_TOKENS.keep(graph_url, token, page_id, page_token)
        return page_token

    def _ask_page_token(self, page_id: str) -> Mapping:
        """`GET /{page_id}?fields=access_token` with the configured token. A permission refusal (the token lacks
        pages_read_engagement or pages_show_list, or its user the task) is said with what to grant; any other
        error is left to `_call`."""
        refusal = None
        try:
            return self._api.call("GET", (page_id,), params={"fields": "access_token"}).json() or {}
        except FacebookRequestError as error:
            code, subcode = error.api_error_code(), error.api_error_subcode()
            if code not in PERMISSION_CODES and (code, subcode) != MISSING_PAGE_TASK:
                raise
            refusal = f"code {code}: {error.api_error_message() or error.http_status()}"
        # Raised outside the except block: the SDK's exception carries the token and is not chained.
        raise PlatformAuthError(
            PLATFORM,
            f"Meta would not give the Page token of Facebook Page {page_id} ({refusal}). {PAGE_TOKEN_ADVICE}",
            page_id,
        )

    def daily_insights(self, page_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """One record per day of [since, until] that Meta has figures for; failures leave as a PlatformError."""
        start = since
        while start <= until:
            end = min(until, start + dt.timedelta(days=MAX_DAYS_PER_REQUEST - 1))
            api = self._api_for(page_id)
            entries = self._call(
                page_id, lambda a=api, s=start, e=end: self._insights(a, page_id, self.settings.metrics, s, e)
            )
            yield from parse_page_insights(entries, page_id, start, end)
            start = end + dt.timedelta(days=1)

    def posts(self, page_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """One record per post published (UTC day) in [since, until], with its lifetime figures so far: every page
        of the edge, following `paging.next` until a page has none."""
        start = dt.datetime.combine(since, dt.time(), dt.UTC)
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        fields = [*POST_FIELDS, f"insights.metric({','.join(POST_METRICS)})"]
        request = (
            (page_id, "published_posts"),
            {
                "fields": ",".join(fields),
                "since": int(start.timestamp()),
                "until": int(end.timestamp()),
                "limit": POSTS_PAGE_SIZE,
            },
        )
        # Graph may send an empty page with a `next` link ("Stop paging when the next link no longer appears",
        # developers.facebook.com/docs/graph-api/results), so an empty page is no end; a `next` that names a page
        # already read is (paging APIs have been seen to loop: microsoftgraph/microsoft-graph-docs issue #4897).
        followed = set()
        while request is not None:
            followed.add(repr(request))
            api = self._api_for(page_id)
            answer = self._call(page_id, lambda a=api, r=request: a.call("GET", r[0], params=r[1]).json())
            for post in answer.get("data") or []:
                record = parse_page_post(post, page_id, since, until)
                if record is not None:
                    yield self._with_video_figures(page_id, post, record)
            request = self._next_page(page_id, (answer.get("paging") or {}).get("next"))
            if repr(request) in followed:
                raise _malformed(page_id, "paging.next names a page of posts already read, so paging would never end")

    def _next_page(self, page_id: str, link) -> tuple[str, dict] | None:
        """The request `paging.next` names, without the token it carries (the session sends its own); None on the
        last page. A link to another host than META_GRAPH_URL is refused: the session would send it the token."""
        if not link:
            return None
        parts = urllib.parse.urlsplit(str(link))
        graph = urllib.parse.urlsplit(self.settings.graph_url)
        if (parts.scheme, parts.netloc) != (graph.scheme, graph.netloc):
            raise _malformed(page_id, f"paging.next leads to {parts.scheme}://{parts.netloc}, not to META_GRAPH_URL")
        params = {
            name: value
            for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
            if name not in SESSION_PARAMETERS
        }
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), params

    def _with_video_figures(self, page_id: str, post: Mapping, record: dict) -> dict:
        """A video's or Reel's post with its figures from the video's `video_insights` (its own insights are
        empty); any other post as it is."""
        video = video_of(post)
        if video is None:
            return record
        video_id, is_reel = video
        metrics = REEL_METRICS if is_reel else VIDEO_METRICS
        api = self._api_for(page_id)  # the video is the Page's: read with its Page token
        answer = self._call(
            page_id,
            lambda: api.call("GET", (video_id, "video_insights"), params={"metric": ",".join(metrics)}).json(),
        )
        values = {
            entry.get("name"): (entry.get("values") or [{}])[0].get("value") for entry in answer.get("data") or []
        }
        for metric, column in metrics.items():
            record[column] = _count(values.get(metric), f"video {video_id} {metric}", page_id)
        return record

    def follower_total(self, page_id: str, *_window) -> Iterator[dict]:
        """The one record of the Page's follower total as it stands now (whatever the window)."""
        api = self._api_for(page_id)
        node = self._call(page_id, lambda: Page(page_id, api=api).api_get(fields=["followers_count"]))
        yield parse_follower_total(node.export_all_data(), page_id)

    def check_page(self, page_id: str) -> None:
        """One cheap call needing the same permissions as a sync: yesterday's follower total."""
        yesterday = clock.yesterday()
        api = self._api_for(page_id)
        self._call(page_id, lambda: self._insights(api, page_id, ("page_follows",), yesterday, yesterday))

    @staticmethod
    def _insights(api: FacebookAdsApi, page_id: str, metrics, since: dt.date, until: dt.date) -> list[dict]:
        params = {
            "metric": list(metrics),
            "period": "day",
            "since": since.isoformat(),
            "until": (until + dt.timedelta(days=1)).isoformat(),  # the first day NOT returned
        }
        with warnings.catch_warnings():
            # The SDK's type checker declares `metric` as list<Object> and warns about any list of names it is given.
            warnings.filterwarnings("ignore", message="value of metric might not be compatible")
            # Neither batched nor pending: the SDK returns a Cursor over the answer.
            cursor = cast(Cursor, Page(page_id, api=api).get_insights(params=params))
        entries = []
        while len(cursor):  # the one page of this range: `paging.next` is the next range, not more of this one
            entries.append(next(cursor).export_all_data())
        return entries

    def retired_metric_error(self, page_id: str, message: str, _metrics=()) -> PlatformConfigError | None:
        """Meta does not say which metric it refused: a known retired one, or else the one that fails alone."""
        if INVALID_METRIC_MESSAGE not in message:
            return None
        metrics = self.settings.metrics
        retired = [name for name in metrics if name in RETIRED_METRICS]
        if not retired:
            retired = [name for name in metrics if self._refused_alone(page_id, name)]
        named = ", ".join(
            f"{name} (use {RETIRED_METRICS[name]})" if name in RETIRED_METRICS else f"{name} (no replacement known)"
            for name in retired
        )
        return PlatformConfigError(
            PLATFORM,
            f"Meta no longer serves the Page insights metric {named or ', '.join(metrics)} for Facebook Page {page_id} ({message}). Update PAGE_METRICS in connectors/facebook_pages/client.py from Meta's deprecated-metrics list (checked for Graph {METRICS_CHECKED_FOR_GRAPH_VERSION}).",
            page_id,
        )

    def _refused_alone(self, page_id: str, metric: str) -> bool:
        yesterday = clock.yesterday()
        try:
            self._insights(self._api_for(page_id), page_id, (metric,), yesterday, yesterday)
        except FacebookRequestError as error:
            return error.api_error_code() == 100 and INVALID_METRIC_MESSAGE in (error.api_error_message() or "")
        return False


def parse_page_insights(entries: list[Mapping], page_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
    """Pivot Meta's per-metric value lists into one record per day (see RAW_COLUMNS); a metric Meta gave no value
    for that day is NULL (unknown), not 0."""

    def fail(what: str) -> MalformedPayloadError:
        return MalformedPayloadError(
            PLATFORM, f"Meta returned malformed Page insights for Facebook Page {page_id} ({what}).", page_id
        )

    days: dict[dt.date, dict] = {}
    for entry in entries:
        name = entry.get("name")
        if name not in PAGE_METRICS or entry.get("period") != "day":
            raise fail(f"unexpected metric {name!r} / period {entry.get('period')!r}")
        for value in entry.get("values") or []:
            day = day_of_end_time(value.get("end_time"), fail)
            if not since <= day <= until:
                raise fail(f"end_time {value.get('end_time')!r} lies outside {since}..{until}")
            if value.get("value") is None:
                continue  # no figure for this day: the column stays NULL
            number = value["value"]
            if not isinstance(number, int | float) or isinstance(number, bool) or number != int(number):
                raise fail(f"{name} value {number!r} is not a whole number")
            days.setdefault(day, {})[name] = int(number)
    for day in sorted(days):
        values = days[day]
        record: dict[str, object] = {"page_id": page_id, "date": day.isoformat()}
        # a metric Meta left out is unknown: NULL, never zero (sums skip it; a zero would pull averages down)
        record.update({column: values.get(metric) for metric, column in PAGE_METRICS.items()})
        record["raw_row"] = json.dumps(values, separators=(",", ":"), sort_keys=True)
        yield record


def _malformed(page_id: str, what: str) -> MalformedPayloadError:
    return MalformedPayloadError(
        PLATFORM, f"Meta returned malformed data for Facebook Page {page_id} ({what}).", page_id
    )


def _count(value, what: str, page_id: str) -> int | None:
    """A count as Graph wrote it; None (NULL) when it wrote none."""
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value != int(value) or value < 0:
        raise _malformed(page_id, f"{what} {value!r} is not a count")
    return int(value)


def video_of(post: Mapping) -> tuple[str, bool] | None:
    """(video id, whether it is a Reel) of a video or Reel post, from its attachments; None for any other post."""
    for attachment in (post.get("attachments") or {}).get("data") or []:
        target = attachment.get("target") or {}
        if attachment.get("media_type") == "video" and target.get("id"):
            url = str(target.get("url") or attachment.get("url") or "")
            return str(target["id"]), "/reel/" in url
    return None


def parse_page_post(post: Mapping, page_id: str, since: dt.date, until: dt.date) -> dict | None:
    """One post as a record of POSTS_COLUMNS. A metric the post's insights leave out is NULL (a video's or Reel's
    are all left out: see `video_of`); `shares` absent is 0, as Graph leaves it out of a post nobody shared;
    `post_clicks_by_type` is a breakdown whose "link clicks" are the clicks kept (0 when it has other clicks
    only)."""
    post_id = post.get("id")
    if not isinstance(post_id, str) or not post_id:
        raise _malformed(page_id, "a post without an id")
    try:
        published = dt.datetime.strptime(str(post.get("created_time")), "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.UTC)
    except ValueError:
        raise _malformed(page_id, f"post {post_id} has created_time {post.get('created_time')!r}") from None
    if not since <= published.date() <= until:
        return None  # backdated or republished outside the window: another window's post
    insights = {
        entry.get("name"): (entry.get("values") or [{}])[0].get("value")
        for entry in (post.get("insights") or {}).get("data", [])
    }
    record = {}
    for metric, column in POST_METRICS.items():
        value = insights.get(metric)
        if metric == "post_clicks_by_type" and isinstance(value, dict):
            value = value.get("link clicks", 0)
        record[column] = _count(value, f"post {post_id} {metric}", page_id)
    return {
        "page_id": page_id,
        "post_id": post_id,
        "published_date": published.date().isoformat(),
        "published_at": published.strftime("%Y-%m-%d %H:%M:%S"),
        "permalink": post.get("permalink_url"),
        "message": post.get("message"),
        **record,
        "reactions": _count(
            ((post.get("reactions") or {}).get("summary") or {}).get("total_count"),
            f"post {post_id} reactions",
            page_id,
        ),
        "comments": _count(
            ((post.get("comments") or {}).get("summary") or {}).get("total_count"), f"post {post_id} comments", page_id
        ),
        "shares": _count((post.get("shares") or {}).get("count", 0), f"post {post_id} shares", page_id),
        "raw_row": json.dumps(post, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
    }


def parse_follower_total(node: Mapping, page_id: str) -> dict:
    if "followers_count" not in node:
        raise _malformed(page_id, "the Page node has no followers_count")
    followers = _count(node["followers_count"], "followers_count", page_id)
    return {"followers": followers, "raw_row": json.dumps(dict(node), separators=(",", ":"), sort_keys=True)}


def day_of_end_time(value, fail) -> dt.date:
    """The day a daily value covers: the one ending at the midnight nearest `end_time`.

    `end_time` is local midnight written in UTC, at most 12 hours from UTC midnight for zones UTC-12..UTC+12
    (Meta's Pacific reporting zone among them).
    """
    try:
        moment = dt.datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.UTC)
    except ValueError:
        raise fail(f"end_time {value!r} is not a timestamp") from None
    return (moment + dt.timedelta(hours=12)).date() - dt.timedelta(days=1)


def fetch_window(settings: FacebookPagesSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured Page's rows for [since, until], one Page at a time: one Page's failure spares the others."""
    return fetch_slices(
        FacebookPagesClient(settings), settings.page_ids, FacebookPagesClient.daily_insights, since, until
    )


def fetch_posts(settings: FacebookPagesSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured Page's posts published in [since, until], one Page at a time."""
    return fetch_slices(FacebookPagesClient(settings), settings.page_ids, FacebookPagesClient.posts, since, until)


def fetch_follower_totals(settings: FacebookPagesSettings) -> Iterator[RecordSlice]:
    """(page id, the one record of its follower total now) for each configured Page, a failing Page alone."""
    return fetch_slices(
        FacebookPagesClient(settings), settings.page_ids, FacebookPagesClient.follower_total, None, None
    )


def check_access(settings: FacebookPagesSettings) -> Iterator[AccessCheck]:
    """(page id, None) for each Page whose insights the token can read, (page id, what to fix) for the others."""
    return check_slices(lambda: FacebookPagesClient(settings), settings.page_ids, FacebookPagesClient.check_page)


SETTING_NAMES = ("META_PAGE_IDS", *TOKEN_SETTINGS, "META_GRAPH_URL")

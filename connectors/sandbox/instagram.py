"""Instagram professional accounts on the Graph API, as the facebook-business SDK's ``IGUser`` / ``IGMedia`` call it.

Served, for the advertiser's Instagram accounts (``instagram_figures.py``) and their media only:

- ``GET /{version}/{ig-user-id}?fields=...``: the IG User node; ``followers_count`` is the follower total now
  (developers.facebook.com/docs/instagram-platform/reference/instagram-user; the SDK's ``IGUser.Field``).
- ``GET /{version}/{ig-user-id}/insights?metric=...&period=day&metric_type=total_value&since=...&until=...``
  (developers.facebook.com/documentation/instagram-platform/api-reference/instagram-user/insights):
  ``since`` / ``until`` are Unix timestamps; days are Pacific days (daily values end at "...T08:00:00+0000" in
  January, github.com/sns-sdks/python-facebook/issues/55, "...T07:00:00+00:00" in March, github.com/airbytehq/
  airbyte/issues/1814). With ``metric_type=total_value`` each metric is ONE value for the whole range,
  ``{"name", "period", "title", "description", "total_value": {"value"}, "id"}``: so a day's
  figure needs a one-day range (Airbyte's user_insights steps one day per request, ``step: P1D``,
  airbyte-integrations/connectors/source-instagram/manifest.yaml). Reach over several days counts each account
  once (unique accounts), so it is less than the sum of the days. ``views``, ``profile_views``,
  ``accounts_engaged``, ``total_interactions`` and ``follows_and_unfollows`` are total_value metrics only ("views
  metric with total_value metric type", same page); ``reach`` takes either type. ``follows_and_unfollows`` with
  ``breakdown=follow_type`` answers ``total_value.breakdowns[{"dimension_keys": ["follow_type"], "results":
  [{"dimension_values": ["FOLLOWER"], "value"}, {"dimension_values": ["NON_FOLLOWER"], ...}]}]``: FOLLOWER counts
  the follows, NON_FOLLOWER the unfollows. The sandbox serves a breakdown only for a request of that metric
  alone (an assumption on the safe side: the docs do not say how a breakdown meets metrics without it). A day
  without data answers an empty ``data`` ("the API will return an empty data set instead of 0", "Limitations").
  At most 30 days between since and until.
  A retired or unknown metric fails the whole request with code 100 "(#100) metric[<index>] must be one of the
  following values: reach, follower_count, ..." naming the first refused metric's position (the wording in
  github.com/janu-software/facebook-php-sdk/issues/17 and github.com/brightbeanxyz/brightbean-studio/pull/76,
  after ``impressions`` was retired: Airbyte removed it in github.com/airbytehq/airbyte/pull/55860).
- ``GET /{version}/{ig-user-id}/media?fields=...&limit=...&after=...``: the account's media, newest first, with
  cursor paging ``paging.cursors.after`` and ``paging.next`` only while more follow (what the SDK's Cursor reads,
  facebook_business/api.py ``load_next_page``; Airbyte pages it with ``after`` and ``limit`` 100). ``timestamp``
  is ISO 8601 in UTC, "2019-04-05T07:56:32+0000" (developers.facebook.com/docs/instagram-platform/insights).
- ``GET /{version}/{ig-user-id}/stories?fields=...&limit=...&after=...``: the account's stories of the last 24 hours
  by ``clock.now()`` ("Stories are only available for 24 hours", developers.facebook.com/documentation/
  instagram-platform/instagram-graph-api/reference/ig-user/stories, "Limitations"), newest first, as IG Media with
  the same fields as ``/media`` and ``media_product_type`` STORY, cursor paging as on ``/media`` (Airbyte's stories
  stream pages it with ``after`` and ``limit`` 100, manifest.yaml above). The ``/media`` edge lists no stories.
  A story's insights are served while it is live only ("Story media metrics are only available for 24 hours", Media
  Insights reference, "Limitations"); after that its id answers as an unknown id (subcode 33): what Graph answers
  for an expired story's insights is not documented, so that is the sandbox's assumption.
- ``GET /{version}/{ig-media-id}/insights?metric=views,reach,likes,comments,saved,shares,total_interactions``:
  lifetime values, ``{"name", "period": "lifetime", "values": [{"value"}], "title", "description", "id"}``
  (developers.facebook.com/documentation/instagram-platform/reference/instagram-media/insights; ``impressions``,
  ``plays``, ``clips_replays_count``, ``ig_reels_aggregated_all_plays_count`` and ``video_views`` are retired there).
  An unknown id answers code 100 subcode 33 "Unsupported get request" (the error Airbyte's media_insights
  filters, manifest.yaml above). A metric the item's media_product_type has not (METRICS_BY_PRODUCT_TYPE, the
  reference's metric table: STORY has no likes, comments or saved) fails the request with code 100 "(#100) The
  Media Insights API does not support the likes, comments metric for this media product type." (the wording in
  www.volcengine.com/article/1139570 and github.com/exileum/meta-mcp/issues/120). Media published before the
  account last became a business account answer code 100, subcode 2108006, "Media posted before business account
  conversion" (the whole error as github.com/airbytehq/airbyte/issues/1814 and github.com/Jellyfish-Insights/
  andromeda/issues/26 quote it).

Tokens: with Facebook Login, the Instagram Graph API takes a user's (or system user's) token with
``instagram_basic`` and ``instagram_manage_insights`` whose user holds the connected Page, or that Page's own
Page token ("a User or Page access token", developers.facebook.com/docs/instagram-platform/reference/instagram-user
and its insights edge, "Requirements"): the sandbox takes the Page-holding system user's token (SANDBOX_PAGE_TOKEN)
and the Page token of the account's Page (facebook_pages.page_token; the n-th Page has the n-th account).

Errors: any other token is code 190; a token without ``instagram_manage_insights`` answers
code 10 "(#10) Application does not have permission for this action" (the message Airbyte's manifest matches).

Fault kinds (``sandbox.faults.arm("instagram", kind, ...)``): ``retired_metric`` (metric=<a current metric name>:
Meta retires it), ``account_permission_denied`` (account=<ig user id>, or every account without it) and
``not_enough_viewers`` (the next media insights request answers code 10 "(#10) Not enough viewers for the media to
show insights", Media Insights reference, "Limitations") and ``reel_metric_refused`` (metric=<name>, media=<id> or
every Reel: Instagram refuses that metric for a Reel although the reference lists it, as production answers show
for `views` and `shares`; the item answers only without it). Arm them with ``times=None`` to keep them for the whole
test.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import zoneinfo

from connectors.sandbox.facebook_pages import SANDBOX_PAGE_TOKEN, page_token
from connectors.sandbox.graph_usage import business_throttle
from connectors.sandbox.http import Response
from connectors.sandbox.instagram_figures import (
    Media,
    account_days,
    all_media,
    current_followers,
    find_media,
    find_story,
    instagram_account,
    instagram_accounts,
    sandbox_now,
    stories_live,
)
from connectors.sandbox.meta_ads import VERSION, _graph_error, _unknown_object, graph_link
from connectors.sandbox.organic_figures import facebook_pages

FAULT_PLATFORM = "instagram"
# Account insights count Pacific days (see the module docstring).
INSIGHTS_DAY_ZONE = zoneinfo.ZoneInfo("America/Los_Angeles")
MAX_RANGE_SECONDS = 30 * 86400
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# The account metrics served (metric_type=total_value), and what each is of an account's day.
ACCOUNT_METRICS = {
    "reach": ("reach", "Accounts reached", "The number of unique accounts that have seen your content."),
    "views": ("views", "Views", "The number of times your content was played or displayed."),
    "profile_views": ("profile_views", "Profile views", "The number of times your profile was visited."),
    "accounts_engaged": ("accounts_engaged", "Accounts engaged", "The number of accounts that interacted."),
    "total_interactions": ("total_interactions", "Content interactions", "Likes, saves, comments, shares."),
    "follows_and_unfollows": (None, "Follows and unfollows", "Accounts that followed or unfollowed you."),
}
# Valid names the sandbox does not serve figures for; listed in the refusal as Graph lists them.
OTHER_ACCOUNT_METRICS = ("follower_count", "website_clicks", "online_followers", "likes", "comments", "shares")
FOLLOW_TYPES = {"FOLLOWER": "follows", "NON_FOLLOWER": "unfollows"}
MEDIA_METRICS = {
    "views": ("views", "Views"),
    "reach": ("reach", "Accounts reached"),
    "likes": ("likes", "Likes"),
    "comments": ("comments", "Comments"),
    "saved": ("saves", "Saved"),
    "shares": ("shares", "Shares"),
    "total_interactions": ("total_interactions", "Interactions"),
}
# The media metrics each media_product_type has (Media Insights reference, "Metrics"; see the module docstring).
METRICS_BY_PRODUCT_TYPE = {
    "FEED": set(MEDIA_METRICS),
    "REELS": set(MEDIA_METRICS),
    "STORY": {"views", "reach", "shares", "total_interactions"},
}
NODE_FIELDS = ("id", "username", "name", "followers_count", "media_count")
MEDIA_FIELDS = ("id", "caption", "media_type", "media_product_type", "permalink", "shortcode", "timestamp")


def environment(sandbox) -> dict[str, str]:
    """The settings that point the Instagram connector at this sandbox: every account, with the Page token."""
    return {
        "INSTAGRAM_ACCOUNT_IDS": ",".join(account.id for account in instagram_accounts(sandbox.advertiser)),
        "META_PAGE_ACCESS_TOKEN": SANDBOX_PAGE_TOKEN,
        "META_GRAPH_URL": sandbox.base_url,
    }


class InstagramApi:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.advertiser = sandbox.advertiser
        # Every request served: (endpoint, id), endpoint one of "user", "insights", "media", "stories",
        # "media_insights".
        self.requests: list[tuple[str, str]] = []

    def routes(self):
        # Only the advertiser's IG user ids and the sandbox's media ids (17 digits starting 179): the Meta module
        # serves /{report_run_id} and /{report_run_id}/insights and the Pages module /{page_id}/insights.
        ids = "|".join(account.id for account in instagram_accounts(self.advertiser))
        return [
            ("GET", re.compile(rf"^/{VERSION}/({ids})$"), self.user),
            ("GET", re.compile(rf"^/{VERSION}/({ids})/insights$"), self.account_insights),
            ("GET", re.compile(rf"^/{VERSION}/({ids})/media$"), self.media),
            ("GET", re.compile(rf"^/{VERSION}/({ids})/stories$"), self.stories),
            ("GET", re.compile(rf"^/{VERSION}/(179\d{{14}})/insights$"), self.media_insights),
        ]

    def user(self, request, match):
        account = instagram_account(self.advertiser, match.group(1))
        self.requests.append(("user", account.id))
        if refused := self._refusal(request, account.id):
            return refused
        values = {
            "id": account.id,
            "username": account.username,
            "name": account.name,
            "followers_count": current_followers(self.advertiser, account),
            "media_count": len(all_media(self.advertiser, account)),
        }
        return Response.json(200, _pick(values, request.param("fields"), NODE_FIELDS))

    def account_insights(self, request, match):
        account = instagram_account(self.advertiser, match.group(1))
        metrics = _names(request.param("metric"))
        self.requests.append(("insights", account.id))
        if refused := self._refusal(request, account.id) or self._invalid_metric(metrics, ACCOUNT_METRICS):
            return refused
        if _names(request.param("period")) != ["day"]:
            return _graph_error(400, "(#100) The sandbox serves period=day only", 100)
        if request.param("metric_type") != "total_value":
            return _graph_error(
                400,
                f"(#100) The following metrics should be specified with parameter metric_type=total_value: {', '.join(metrics)}",
                100,
            )
        breakdown = _names(request.param("breakdown"))
        if breakdown and (breakdown != ["follow_type"] or metrics != ["follows_and_unfollows"]):
            return _graph_error(
                400, "(#100) The sandbox serves breakdown=follow_type for follows_and_unfollows alone", 100
            )
        try:
            since, until = int(request.param("since")), int(request.param("until"))
        except (TypeError, ValueError):
            return _graph_error(400, "(#100) since and until must be Unix timestamps", 100)
        if until <= since or until - since > MAX_RANGE_SECONDS:
            return _graph_error(
                400, "(#100) There cannot be more than 30 days (2592000 s) between since and until", 100
            )
        first = dt.datetime.fromtimestamp(since, INSIGHTS_DAY_ZONE).date()
        last = dt.datetime.fromtimestamp(until - 1, INSIGHTS_DAY_ZONE).date()
        days = account_days(self.advertiser, account, first, last)
        if not days:
            return Response.json(200, {"data": []})
        data = []
        for name in metrics:
            column, title, description = ACCOUNT_METRICS[name]
            if name == "follows_and_unfollows":
                results = [
                    {"dimension_values": [kind], "value": sum(getattr(day, attribute) for day in days)}
                    for kind, attribute in FOLLOW_TYPES.items()
                ]
                total: dict[str, object] = (
                    {"breakdowns": [{"dimension_keys": ["follow_type"], "results": results}]} if breakdown else {}
                )
                total["value"] = sum(day.follows + day.unfollows for day in days)
            elif name == "reach":
                total = {"value": _unique_over_days([day.reach for day in days])}
            else:
                total = {"value": sum(getattr(day, column) for day in days)}
            data.append(
                {
                    "name": name,
                    "period": "day",
                    "title": title,
                    "description": description,
                    "total_value": total,
                    "id": f"{account.id}/insights/{name}/day",
                }
            )
        return Response.json(200, {"data": data})

    def media(self, request, match):
        account = instagram_account(self.advertiser, match.group(1))
        self.requests.append(("media", account.id))
        if refused := self._refusal(request, account.id):
            return refused
        return self._media_page(request, all_media(self.advertiser, account, self.sandbox.restatements))

    def stories(self, request, match):
        account = instagram_account(self.advertiser, match.group(1))
        self.requests.append(("stories", account.id))
        if refused := self._refusal(request, account.id):
            return refused
        return self._media_page(request, stories_live(self.advertiser, account, sandbox_now(self.advertiser)))

    def _media_page(self, request, items: list[Media]) -> Response:
        """One page of an IG Media edge, cursor-paged (see the module docstring)."""
        try:
            limit = min(int(request.param("limit") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
            start = _offset(request.param("after"))
        except ValueError:
            return _graph_error(400, "(#100) Invalid cursor or limit", 100)
        page = items[start : start + limit]
        body: dict[str, object] = {
            "data": [_pick(_media_fields(item), request.param("fields"), MEDIA_FIELDS) for item in page]
        }
        if page:
            paging: dict[str, object] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(page) - 1)}}
            body["paging"] = paging
            if start + len(page) < len(items):
                paging["next"] = graph_link(request, {**request.query, "after": _cursor(start + len(page) - 1)})
        return Response.json(200, body)

    def media_insights(self, request, match):
        item = find_media(self.advertiser, match.group(1), self.sandbox.restatements) or find_story(
            self.advertiser, match.group(1), sandbox_now(self.advertiser)
        )
        metrics = _names(request.param("metric"))
        self.requests.append(("media_insights", match.group(1)))
        if item is None:
            return _unknown_object(match.group(1))
        if refused := self._refusal(request, item.account.id) or self._invalid_metric(metrics, MEDIA_METRICS):
            return refused
        if self.sandbox.faults.take(FAULT_PLATFORM, "not_enough_viewers"):
            return _graph_error(400, "(#10) Not enough viewers for the media to show insights", 10)
        if item.posted_before_business:
            return _posted_before_business_error()
        has = set(METRICS_BY_PRODUCT_TYPE.get(item.media_product_type, MEDIA_METRICS))
        if item.media_product_type == "REELS" and (
            fault := self.sandbox.faults.take_for(FAULT_PLATFORM, "reel_metric_refused", "media", item.id)
        ):
            has.discard(fault.options.get("metric", "views"))
        if refused := [name for name in metrics if name not in has]:
            return _graph_error(
                400,
                f"(#100) The Media Insights API does not support the {', '.join(refused)} metric for this media product type.",
                100,
            )
        data = [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": getattr(item, MEDIA_METRICS[name][0])}],
                "title": MEDIA_METRICS[name][1],
                "description": f"The {MEDIA_METRICS[name][1].lower()} of the media.",
                "id": f"{item.id}/insights/{name}/lifetime",
            }
            for name in metrics
        ]
        return Response.json(200, {"data": data})

    def _reads(self, token: str | None, account_id: str) -> bool:
        """Whether `token` may read `account_id`: the Page-holding system user's, or its Page's token."""
        if token == SANDBOX_PAGE_TOKEN:
            return True
        pairs = zip(facebook_pages(self.advertiser), instagram_accounts(self.advertiser), strict=True)
        return any(account.id == account_id and token == page_token(page.id) for page, account in pairs)

    def _refusal(self, request, account_id: str) -> Response | None:
        if not self._reads(request.param("access_token"), account_id):
            return _graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        if (throttled := business_throttle(self.sandbox, FAULT_PLATFORM, account_id)) is not None:
            return throttled
        if self._permission_denied(account_id):
            return _graph_error(400, "(#10) Application does not have permission for this action", 10)
        return None

    def _invalid_metric(self, metrics: list[str], served: dict) -> Response | None:
        fault = self.sandbox.faults.take(FAULT_PLATFORM, "retired_metric")
        retired = {fault.options.get("metric", "profile_views")} if fault else set()
        valid = [name for name in served if name not in retired]
        if served is ACCOUNT_METRICS:
            valid += OTHER_ACCOUNT_METRICS
        for index, name in enumerate(metrics):
            if name not in valid:
                return _graph_error(
                    400, f"(#100) metric[{index}] must be one of the following values: {', '.join(valid)}", 100
                )
        return None if metrics else _graph_error(400, "(#100) The parameter metric is required", 100)

    def _permission_denied(self, account_id: str) -> bool:
        return (
            self.sandbox.faults.take_for(FAULT_PLATFORM, "account_permission_denied", "account", account_id) is not None
        )


def _posted_before_business_error() -> Response:
    return Response.json(
        400,
        {
            "error": {
                "message": "Invalid parameter",
                "type": "OAuthException",
                "code": 100,
                "error_data": {"blame_field_specs": [[""]]},
                "error_subcode": 2108006,
                "is_transient": False,
                "error_user_title": "Media posted before business account conversion",
                "error_user_msg": "The media was posted before the most recent time that the user's account was converted to a business account from a personal account.",
                "fbtrace_id": "AsandboxTrace0001",
            }
        },
    )


def _names(value: str | None) -> list[str]:
    """A list parameter as the SDK sends it (JSON, '["a","b"]') or as written by hand ('a,b')."""
    return [name for name in (value or "").strip("[]").replace('"', "").split(",") if name]


def _pick(values: dict, fields: str | None, known: tuple[str, ...]) -> dict:
    """The fields asked for (Graph answers only those, and always the id)."""
    asked = _names(fields) or ["id"]
    return {"id": values["id"], **{name: values[name] for name in asked if name in known and name in values}}


def _media_fields(item: Media) -> dict:
    return {
        "id": item.id,
        "caption": item.caption,
        "media_type": item.media_type,
        "media_product_type": item.media_product_type,
        "permalink": item.permalink,
        "shortcode": item.shortcode,
        "timestamp": item.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
    }


def _unique_over_days(daily_reach: list[int]) -> int:
    """Accounts reached over several days: the same people come back, so less than the sum of the days."""
    if not daily_reach:
        return 0
    return int(max(daily_reach) + 0.35 * (sum(daily_reach) - max(daily_reach)))


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"media:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    """Where the page after `cursor` starts; opaque to the client, as Graph's cursors are."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError(cursor) from None
    if not text.startswith("media:"):
        raise ValueError(cursor)
    return int(text.removeprefix("media:")) + 1


# What the sandbox server mounts for this platform (connectors/sandbox/server.py).
API = InstagramApi

"""Instagram professional accounts (followers, reach, views, media) through the official facebook-business SDK.

Three reads per account, each through the SDK's ``IGUser`` / ``IGMedia`` objects:

- ``SOURCE``, one row per account and day: ``IGUser(id).get_insights`` with ``metric_type=total_value``.
  A total_value metric is ONE value for the whole since..until range, and reach over a range counts each account
  once, so a day's figure needs a one-day range: one request per day for ACCOUNT_METRICS and one for
  ``follows_and_unfollows`` with ``breakdown=follow_type`` (FOLLOWER = follows, NON_FOLLOWER = unfollows), as
  Airbyte's user_insights steps one day per request (``step: P1D``, github.com/airbytehq/airbyte,
  airbyte-integrations/connectors/source-instagram/manifest.yaml). The day's requests travel 50 to an HTTP call in
  Graph's batch requests (``OrganicGraphClient._call_batched``), as do the media items' below: two years of an
  account are 31 round trips instead of 1,460. ``since`` / ``until`` are Unix timestamps and
  the account's days are Pacific days, as for Facebook Pages (daily values end at "...T08:00:00+0000" in January,
  github.com/sns-sdks/python-facebook/issues/55, and at "...T07:00:00+00:00" in March, github.com/airbytehq/
  airbyte/issues/1814; "periods ending on UTC−07:00", developers.facebook.com/docs/instagram-api/reference/
  ig-user/insights).
- ``POSTS_SOURCE``, one row per media item published in the window with its LIFETIME figures as of the fetch:
  ``IGUser(id).get_media`` (newest first, cursor paging, stopped at the first page reaching older media), then
  ``IGMedia(id).get_insights`` per item, asking only the metrics its ``media_product_type`` has
  (MEDIA_METRICS_BY_PRODUCT_TYPE). A metric an item has not is NULL, never 0: Instagram answers "an empty data set
  instead of 0" where it has no figure (Media Insights reference, "Limitations"). A metric refused anyway for one
  item (code 100, "The Media Insights API does not support the views metric for this media product type", as
  production answers show for some Reels) is dropped and the item read again without it; media posted before the
  account became a business account (code 100, subcode 2108006) are listed with their own fields and no figures,
  as Airbyte skips them (github.com/airbytehq/airbyte/pull/26599; the error in github.com/airbytehq/airbyte/
  issues/1814), and counted in the log.
- ``STORIES_SOURCE``, one row per story, kept after it expires: ``IGUser(id).get_stories`` lists the account's
  stories of the last 24 hours ("Stories are only available for 24 hours", developers.facebook.com/documentation/
  instagram-platform/instagram-graph-api/reference/ig-user/stories, "Limitations"; the `/media` edge lists no
  stories), with the media fields, then each story's insights with STORY's metric set ("Story media metrics are only
  available for 24 hours", Media Insights reference, "Limitations"). Airbyte's source-instagram likewise reads a
  ``stories`` stream from ``/{ig-user-id}/stories`` (cursor paging, ``after`` / ``limit`` 100) and a
  ``story_insights`` stream per story, as they are live (manifest.yaml above). A story read tonight is in no later
  answer, so the table is a snapshot table (KeepSnapshots, keyed by account and media id): a story read again
  while still live takes its newer figures, one no longer listed keeps its last.
- ``fetch_follower_totals``: the account's ``followers_count`` now (an IG User field), for the nightly snapshot;
  Instagram keeps no follower history worth the name (``follower_count`` is 30 days at most and absent under 100
  followers, developers.facebook.com/documentation/instagram-platform/api-reference/instagram-user/insights).

Errors, as in ``facebook_pages/client.py`` (classified in ``graph/organic.py``): a retired metric fails the whole request with code 100 "(#100) metric[<i>]
must be one of the following values: ..." (github.com/janu-software/facebook-php-sdk/issues/17): the connector
names the refused metric and its replacement (RETIRED_METRICS). A token without ``instagram_basic`` /
``instagram_manage_insights`` (code 10, 200-299) fails that account only; an expired token (190) names the setting.
Throttling and transient errors are retried as in ``meta_ads/client.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import logging
import os
import re
import warnings
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from typing import cast

from facebook_business.adobjects.igmedia import IGMedia
from facebook_business.adobjects.iguser import IGUser
from facebook_business.api import Cursor
from facebook_business.exceptions import FacebookRequestError

from connectors import clock
from connectors.errors import MalformedPayloadError, PlatformConfigError
from connectors.facebook_pages.client import PAGE_TASK_ADVICE
from connectors.graph import MAX_REQUESTS_PER_BATCH
from connectors.graph.organic import (
    DEFAULT_GRAPH_URL,
    TOKEN_SETTINGS,
    BatchedRequest,
    OrganicGraphClient,
    ids_and_token,
)
from connectors.platform import (
    AccessCheck,
    RecordSlice,
    check_slices,
    fetch_slices,
)
from connectors.retry import Backoff

PLATFORM = "instagram"
PERMISSIONS = "instagram_basic and instagram_manage_insights"

# The metrics read, and the column each lands in. Checked for Graph API v26.0 (facebook-business 26.0.x) against
# the Instagram Account Insights and Media Insights references (developers.facebook.com/documentation/
# instagram-platform/api-reference/instagram-user/insights and .../reference/instagram-media/insights, updated
# June 2026): `impressions` retired for all versions on 2025-04-21 "Introducing the new views metric with
# total_value metric type"; on media `plays`, `clips_replays_count`, `ig_reels_aggregated_all_plays_count`,
# `impressions` and `video_views` retired the same way.
METRICS_CHECKED_FOR_GRAPH_VERSION = "v26.0"
# Account metrics per day, all asked with metric_type=total_value in one request.
ACCOUNT_METRICS = {
    "reach": "reach",  # unique accounts that day: never summed across days
    "views": "views",
    "profile_views": "profile_views",
    "accounts_engaged": "accounts_engaged",
    "total_interactions": "total_interactions",
}
# Follows and unfollows: one metric broken down by follow_type, asked alone.
FOLLOWS_METRIC = "follows_and_unfollows"
FOLLOW_TYPE_COLUMNS = {"FOLLOWER": "follows", "NON_FOLLOWER": "unfollows"}
# Media metrics, lifetime.
MEDIA_METRICS = {
    "views": "views",
    "reach": "reach",
    "likes": "likes",
    "comments": "comments",
    "saved": "saves",
    "shares": "shares",
    "total_interactions": "total_interactions",
}
# The media metrics each media_product_type has, from the Media Insights reference's metric table (developers.
# facebook.com/documentation/instagram-platform/reference/instagram-media/insights, "Metrics": `views` "for FEED,
# STORY, and REELS media product types"; likes, comments and saved are FEED and REELS metrics, not STORY ones).
# Airbyte's source-instagram likewise asks a metric list per media_product_type / media_type (manifest.yaml,
# MediaInsights `metric`: REELS, VIDEO on FEED, CAROUSEL_ALBUM and the rest apart). A product type not listed here
# (AD, or one Meta adds) is asked every metric, and what Instagram refuses for it is dropped item by item.
STORY_METRICS = ("views", "reach", "shares", "total_interactions")
MEDIA_METRICS_BY_PRODUCT_TYPE = {
    "FEED": tuple(MEDIA_METRICS),
    "REELS": tuple(MEDIA_METRICS),
    "STORY": STORY_METRICS,
}
# How Instagram refuses a metric one item has not (code 100): "(#100) The Media Insights API does not support the
# impressions, replies metric for this media product type." and "(#100) The metric shares is not supported for this
# media type" (github.com/exileum/meta-mcp/issues/120).
REFUSED_FOR_ITEM = (
    re.compile(r"does not support the ([a-z_, ]+?) metrics? for this media"),
    re.compile(r"The metrics? ([a-z_, ]+?) (?:is|are) not supported for this media"),
)
# Media posted before the account last became a business account have no insights: code 100, subcode 2108006,
# "Media posted before business account conversion" (github.com/airbytehq/airbyte/issues/1814).
POSTED_BEFORE_BUSINESS_SUBCODE = 2108006
# Metrics Meta retired, and what replaced them: named in the error when an old list asks for one.
RETIRED_METRICS = {
    "impressions": "views",
    "plays": "views",
    "video_views": "views",
    "clips_replays_count": "views",
    "ig_reels_aggregated_all_plays_count": "views",
    # Retired for all versions on 2025-01-08 (v21.0 changelog): the taps on the profile's contact buttons.
    "email_contacts": "profile_links_taps",
    "phone_call_clicks": "profile_links_taps",
    "text_message_clicks": "profile_links_taps",
    "get_directions_clicks": "profile_links_taps",
}
NOT_ENOUGH_VIEWERS = "Not enough viewers"
INVALID_METRIC_MESSAGE = re.compile(r"metric\[(\d+)\] must be one of the following values")
# Account insights days end at midnight Pacific time (see the module docstring).
INSIGHTS_DAY_ZONE = zoneinfo.ZoneInfo("America/Los_Angeles")
MEDIA_FIELDS = ["id", "timestamp", "media_type", "media_product_type", "permalink", "caption"]
MEDIA_PAGE_SIZE = 100  # as Airbyte's media stream asks (manifest.yaml above)

RAW_COLUMNS = {
    "account_id": "VARCHAR",
    "date": "DATE",
    "follows": "BIGINT",
    "unfollows": "BIGINT",
    "reach": "BIGINT",
    "views": "BIGINT",
    "profile_views": "BIGINT",
    "accounts_engaged": "BIGINT",
    "total_interactions": "BIGINT",
    "raw_row": "JSON",
}
MEDIA_COLUMNS = {
    "account_id": "VARCHAR",
    "media_id": "VARCHAR",
    "published_date": "DATE",
    "published_at": "TIMESTAMP",
    "media_type": "VARCHAR",
    "media_product_type": "VARCHAR",  # FEED, REELS, STORY, AD: which metrics the item has
    "permalink": "VARCHAR",
    "caption": "VARCHAR",
    "views": "BIGINT",
    "reach": "BIGINT",
    "likes": "BIGINT",
    "comments": "BIGINT",
    "saves": "BIGINT",
    "shares": "BIGINT",
    "total_interactions": "BIGINT",
    "raw_row": "JSON",
}


@dataclasses.dataclass(frozen=True)
class InstagramSettings:
    access_token: str = dataclasses.field(repr=False)
    account_ids: tuple[str, ...]
    graph_url: str = DEFAULT_GRAPH_URL
    account_metrics: tuple[str, ...] = tuple(ACCOUNT_METRICS)
    media_metrics: tuple[str, ...] = tuple(MEDIA_METRICS)
    max_throttle_wait_seconds: float = 15 * 60
    backoff: Backoff = Backoff()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> InstagramSettings | None:
        """None without INSTAGRAM_ACCOUNT_IDS; a Page token (else the Meta system-user token) is then required."""
        read = ids_and_token(
            env,
            PLATFORM,
            "INSTAGRAM_ACCOUNT_IDS",
            PERMISSIONS,
            "use the professional account's numeric id (the Page's instagram_business_account, e.g. 17841400000000000), not its @username",
        )
        if read is None:
            return None
        account_ids, token, graph_url = read
        return cls(access_token=token, account_ids=account_ids, graph_url=graph_url)


log = logging.getLogger(__name__)


class _MetricsRefusedForItem(Exception):
    """Instagram refused these metrics for one item (not for the account): read it again without them."""

    def __init__(self, metrics: tuple[str, ...]):
        super().__init__(", ".join(metrics))
        self.metrics = metrics


class _PostedBeforeBusiness(Exception):
    """The item was posted before the account became a business account: Instagram has no insights for it."""


def media_metrics_for(media: Mapping, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The metrics of `wanted` that an item of this media_product_type has (all of them for a type not known)."""
    has = MEDIA_METRICS_BY_PRODUCT_TYPE.get(str(media.get("media_product_type")), wanted)
    return tuple(name for name in wanted if name in has)


class InstagramClient(OrganicGraphClient):
    """Reads Instagram account and media insights; `sleep` is the clock it waits with (tests record instead)."""

    PLATFORM = PLATFORM
    NOUN = "Instagram account"
    PERMISSIONS = PERMISSIONS
    PERMISSION_ADVICE = "a token from a user with a task on the Facebook Page this account is connected to"
    # An Instagram professional account's insights are read through the Facebook Page it is connected to: the
    # token's user needs the Page's task, as for the Page's own insights.
    TASK_ADVICE = PAGE_TASK_ADVICE.replace("this Page", "the Facebook Page this account is connected to")

    def retired_metric_error(
        self, account_id: str, message: str, metrics: tuple[str, ...]
    ) -> PlatformConfigError | None:
        """Meta names the refused metric by its position in the request (`metric[<i>]`)."""
        refused = INVALID_METRIC_MESSAGE.search(message)
        return None if refused is None else _retired_metric_error(account_id, metrics, int(refused.group(1)))

    def daily_insights(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """One record per day of [since, until] that Instagram has figures for: two requests a day, sent 50 to an
        HTTP call in Graph's batch requests (the days' totals, then their follows)."""
        totals_metrics = self.settings.account_metrics
        days = [since + dt.timedelta(days=offset) for offset in range((until - since).days + 1)]
        totals = self._call_batched(
            account_id, [self._insights_request(account_id, totals_metrics, day) for day in days], totals_metrics
        )
        follows = self._call_batched(
            account_id,
            [self._insights_request(account_id, (FOLLOWS_METRIC,), day, "follow_type") for day in days],
            (FOLLOWS_METRIC,),
        )
        for day, day_totals, day_follows in zip(days, totals, follows, strict=True):
            entries = _insights_entries(day_totals, account_id, str(day)) + _insights_entries(
                day_follows, account_id, str(day)
            )
            record = parse_account_day(entries, account_id, day)
            if record is not None:
                yield record

    def _insights_request(self, account_id: str, metrics, day: dt.date, breakdown: str | None = None) -> BatchedRequest:
        """The day's account insights as a request to put in a batch."""

        def add(batch, success, failure):
            with warnings.catch_warnings():
                # The SDK's enum of metrics lists the media metrics only, and warns about any account metric.
                warnings.filterwarnings("ignore", message="value of metric might not be compatible")
                IGUser(account_id, api=self._api).get_insights(
                    params=_insights_params(metrics, day, breakdown), batch=batch, success=success, failure=failure
                )

        return add

    def media_insights(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """One record per media item published on [since, until] (UTC days), with its lifetime figures now."""
        yield from self._with_insights(account_id, self._media_published(account_id, since, until), f"{since}..{until}")

    def live_stories(self, account_id: str, *_window) -> Iterator[dict]:
        """One record per story the account has live now (whatever the window: Instagram lists only the last 24
        hours), with its figures so far."""
        yield from self._with_insights(account_id, self._stories_live(account_id), "the last 24 hours")

    def _with_insights(self, account_id: str, listed: Iterator[dict], period: str) -> Iterator[dict]:
        """Each listed item as a record with the insights its type has, read 50 items at a time in Graph's batch
        requests; items posted before the business conversion are listed without figures and counted in the log."""
        before_business = 0
        for chunk in _chunks(listed, MAX_REQUESTS_PER_BATCH):
            for media, entries in zip(chunk, self._chunk_insights(account_id, chunk), strict=True):
                if isinstance(entries, _PostedBeforeBusiness):
                    before_business += 1
                    entries = None
                yield parse_media(media, entries, account_id)
        if before_business:
            log.warning(
                "Instagram account %s: %d media item(s) of %s were posted before the account became a business "
                "account; Instagram has no insights for them (code 100, subcode %d), so they are listed without figures.",
                account_id,
                before_business,
                period,
                POSTED_BEFORE_BUSINESS_SUBCODE,
            )

    def _chunk_insights(self, account_id: str, chunk: list[dict]) -> list[list[dict] | None | _PostedBeforeBusiness]:
        """Each item's insights entries (None: Instagram shows none for it; _PostedBeforeBusiness: it has none),
        one batch per set of metrics (items of one media_product_type share theirs). An item whose type has no
        metric asked has none to read: every figure stays NULL."""
        outcomes: list[list[dict] | None | _PostedBeforeBusiness] = [[] for _ in chunk]
        by_metrics: dict[tuple[str, ...], list[int]] = {}
        for index, media in enumerate(chunk):
            if metrics := media_metrics_for(media, self.settings.media_metrics):
                by_metrics.setdefault(metrics, []).append(index)
        for metrics, indices in by_metrics.items():
            answers = self._call_batched(
                account_id,
                [self._media_request(chunk[index]["id"], metrics) for index in indices],
                metrics,
                item_error=lambda error, m=metrics: _about_the_item(error, m),
            )
            for index, answer in zip(indices, answers, strict=True):
                outcomes[index] = self._item_outcome(account_id, chunk[index], metrics, answer)
        return outcomes

    def _item_outcome(
        self, account_id: str, media: Mapping, metrics: tuple[str, ...], answer
    ) -> list[dict] | None | _PostedBeforeBusiness:
        """What an item's answer in a batch says: its entries, or its own refusal; a metric refused for this item
        alone is dropped and the item read again without it."""
        try:
            if not isinstance(answer, FacebookRequestError):
                return _insights_entries(answer, account_id, f"media {media.get('id')}")
            return _item_refusal(answer, metrics)
        except _PostedBeforeBusiness as posted_before:
            return posted_before
        except _MetricsRefusedForItem as refused:
            self._log_refused(media, refused)
            try:
                return self._item_insights(
                    account_id, media, tuple(name for name in metrics if name not in refused.metrics)
                )
            except _PostedBeforeBusiness as posted_before:
                return posted_before

    def _item_insights(self, account_id: str, media: Mapping, metrics: tuple[str, ...]) -> list[dict] | None:
        """The item's insights entries for `metrics`, read alone; a metric Instagram refuses for this item is
        dropped and the item read again without it (at most once per metric)."""
        while metrics:
            try:
                return self._call(account_id, lambda m=metrics: self._media_metrics(media["id"], m), metrics)
            except _MetricsRefusedForItem as refused:
                self._log_refused(media, refused)
                metrics = tuple(name for name in metrics if name not in refused.metrics)
        return []  # no metric left that this item has: every figure stays NULL

    @staticmethod
    def _log_refused(media: Mapping, refused: _MetricsRefusedForItem) -> None:
        log.info(
            "Instagram media %s (%s/%s): Instagram has no %s for it; read again without",
            media["id"],
            media.get("media_type"),
            media.get("media_product_type"),
            refused,
        )

    def _media_request(self, media_id: str, metrics: tuple[str, ...]) -> BatchedRequest:
        """The item's lifetime insights as a request to put in a batch."""

        def add(batch, success, failure):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="value of metric might not be compatible")
                IGMedia(media_id, api=self._api).get_insights(
                    params={"metric": list(metrics)}, batch=batch, success=success, failure=failure
                )

        return add

    def follower_total(self, account_id: str, *_window) -> Iterator[dict]:
        """The account's follower total now (whatever the window), as one record; a failure leaves when the
        record is asked for."""
        node = self._call(account_id, lambda: self._user_fields(account_id, ["id", "followers_count"]))
        followers = node.get("followers_count")
        if not isinstance(followers, int) or isinstance(followers, bool):
            raise MalformedPayloadError(
                PLATFORM,
                f"Meta returned no followers_count for Instagram account {account_id} ({followers!r}): is it a professional (business or creator) account?",
                account_id,
            )
        yield {"followers": followers, "raw_row": json.dumps(node, separators=(",", ":"), sort_keys=True)}

    def check_account(self, account_id: str) -> None:
        """One cheap call needing the same permissions as a sync: yesterday's reach."""
        yesterday = clock.yesterday()
        self._call(account_id, lambda: self._account_insights(account_id, ("reach",), yesterday), ("reach",))

    def _account_insights(self, account_id: str, metrics, day: dt.date) -> list[dict]:
        with warnings.catch_warnings():
            # The SDK's enum of metrics lists the media metrics only, and warns about any account metric.
            warnings.filterwarnings("ignore", message="value of metric might not be compatible")
            # Neither batched nor pending: the SDK returns a Cursor over the answer.
            cursor = cast(Cursor, IGUser(account_id, api=self._api).get_insights(params=_insights_params(metrics, day)))
        return [cursor[index].export_all_data() for index in range(len(cursor))]

    def _media_metrics(self, media_id: str, metrics) -> list[dict] | None:
        """The item's lifetime insights; None when Instagram shows none for it (too few viewers)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="value of metric might not be compatible")
            try:
                cursor = cast(Cursor, IGMedia(media_id, api=self._api).get_insights(params={"metric": list(metrics)}))
            except FacebookRequestError as error:
                return _item_refusal(error, metrics)
        return [cursor[index].export_all_data() for index in range(len(cursor))]

    def _user_fields(self, account_id: str, fields: list[str]) -> dict:
        # Neither batched nor pending: the SDK returns the node read, whose data is the fields' object.
        return cast(dict, cast(IGUser, IGUser(account_id, api=self._api).api_get(fields=fields)).export_all_data())

    def _media_published(self, account_id: str, since: dt.date, until: dt.date) -> Iterator[dict]:
        """The account's media published on [since, until], newest first; no page is asked past the window."""
        cursor = self._call(
            account_id,
            lambda: IGUser(account_id, api=self._api).get_media(fields=MEDIA_FIELDS, params={"limit": MEDIA_PAGE_SIZE}),
        )
        while True:
            page = [cursor[index].export_all_data() for index in range(len(cursor))]
            days = [published_at(media, account_id).date() for media in page]
            yield from (media for media, day in zip(page, days, strict=True) if since <= day <= until)
            if not page or min(days) < since or not self._call(account_id, cursor.load_next_page):
                return

    def _stories_live(self, account_id: str) -> Iterator[dict]:
        """The account's stories of the last 24 hours, every page of them (cursor paging as on `/media`)."""
        cursor = self._call(
            account_id,
            lambda: IGUser(account_id, api=self._api).get_stories(
                fields=MEDIA_FIELDS, params={"limit": MEDIA_PAGE_SIZE}
            ),
        )
        while True:
            page = [cursor[index].export_all_data() for index in range(len(cursor))]
            # The edge lists stories only; said on the record too, should an answer leave the field out.
            yield from ({**media, "media_product_type": media.get("media_product_type") or "STORY"} for media in page)
            if not page or not self._call(account_id, cursor.load_next_page):
                return


def _insights_params(metrics, day: dt.date, breakdown: str | None = None) -> dict:
    """The parameters of one Pacific day's total_value account insights (see the module docstring)."""
    start = dt.datetime.combine(day, dt.time(), INSIGHTS_DAY_ZONE)
    params = {
        "metric": list(metrics),
        "period": ["day"],
        "metric_type": "total_value",
        "since": int(start.timestamp()),
        # One day (23 or 25 hours when the clocks change): a total_value covers the whole range.
        "until": int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), INSIGHTS_DAY_ZONE).timestamp()),
    }
    if breakdown:
        params["breakdown"] = [breakdown]
    return params


def _insights_entries(answer, account_id: str, what: str) -> list[dict]:
    """The `data` entries of an insights answer read in a batch (a JSON object, not the SDK's Cursor); `what` the
    answer was for (a day, a media item), for the error."""
    entries = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise _malformed(account_id, f"the insights answer for {what} has no list of metrics")
    return entries


def _about_the_item(error: FacebookRequestError, metrics: tuple[str, ...]) -> bool:
    """Whether a media item's error is about that item (see `_item_refusal`), not about the token or account."""
    code, subcode = error.api_error_code(), error.api_error_subcode()
    if code == 10:
        return NOT_ENOUGH_VIEWERS in (error.api_error_message() or "")
    return code == 100 and (subcode == POSTED_BEFORE_BUSINESS_SUBCODE or bool(_refused_for_item(error, metrics)))


def _item_refusal(error: FacebookRequestError, metrics) -> None:
    """None when Instagram shows no insights for the item; the item's other refusals as their exceptions; any
    other error raised as it is."""
    # Code 10 "(#10) Not enough viewers for the media to show insights" (Media Insights reference, "Limitations") is
    # about this item, not the token: its figures stay empty, the account loads.
    if error.api_error_code() == 10 and NOT_ENOUGH_VIEWERS in (error.api_error_message() or ""):
        return None
    if error.api_error_code() == 100 and error.api_error_subcode() == POSTED_BEFORE_BUSINESS_SUBCODE:
        raise _PostedBeforeBusiness() from None
    if error.api_error_code() == 100 and (refused := _refused_for_item(error, metrics)):
        raise _MetricsRefusedForItem(refused) from None
    raise error


def _chunks(items: Iterator[dict], size: int) -> Iterator[list[dict]]:
    """`items` in lists of `size` (the last one shorter), read lazily."""
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def _refused_for_item(error: FacebookRequestError, asked: tuple[str, ...]) -> tuple[str, ...]:
    """The metrics of `asked` a code-100 answer says this one item has not; () when it is another refusal."""
    message = error.api_error_message() or ""
    for pattern in REFUSED_FOR_ITEM:
        if found := pattern.search(message):
            named = {name.strip() for name in found.group(1).split(",")}
            return tuple(name for name in asked if name in named)
    return ()


def _retired_metric_error(account_id: str, metrics: tuple[str, ...], index: int) -> PlatformConfigError:
    """Meta names the refused metric by its position in the request; known retired ones are named with it."""
    refused = [metrics[index]] if index < len(metrics) else []
    refused += [name for name in metrics if name in RETIRED_METRICS and name not in refused]
    named = ", ".join(
        f"{name} (use {RETIRED_METRICS[name]})" if name in RETIRED_METRICS else f"{name} (no replacement known)"
        for name in refused
    )
    return PlatformConfigError(
        PLATFORM,
        f"Meta no longer serves the Instagram insights metric {named or ', '.join(metrics)} for Instagram account {account_id}. Update ACCOUNT_METRICS / MEDIA_METRICS in connectors/instagram/client.py from Meta's Instagram Platform changelog (checked for Graph {METRICS_CHECKED_FOR_GRAPH_VERSION}).",
        account_id,
    )


def _malformed(account_id: str, what: str) -> MalformedPayloadError:
    return MalformedPayloadError(
        PLATFORM, f"Meta returned malformed Instagram insights for Instagram account {account_id} ({what}).", account_id
    )


def _whole_number(value, name: str, account_id: str) -> int:
    if not isinstance(value, int | float) or isinstance(value, bool) or value != int(value):
        raise _malformed(account_id, f"{name} value {value!r} is not a whole number")
    return int(value)


def parse_account_day(entries: Sequence[Mapping], account_id: str, day: dt.date) -> dict | None:
    """One day's total_value entries as one record (see RAW_COLUMNS); None when Instagram has no data for the day."""
    if not entries:
        return None
    values: dict[str, object] = {}
    # A metric the day's answer leaves out is NULL, not 0: Instagram "returns an empty data set instead of 0"
    # where it has no figure (Account Insights reference, "Limitations").
    record = {"account_id": account_id, "date": day.isoformat(), **dict.fromkeys(FOLLOW_TYPE_COLUMNS.values())}
    record.update(dict.fromkeys(ACCOUNT_METRICS.values()))
    for entry in entries:
        name, total = entry.get("name"), entry.get("total_value")
        if not isinstance(total, Mapping) or (name != FOLLOWS_METRIC and name not in ACCOUNT_METRICS):
            raise _malformed(account_id, f"unexpected metric {name!r} without a total_value on {day}")
        if name == FOLLOWS_METRIC:
            values[name] = breakdown = _follow_types(total, account_id)
            for kind, column in FOLLOW_TYPE_COLUMNS.items():
                # within a breakdown Instagram did give, a follow type left out had nobody
                record[column] = _whole_number(breakdown.get(kind, 0), f"{name} {kind}", account_id)
        else:
            values[name] = record[ACCOUNT_METRICS[name]] = _whole_number(total.get("value", 0), name, account_id)
    record["raw_row"] = json.dumps(values, separators=(",", ":"), sort_keys=True)
    return record


def _follow_types(total: Mapping, account_id: str) -> dict[str, object]:
    """{"FOLLOWER": n, "NON_FOLLOWER": m, ...} from a follow_type breakdown."""
    counts: dict[str, object] = {}
    for breakdown in total.get("breakdowns") or []:
        if breakdown.get("dimension_keys") != ["follow_type"]:
            raise _malformed(account_id, f"unexpected breakdown {breakdown.get('dimension_keys')!r}")
        for result in breakdown.get("results") or []:
            dimension = result.get("dimension_values") or [None]
            counts[str(dimension[0])] = result.get("value", 0)
    return counts


def published_at(media: Mapping, account_id: str) -> dt.datetime:
    """The media's `timestamp` ("2019-04-05T07:56:32+0000") in UTC."""
    try:
        return dt.datetime.strptime(str(media.get("timestamp")), "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.UTC)
    except ValueError:
        raise _malformed(account_id, f"media timestamp {media.get('timestamp')!r} is not a timestamp") from None


def parse_media(media: Mapping, entries: Sequence[Mapping] | None, account_id: str) -> dict:
    """A media item and its lifetime insights as one record (see MEDIA_COLUMNS). A metric Instagram gave no value
    for is NULL, never 0 ("the API returns an empty data set instead of 0", Media Insights reference,
    "Limitations"): so are those the item's type has not, and all of them when Instagram shows no insights for
    the item (`entries` None: too few viewers, or posted before the account became a business account)."""
    moment = published_at(media, account_id)
    insights = {}
    for entry in entries or []:
        name, values = entry.get("name"), entry.get("values")
        if name not in MEDIA_METRICS or not isinstance(values, list) or len(values) != 1:
            raise _malformed(account_id, f"media {media.get('id')}: unexpected metric {name!r} / values {values!r}")
        insights[name] = _whole_number(values[0].get("value", 0), name, account_id)
    record = {
        "account_id": account_id,
        "media_id": str(media.get("id")),
        "published_date": moment.date().isoformat(),
        "published_at": moment.replace(tzinfo=None).isoformat(sep=" "),
        "media_type": media.get("media_type"),
        "media_product_type": media.get("media_product_type"),
        "permalink": media.get("permalink"),
        "caption": media.get("caption"),
    }
    record.update({column: insights.get(metric) for metric, column in MEDIA_METRICS.items()})
    record["raw_row"] = json.dumps(
        {"media": dict(media), "insights": insights}, separators=(",", ":"), sort_keys=True, ensure_ascii=False
    )
    return record


def fetch_window(settings: InstagramSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured account's daily rows for [since, until], one account at a time: one failure spares the rest."""
    return fetch_slices(InstagramClient(settings), settings.account_ids, InstagramClient.daily_insights, since, until)


def fetch_media_window(settings: InstagramSettings, since: dt.date, until: dt.date) -> Iterator[RecordSlice]:
    """Every configured account's media published on [since, until], with their lifetime figures as of now."""
    return fetch_slices(InstagramClient(settings), settings.account_ids, InstagramClient.media_insights, since, until)


def fetch_live_stories(settings: InstagramSettings, _since: dt.date, _until: dt.date) -> Iterator[RecordSlice]:
    """Every configured account's stories live now, with their figures so far, whatever days the run covers."""
    return fetch_slices(InstagramClient(settings), settings.account_ids, InstagramClient.live_stories, None, None)


def fetch_follower_totals(settings: InstagramSettings) -> Iterator[RecordSlice]:
    """(account id, one record {"followers", "raw_row"}) per account: its follower total now, for the snapshot."""
    return fetch_slices(InstagramClient(settings), settings.account_ids, InstagramClient.follower_total, None, None)


def check_access(settings: InstagramSettings) -> Iterator[AccessCheck]:
    """(account id, None) for each account whose insights the token can read, (account id, what to fix) otherwise."""
    return check_slices(lambda: InstagramClient(settings), settings.account_ids, InstagramClient.check_account)


SETTING_NAMES = ("INSTAGRAM_ACCOUNT_IDS", *TOKEN_SETTINGS, "META_GRAPH_URL")
CREDENTIALS_HINT = "INSTAGRAM_ACCOUNT_IDS and META_PAGE_ACCESS_TOKEN (or META_ACCESS_TOKEN)"

"""The advertiser's Instagram professional accounts: what happened on them each day, and what they published.

One Instagram account per Meta ad account (the account its ads run on, as with the Facebook Pages in
``organic_figures.py``). Each day's follows and unfollows are drawn first and the follower total is their running
sum from the start of the account's history, so the three always agree; reach (unique accounts, never summed),
views, profile views, accounts engaged and total interactions follow the day's followers, season and posts.

Media: ``organic_figures.posts_published`` says how many items an account published each day. Each item has FINAL
lifetime figures, and what the API shows is the share of them gathered so far (``organic_figures.accrued_share``):
``Sandbox.restate()`` adds a day of late engagement to media younger than a week and never moves older media.

Stories: each account publishes one story in each half of every UTC day (so any 24 hours hold at least one), live
for 24 hours from its publication. Its figures are final from the start (views, reach, shares and replies; a story
has no likes, comments or saves), so that a test's truth does not depend on the second it is computed; what moves
with the clock is which stories are live (``stories_live``, by ``clock.now()``).

The figures depend only on (seed, account, day), like the paid figures in ``advertiser.py``. ``instagram.py``
words them as the Graph API's Instagram endpoints do; tests compute their hand truths from the functions below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math

from connectors import clock
from connectors.sandbox.advertiser import SyntheticAdvertiser, seeded_random
from connectors.sandbox.organic_figures import accrued_share, posts_published

CHANNEL = "instagram"
# Instagram keeps insights for two years ("Metrics data is stored for up to 2 years", developers.facebook.com/
# documentation/instagram-platform/reference/instagram-media/insights, "Limitations").
HISTORY_DAYS = 2 * 365
# The second account became a business account (from a personal one) this many days before today: what it posted
# before has no insights (code 100, subcode 2108006, github.com/airbytehq/airbyte/issues/1814). The first account
# was a business account from the start of its history.
CONVERTED_TO_BUSINESS_DAYS_AGO = 45
# (media_type, media_product_type, share of items, how far it travels beyond the followers)
MEDIA_KINDS = (("IMAGE", "FEED", 0.45, 1.0), ("CAROUSEL_ALBUM", "FEED", 0.25, 1.3), ("VIDEO", "REELS", 0.30, 2.6))
# Stories are photos or videos (media_type IMAGE or VIDEO, media_product_type STORY); "Stories are only available for
# 24 hours" (developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-user/stories).
STORY_KINDS = (("IMAGE", 0.6), ("VIDEO", 0.4))
STORY_LIFETIME = dt.timedelta(hours=24)
STORY_SLOT = dt.timedelta(hours=12)  # one story in each half of a UTC day
SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
CAPTIONS = (
    "Behind the scenes at {name}",
    "Three tips before the winter season",
    "New this week: {name}",
    "Our team, your questions",
    "Swipe for the details",
    "The season starts here",
)


@dataclasses.dataclass(frozen=True)
class InstagramAccount:
    id: str
    username: str
    name: str
    started_with_followers: int
    # The day the account last became a business account: media published before it have no insights.
    business_since: dt.date


@dataclasses.dataclass(frozen=True)
class AccountDay:
    """One account's day (a Pacific day, as Instagram's account insights count them), as numbers."""

    account: InstagramAccount
    day: dt.date
    followers: int  # at the end of the day
    follows: int
    unfollows: int
    reach: int  # unique accounts: not additive across days
    views: int
    profile_views: int
    accounts_engaged: int
    total_interactions: int


@dataclasses.dataclass(frozen=True)
class Media:
    """One published item and its lifetime figures as of the sandbox's today (after `restatements`)."""

    account: InstagramAccount
    id: str
    published_at: dt.datetime  # UTC
    media_type: str
    media_product_type: str
    shortcode: str
    caption: str
    views: int
    reach: int
    likes: int
    comments: int
    saves: int
    shares: int
    replies: int = 0  # stories only: replies sent to it

    @property
    def published_date(self) -> dt.date:
        return self.published_at.date()

    @property
    def permalink(self) -> str:
        if self.media_product_type == "STORY":
            return f"https://www.instagram.com/stories/{self.account.username}/{self.id}/"
        kind = "reel" if self.media_product_type == "REELS" else "p"
        return f"https://www.instagram.com/{kind}/{self.shortcode}/"

    @property
    def total_interactions(self) -> int:
        return self.likes + self.comments + self.saves + self.shares + self.replies

    @property
    def posted_before_business(self) -> bool:
        """Published while the account was a personal one: Instagram shows no insights for it."""
        return self.published_date < self.account.business_since


def instagram_accounts(advertiser: SyntheticAdvertiser) -> list[InstagramAccount]:
    """The advertiser's Instagram accounts: one per Meta ad account, named after it."""
    rng = seeded_random("instagram_accounts", advertiser.seed)
    accounts = []
    for index, account in enumerate(advertiser.meta_accounts):
        # Instagram professional account ids are 17-digit numbers starting 1784 (e.g. 17841400192320675).
        accounts.append(
            InstagramAccount(
                id=str(17_841_400_000_000_000 + rng.randrange(10**11) * 10 + index),
                username="".join(ch for ch in account.name.lower() if ch.isalnum())[:24] or f"account{index}",
                name=account.name,
                started_with_followers=rng.randint(3_000, 15_000),
                business_since=advertiser.today
                - dt.timedelta(days=CONVERTED_TO_BUSINESS_DAYS_AGO if index == 1 else HISTORY_DAYS),
            )
        )
    return accounts


def instagram_account(advertiser: SyntheticAdvertiser, account_id: str) -> InstagramAccount:
    """The advertiser's account with this id: the server's routes match only their ids."""
    for account in instagram_accounts(advertiser):
        if account.id == account_id:
            return account
    raise LookupError(f"the sandbox advertiser has no Instagram account {account_id}")


def account_days(
    advertiser: SyntheticAdvertiser, account: InstagramAccount, since: dt.date, until: dt.date
) -> list[AccountDay]:
    """The account's days in [since, until] that lie in its history and are over (before today)."""
    history = _history(advertiser.seed, account, advertiser.today)
    return [history[day] for day in _days(since, until) if day in history]


def current_followers(advertiser: SyntheticAdvertiser, account: InstagramAccount) -> int:
    """The account's `followers_count` now: the total at the end of yesterday."""
    return _history(advertiser.seed, account, advertiser.today)[advertiser.today - dt.timedelta(days=1)].followers


def media_of(
    advertiser: SyntheticAdvertiser, account: InstagramAccount, since: dt.date, until: dt.date, restatements: int = 0
) -> list[Media]:
    """The account's media published on [since, until] (UTC days), oldest first, with the figures gathered so far."""
    return [
        _accrued(item, advertiser.today, restatements)
        for item in _final_media(advertiser.seed, account, advertiser.today)
        if since <= item.published_date <= until
    ]


def all_media(advertiser: SyntheticAdvertiser, account: InstagramAccount, restatements: int = 0) -> list[Media]:
    """Every item of the account's history, newest first (the order the `/media` edge lists them in)."""
    items = _final_media(advertiser.seed, account, advertiser.today)
    return [_accrued(item, advertiser.today, restatements) for item in reversed(items)]


def find_media(advertiser: SyntheticAdvertiser, media_id: str, restatements: int = 0) -> Media | None:
    for account in instagram_accounts(advertiser):
        item = _media_by_id(advertiser.seed, account, advertiser.today).get(media_id)
        if item is not None:
            return _accrued(item, advertiser.today, restatements)
    return None


def sandbox_now(advertiser: SyntheticAdvertiser) -> dt.datetime:
    """The present moment on the advertiser's calendar: `clock.now()` in UTC, on the advertiser's day when a test
    pinned another one."""
    return clock.now(dt.UTC) + (advertiser.today - clock.today())


def stories_live(advertiser: SyntheticAdvertiser, account: InstagramAccount, at: dt.datetime) -> list[Media]:
    """The account's stories live at `at` (published in the 24 hours before it), newest first, as `/stories` lists."""
    return [
        item
        for item in _stories_around(advertiser.seed, account, at.date())
        if at - STORY_LIFETIME < item.published_at <= at
    ][::-1]


def find_story(advertiser: SyntheticAdvertiser, media_id: str, at: dt.datetime) -> Media | None:
    """The story with this id if one of the advertiser's accounts has it live at `at`."""
    for account in instagram_accounts(advertiser):
        for item in stories_live(advertiser, account, at):
            if item.id == media_id:
                return item
    return None


def _stories_around(seed: int, account: InstagramAccount, day: dt.date) -> list[Media]:
    """The account's stories published on `day` and the day before (UTC), oldest first."""
    return [story for on in (day - dt.timedelta(days=1), day) for story in _stories_of(seed, account, on)]


@functools.lru_cache(maxsize=64)
def _stories_of(seed: int, account: InstagramAccount, day: dt.date) -> tuple[Media, ...]:
    stories = []
    for slot in range(2):
        rng = seeded_random("instagram_story", seed, account.id, day.isoformat(), slot)
        media_type = rng.choices([kind for kind, _ in STORY_KINDS], [share for _, share in STORY_KINDS])[0]
        reach = int(account.started_with_followers * rng.uniform(0.05, 0.2))
        stories.append(
            Media(
                account=account,
                id=str(17_900_000_000_000_000 + rng.randrange(10**14)),
                published_at=dt.datetime.combine(day, dt.time(), dt.UTC)
                + slot * STORY_SLOT
                + dt.timedelta(seconds=rng.randrange(int(STORY_SLOT.total_seconds()))),
                media_type=media_type,
                media_product_type="STORY",
                shortcode="".join(rng.choice(SHORTCODE_ALPHABET) for _ in range(11)),
                caption=rng.choice(CAPTIONS).format(name=account.name),
                views=int(reach * rng.uniform(1.1, 1.6)),
                reach=reach,
                likes=0,
                comments=0,
                saves=0,
                shares=int(reach * rng.uniform(0.002, 0.01)),
                replies=int(reach * rng.uniform(0.002, 0.02)),
            )
        )
    return tuple(stories)


def _season(day: dt.date) -> float:
    """More activity around the winter season."""
    return 1 + 0.35 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 335) / 365)


@functools.lru_cache(maxsize=16)
def _history(seed: int, account: InstagramAccount, today: dt.date) -> dict[dt.date, AccountDay]:
    total = account.started_with_followers
    history = {}
    for day in _days(today - dt.timedelta(days=HISTORY_DAYS), today - dt.timedelta(days=1)):
        rng = seeded_random("instagram_day", seed, account.id, day.isoformat())
        season = _season(day)
        weekend = 1.25 if day.weekday() >= 5 else 1.0
        follows = int(total * 0.0015 * season * weekend * rng.uniform(0.6, 1.4))
        unfollows = int(follows * rng.uniform(0.2, 0.6))
        total += follows - unfollows
        activity = 1 + 0.6 * posts_published(seed, CHANNEL, account.id, day)
        reach = int(total * rng.uniform(0.05, 0.12) * season * activity)
        views = int(reach * rng.uniform(1.6, 3.2))
        accounts_engaged = int(reach * rng.uniform(0.02, 0.07))
        history[day] = AccountDay(
            account=account,
            day=day,
            followers=total,
            follows=follows,
            unfollows=unfollows,
            reach=reach,
            views=views,
            profile_views=int(reach * rng.uniform(0.01, 0.04)),
            accounts_engaged=accounts_engaged,
            total_interactions=int(accounts_engaged * rng.uniform(1.2, 2.2)),
        )
    return history


@functools.lru_cache(maxsize=16)
def _final_media(seed: int, account: InstagramAccount, today: dt.date) -> tuple[Media, ...]:
    """Every item the account published in its history, oldest first, with its FINAL lifetime figures."""
    history = _history(seed, account, today)
    items = []
    for day in sorted(history):
        for number in range(posts_published(seed, CHANNEL, account.id, day)):
            rng = seeded_random("instagram_media", seed, account.id, day.isoformat(), number)
            media_type, product_type, _share, travel = rng.choices(MEDIA_KINDS, [kind[2] for kind in MEDIA_KINDS])[0]
            reach = int(history[day].followers * rng.uniform(0.15, 0.45) * travel)
            likes = int(reach * rng.uniform(0.03, 0.09))
            items.append(
                Media(
                    account=account,
                    # Media ids are 17-digit numbers (e.g. 17886258890677897); the sandbox's start 179.
                    id=str(17_900_000_000_000_000 + rng.randrange(10**14)),
                    published_at=dt.datetime.combine(day, dt.time(), dt.UTC)
                    + dt.timedelta(seconds=rng.randrange(7 * 3600, 22 * 3600)),
                    media_type=media_type,
                    media_product_type=product_type,
                    shortcode="".join(rng.choice(SHORTCODE_ALPHABET) for _ in range(11)),
                    caption=rng.choice(CAPTIONS).format(name=account.name),
                    views=int(reach * rng.uniform(1.2, 2.5)),
                    reach=reach,
                    likes=likes,
                    comments=int(likes * rng.uniform(0.02, 0.1)),
                    saves=int(likes * rng.uniform(0.05, 0.2)),
                    shares=int(likes * rng.uniform(0.03, 0.15)),
                )
            )
    return tuple(sorted(items, key=lambda item: item.published_at))


@functools.lru_cache(maxsize=16)
def _media_by_id(seed: int, account: InstagramAccount, today: dt.date) -> dict[str, Media]:
    return {item.id: item for item in _final_media(seed, account, today)}


def _accrued(item: Media, today: dt.date, restatements: int) -> Media:
    share = accrued_share(item.published_date, today, restatements)
    return dataclasses.replace(
        item,
        **{
            name: int(getattr(item, name) * share)
            for name in ("views", "reach", "likes", "comments", "saves", "shares")
        },
    )


def _days(since: dt.date, until: dt.date):
    return (since + dt.timedelta(days=offset) for offset in range((until - since).days + 1))

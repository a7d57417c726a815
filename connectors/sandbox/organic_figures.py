"""The advertiser's organic side: its Facebook Pages and what happened on them each day.

One Page per Meta ad account (the Page its ads run from), with a follower total that grows with the
seasons: each day's follows and unfollows are drawn first, and the total is the running sum of
follows minus unfollows from the start of the Page's history, so the three always agree. Views,
viewers (unique people, never summed), post engagements and Page views follow the day's activity.

The figures depend only on (seed, page, day), like the paid figures in ``advertiser.py``: the same
seed always gives the same Pages and the same days, however the API pages or slices the request.
``facebook_pages.py`` words them as the Graph API's Page insights do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math

from connectors.sandbox.advertiser import SyntheticAdvertiser, seeded_random

# How far back a Page's history goes: Meta keeps Page insights for two years.
HISTORY_DAYS = 2 * 365


@dataclasses.dataclass(frozen=True)
class FacebookPage:
    id: str
    name: str
    # The zone whose days Page insights count in: the days end at midnight Pacific time (a daily value's
    # `end_time` is "<next day>T08:00:00+0000" in winter, developers.facebook.com/documentation/pages-api/
    # platforminsights/page, "Limitations").
    timezone: str
    started_with_followers: int


@dataclasses.dataclass(frozen=True)
class PageDay:
    """One Page's real day, as numbers."""

    page: FacebookPage
    day: dt.date
    follows_total: int  # followers at the end of the day
    follows: int
    unfollows: int
    media_views: int
    media_viewers: int  # unique people: not additive across days
    post_engagements: int
    page_views: int


def facebook_pages(advertiser: SyntheticAdvertiser) -> list[FacebookPage]:
    """The advertiser's Pages: one per Meta ad account, named after it."""
    rng = seeded_random("facebook_pages", advertiser.seed)
    return [
        FacebookPage(
            id=str(100_000_000_000_000 + rng.randrange(10**12) * 10 + index),
            name=account.name,
            timezone="America/Los_Angeles",
            started_with_followers=rng.randint(4_000, 20_000),
        )
        for index, account in enumerate(advertiser.meta_accounts)
    ]


def facebook_page(advertiser: SyntheticAdvertiser, page_id: str) -> FacebookPage:
    """The advertiser's Page with this id: the server's routes match only their ids."""
    for page in facebook_pages(advertiser):
        if page.id == page_id:
            return page
    raise LookupError(f"the sandbox advertiser has no Facebook Page {page_id}")


def page_days(advertiser: SyntheticAdvertiser, page: FacebookPage, since: dt.date, until: dt.date) -> list[PageDay]:
    """The Page's days in [since, until] that lie in its history and are over (before today)."""
    history = _history(advertiser.seed, page, advertiser.today)
    return [history[day] for day in _days(since, until) if day in history]


@functools.lru_cache(maxsize=16)
def _history(seed: int, page: FacebookPage, today: dt.date) -> dict[dt.date, PageDay]:
    total = page.started_with_followers
    history = {}
    for day in _days(today - dt.timedelta(days=HISTORY_DAYS), today - dt.timedelta(days=1)):
        rng = seeded_random("facebook_page_day", seed, page.id, day.isoformat())
        # Seasonality: more new followers around the winter season and on weekends.
        season = 1 + 0.35 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 335) / 365)
        weekend = 1.2 if day.weekday() >= 5 else 1.0
        follows = int(total * 0.0012 * season * weekend * rng.uniform(0.6, 1.4))
        unfollows = int(follows * rng.uniform(0.15, 0.55))
        total += follows - unfollows
        media_viewers = int(total * rng.uniform(0.08, 0.2) * season)
        media_views = int(media_viewers * rng.uniform(1.3, 2.4))
        history[day] = PageDay(
            page=page,
            day=day,
            follows_total=total,
            follows=follows,
            unfollows=unfollows,
            media_views=media_views,
            media_viewers=media_viewers,
            post_engagements=int(media_views * rng.uniform(0.01, 0.05)),
            page_views=int(media_viewers * rng.uniform(0.02, 0.06)),
        )
    return history


def _days(since: dt.date, until: dt.date):
    return (since + dt.timedelta(days=offset) for offset in range((until - since).days + 1))


# --- Posts: shared by every organic platform's sandbox ------------------------------------------------------------

# Engagement on a post keeps arriving for about a week after it is published; after that its figures are final.
ENGAGEMENT_ACCRUAL_DAYS = 7


def accrued_share(published: dt.date, today: dt.date, restatements: int = 0) -> float:
    """The share of a post's final figures it has gathered by `today` (the sandbox's today).

    Each `Sandbox.restate()` is one more day of late engagement for the posts still accruing: a post older than
    ENGAGEMENT_ACCRUAL_DAYS is final and never moves, so a restatement changes recent posts and no others.
    """
    age = (today - published).days + restatements
    return min(1.0, 0.5 + 0.5 * max(age, 0) / ENGAGEMENT_ACCRUAL_DAYS)


def posts_published(seed: int, channel: str, account_id: str, day: dt.date) -> int:
    """How many posts an account published on `day`: about three a week, more before the winter season."""
    rng = seeded_random("organic_posts", seed, channel, account_id, day.isoformat())
    season = 1 + 0.3 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 335) / 365)
    chance = 0.42 * season * (0.5 if day.weekday() >= 5 else 1.0)
    return (rng.random() < chance) + (rng.random() < chance / 4)


@dataclasses.dataclass(frozen=True)
class PagePost:
    """A Page post and the figures it has gathered so far (lifetime, as Graph reports them)."""

    page: FacebookPage
    id: str  # "<page id>_<post id>", as Graph writes a Page post's id
    published_at: dt.datetime  # UTC
    message: str
    views: int
    viewers: int  # unique people
    reactions: int
    comments: int
    shares: int
    link_clicks: int | None  # None for a video or Reel: their figures come from the video's insights
    # "status" (text, a photo or a link), "video" or "reel": a video's and a Reel's figures are on the video's
    # `video_insights` edge, not on the post's insights
    kind: str = "status"
    video_id: str | None = None

    @property
    def permalink(self) -> str:
        if self.kind == "reel":
            return f"https://www.facebook.com/reel/{self.video_id}/"
        return f"https://www.facebook.com/{self.page.id}/posts/{self.id.split('_')[1]}"


POST_TOPICS = ("Høstsalg", "Nyhetsbrev", "Kundehistorie", "Webinar", "Bak kulissene", "Tips og triks", "Julegaver")


def page_posts(
    advertiser: SyntheticAdvertiser, page: FacebookPage, since: dt.date, until: dt.date, restatements: int = 0
) -> list[PagePost]:
    """The Page's posts published (UTC day) in [since, until], before today, newest first as Graph lists them."""
    history = _history(advertiser.seed, page, advertiser.today)
    posts = []
    for day in _days(since, min(until, advertiser.today - dt.timedelta(days=1))):
        if day not in history:
            continue
        for number in range(posts_published(advertiser.seed, "facebook", page.id, day)):
            rng = seeded_random("facebook_post", advertiser.seed, page.id, day.isoformat(), number)
            share = accrued_share(day, advertiser.today, restatements)
            viewers = int(history[day].follows_total * rng.uniform(0.05, 0.3))
            final = {
                "views": int(viewers * rng.uniform(1.1, 1.8)),
                "viewers": viewers,
                "reactions": int(viewers * rng.uniform(0.01, 0.06)),
                "comments": int(viewers * rng.uniform(0.001, 0.01)),
                "shares": int(viewers * rng.uniform(0.0, 0.005)),
                "link_clicks": int(viewers * rng.uniform(0.002, 0.02)),
            }
            post_id = f"{page.id}_{day.strftime('%Y%m%d')}{number:02d}{rng.randrange(10**6):06d}"
            published_at = dt.datetime.combine(day, dt.time(7 + rng.randrange(12), rng.randrange(60)), dt.UTC)
            message = f"{rng.choice(POST_TOPICS)}: {page.name}"
            # Drawn apart, so that the kinds leave every other figure as it was: one post in five a Reel, one in
            # ten another video.
            kind_rng = seeded_random("facebook_post_kind", advertiser.seed, post_id)
            kind = kind_rng.choices(("status", "reel", "video"), (0.7, 0.2, 0.1))[0]
            figures = {name: int(value * share) for name, value in final.items()}
            link_clicks = figures.pop("link_clicks")
            posts.append(
                PagePost(
                    page=page,
                    id=post_id,
                    published_at=published_at,
                    message=message,
                    **figures,
                    # a video's insights have no link clicks
                    link_clicks=link_clicks if kind == "status" else None,
                    kind=kind,
                    video_id=None if kind == "status" else str(10**15 + kind_rng.randrange(10**14)),
                )
            )
    return sorted(posts, key=lambda post: post.published_at, reverse=True)


def current_followers(advertiser: SyntheticAdvertiser, page: FacebookPage) -> int:
    """The Page's follower total now: the total at the end of yesterday (today is still under way)."""
    return _history(advertiser.seed, page, advertiser.today)[advertiser.today - dt.timedelta(days=1)].follows_total

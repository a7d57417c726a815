"""The advertiser's LinkedIn organization pages: followers, page-level share statistics and posts, day by day.

Two pages per LinkedIn ad account: the company page its Sponsored Content runs from, and the company's careers
showcase page (LinkedIn's versioned API addresses both as ``urn:li:organization:<id>``). Two, not one, so that a
token that is an ADMINISTRATOR of one page and not of the other can be played.

Followers: each day's organic gains (people who followed without an ad), paid gains (who followed from Sponsored
Content) and losses (who unfollowed) are drawn first; the total at the end of a day is the page's starting total plus
every gain minus every loss since, so the three always agree. LinkedIn reports the gains only
(``organicFollowerGain`` / ``paidFollowerGain``; no loss is reported anywhere, see ``connectors/linkedin_pages/client.py``),
so a sum of reported gains overstates the growth of the total: the total comes from ``networkSizes`` alone.

Page-level figures (impressions, unique impressions, clicks, reactions, comments, shares, engagement) follow the
follower total with winter seasonality and quiet weekends (a B2B audience). Posts: how many a page published each
day is ``organic_figures.posts_published``; each post's FINAL figures are drawn once, and what it has gathered by
the sandbox's today is ``organic_figures.accrued_share`` of them, so ``Sandbox.restate()`` adds late engagement to
the posts of the last week and never moves older ones.

Everything depends only on (seed, page, day), like the rest of the synthetic advertiser; the history ends yesterday
(``advertiser.today`` - 1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math

from connectors.sandbox.advertiser import SyntheticAdvertiser, seeded_random
from connectors.sandbox.organic_figures import accrued_share, posts_published

# More than the rolling 12 months LinkedIn serves statistics for, so the sandbox can refuse what lies beyond.
HISTORY_DAYS = 400
ORGANIZATION_URN = "urn:li:organization:"
COMMENTARY = (
    "Winter is coming to the fjords: our new {item} is built for it.",
    "How we test every {item} on the Hardangervidda before it reaches you.",
    "Meet the team behind the {item}: designers, testers and one very patient dog.",
    "We are hiring! Join us in Bergen and help build the next {item}.",
    "Three ways to make your {item} last another ten winters.",
)
ITEMS = ("shell jacket", "down parka", "trail boot", "wool base layer", "expedition tent")


@dataclasses.dataclass(frozen=True)
class LinkedInOrganization:
    id: str  # digits, as in urn:li:organization:<id>
    name: str
    ad_account_id: str  # the LinkedIn ad account whose advertiser owns the page
    started_with_followers: int

    @property
    def urn(self) -> str:
        return f"{ORGANIZATION_URN}{self.id}"


@dataclasses.dataclass(frozen=True)
class OrganizationDay:
    """One page's real UTC day, as numbers."""

    organization: LinkedInOrganization
    day: dt.date
    organic_follower_gain: int
    paid_follower_gain: int
    follower_losses: int  # not reported by LinkedIn
    followers_total: int  # at the end of the day: the previous total + both gains - losses
    impressions: int
    unique_impressions: int
    clicks: int
    reactions: int
    comments: int
    shares: int

    @property
    def engagement(self) -> float:
        return _engagement(self.impressions, self.clicks, self.reactions, self.comments, self.shares)


@dataclasses.dataclass(frozen=True)
class OrganizationPost:
    """One post as published, with the figures it will have gathered once final."""

    organization: LinkedInOrganization
    urn: str  # urn:li:share:<id> or urn:li:ugcPost:<id>, as the Posts API names it
    published_at: dt.datetime  # UTC
    commentary: str
    final: dict[str, int]  # impressions, unique_impressions, clicks, reactions, comments, shares

    @property
    def published_date(self) -> dt.date:
        return self.published_at.date()

    @property
    def permalink(self) -> str:
        return f"https://www.linkedin.com/feed/update/{self.urn}/"

    def figures(self, today: dt.date, restatements: int = 0) -> dict[str, float]:
        """What the post has gathered by `today` after `restatements` restatements: its lifetime figures then."""
        share = accrued_share(self.published_date, today, restatements)
        gathered = {name: round(value * share) for name, value in self.final.items()}
        engagement = _engagement(
            gathered["impressions"], gathered["clicks"], gathered["reactions"], gathered["comments"], gathered["shares"]
        )
        return {**gathered, "engagement": engagement}


def linkedin_organizations(advertiser: SyntheticAdvertiser) -> list[LinkedInOrganization]:
    """The advertiser's pages: per LinkedIn ad account, its company page and its careers showcase page."""
    rng = seeded_random("linkedin_organizations", advertiser.seed)
    organizations = []
    for account in advertiser.linkedin_accounts:
        for suffix in ("", " Careers"):
            organizations.append(
                LinkedInOrganization(
                    id=str(10_000_000 + rng.randrange(90_000_000)),
                    name=account.name.removesuffix(" B2B") + suffix,
                    ad_account_id=account.id,
                    started_with_followers=rng.randint(2_000, 9_000),
                )
            )
    return organizations


def linkedin_organization(advertiser: SyntheticAdvertiser, organization_id: str) -> LinkedInOrganization | None:
    return next((o for o in linkedin_organizations(advertiser) if o.id == organization_id), None)


def organization_days(
    advertiser: SyntheticAdvertiser, organization: LinkedInOrganization, since: dt.date, until: dt.date
) -> list[OrganizationDay]:
    """The page's days in [since, until] that lie in its history and are over (before today)."""
    history = _history(advertiser.seed, organization, advertiser.today)
    return [history[day] for day in _days(since, until) if day in history]


def follower_total(advertiser: SyntheticAdvertiser, organization: LinkedInOrganization) -> int:
    """The page's followers now: the total at the end of yesterday."""
    return _history(advertiser.seed, organization, advertiser.today)[
        advertiser.today - dt.timedelta(days=1)
    ].followers_total


def organization_posts(
    advertiser: SyntheticAdvertiser, organization: LinkedInOrganization, since: dt.date, until: dt.date
) -> list[OrganizationPost]:
    """The posts the page published on the UTC days [since, until] (up to yesterday), oldest first."""
    history = _history(advertiser.seed, organization, advertiser.today)
    posts = []
    for day in _days(since, until):
        if day not in history:
            continue
        for index in range(posts_published(advertiser.seed, "linkedin", organization.id, day)):
            posts.append(_post(advertiser.seed, history[day], index))
    return sorted(posts, key=lambda post: post.published_at)


def _post(seed: int, day: OrganizationDay, index: int) -> OrganizationPost:
    rng = seeded_random("linkedin_post", seed, day.organization.id, day.day.isoformat(), index)
    # Posts created through the Posts or Shares API are shares, others (the page admin's composer, documents,
    # videos) ugcPosts: the Posts API lists both (learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api).
    kind = "ugcPost" if rng.random() < 0.3 else "share"
    published_at = dt.datetime.combine(day.day, dt.time(), dt.UTC) + dt.timedelta(
        seconds=rng.randint(7 * 3600, 19 * 3600), milliseconds=rng.randrange(1000)
    )
    impressions = int(day.followers_total * rng.uniform(0.08, 0.4))
    reactions = int(impressions * rng.uniform(0.005, 0.03))
    final = {
        "impressions": impressions,
        "unique_impressions": int(impressions * rng.uniform(0.6, 0.85)),
        "clicks": int(impressions * rng.uniform(0.01, 0.04)),
        "reactions": reactions,
        "comments": int(reactions * rng.uniform(0.05, 0.3)),
        "shares": int(reactions * rng.uniform(0.02, 0.15)),
    }
    commentary = rng.choice(COMMENTARY).format(item=rng.choice(ITEMS))
    return OrganizationPost(
        day.organization,
        f"urn:li:{kind}:{7_100_000_000_000_000_000 + rng.randrange(10**17)}",
        published_at,
        commentary,
        final,
    )


@functools.lru_cache(maxsize=16)
def _history(seed: int, organization: LinkedInOrganization, today: dt.date) -> dict[dt.date, OrganizationDay]:
    total = organization.started_with_followers
    history = {}
    for day in _days(today - dt.timedelta(days=HISTORY_DAYS), today - dt.timedelta(days=1)):
        rng = seeded_random("linkedin_organization_day", seed, organization.id, day.isoformat())
        season = 1 + 0.35 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 335) / 365)
        workday = 0.35 if day.weekday() >= 5 else 1.0  # a B2B audience reads LinkedIn at work
        organic = int(total * 0.0015 * season * workday * rng.uniform(0.5, 1.5))
        paid = int(total * 0.0004 * season * workday * rng.uniform(0.0, 1.5))
        losses = int((organic + paid) * rng.uniform(0.1, 0.45))
        total += organic + paid - losses
        impressions = int(total * rng.uniform(0.05, 0.15) * season * workday)
        reactions = int(impressions * rng.uniform(0.005, 0.025))
        history[day] = OrganizationDay(
            organization=organization,
            day=day,
            organic_follower_gain=organic,
            paid_follower_gain=paid,
            follower_losses=losses,
            followers_total=total,
            impressions=impressions,
            unique_impressions=int(impressions * rng.uniform(0.55, 0.8)),
            clicks=int(impressions * rng.uniform(0.005, 0.02)),
            reactions=reactions,
            comments=int(reactions * rng.uniform(0.05, 0.25)),
            shares=int(reactions * rng.uniform(0.02, 0.12)),
        )
    return history


def _engagement(impressions: int, clicks: int, reactions: int, comments: int, shares: int) -> float:
    """LinkedIn's engagement rate: organic clicks, likes (reactions), comments and shares over impressions."""
    return (clicks + reactions + comments + shares) / impressions if impressions else 0.0


def _days(since: dt.date, until: dt.date):
    return (since + dt.timedelta(days=offset) for offset in range((until - since).days + 1))

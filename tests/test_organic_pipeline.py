"""The organic side end to end: Facebook Pages, Instagram accounts and LinkedIn organization pages
synced by the real connectors into a real warehouse, modelled by real dbt, checked against the
sandbox's truth."""

import dataclasses
import datetime as dt

import dagster as dg
import duckdb
import pytest

from conftest import (
    ENGAGEMENT_WEEK,
    FOLLOWER_QUARTER,
    ORGANIC_WINDOW,
    YESTERDAY,
    copy_of_settled,
    run_dbt,
)
from connectors import clock
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import SyntheticAdvertiser
from connectors.sandbox.instagram_figures import account_days, instagram_accounts, media_of, sandbox_now, stories_live
from connectors.sandbox.linkedin_pages_figures import (
    linkedin_organizations,
    organization_days,
    organization_posts,
)
from connectors.sandbox.organic_figures import facebook_pages, page_days, page_posts
from pipelines.warehouse_writer import RESOURCE_KEY, WarehouseWriter
from warehouse_sql import query

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar

ADVERTISER = SyntheticAdvertiser(seed=7)  # the settled sync's advertiser (its sandbox has stopped)


def followers_by_day(network: str) -> dict[tuple[str, dt.date], int]:
    """The truth: each account's followers at the end of each day of the organic window."""
    if network == "facebook":
        days = (d for page in facebook_pages(ADVERTISER) for d in page_days(ADVERTISER, page, *ORGANIC_WINDOW))
        return {(d.page.id, d.day): d.follows_total for d in days}
    if network == "instagram":
        days = (d for a in instagram_accounts(ADVERTISER) for d in account_days(ADVERTISER, a, *ORGANIC_WINDOW))
        return {(d.account.id, d.day): d.followers for d in days}
    days = (d for o in linkedin_organizations(ADVERTISER) for d in organization_days(ADVERTISER, o, *ORGANIC_WINDOW))
    return {(d.organization.id, d.day): d.followers_total for d in days}


def total_on(truth: dict[tuple[str, dt.date], int], day: dt.date) -> int:
    return sum(followers for (_account, on), followers in truth.items() if on == day)


def test_a_month_of_sync_fills_the_audience_and_the_posts_of_every_network(settled):
    audience = query(
        settled.warehouse,
        "select network, account_id, date_day, followers, followers_basis from marts.audience_daily order by all",
    )
    posts = dict(query(settled.warehouse, "select network, count(*) from marts.posts group by 1"))
    # the stories live when the settled sync ran, with STORY's figures and no likes, comments or saves
    stories = query(
        settled.warehouse,
        "select count(*), count(views), count(reactions), count(comments), count(saves), bool_or(figures_settling)"
        " from marts.posts where post_id in (select media_id from raw.instagram_stories)",
    )
    [(story_count, with_views, *without, settling)] = stories
    assert story_count >= 2 and with_views == story_count and without == [0, 0, 0] and not settling

    window_days = (ORGANIC_WINDOW[1] - ORGANIC_WINDOW[0]).days + 1
    for network in ("facebook", "instagram", "linkedin"):
        rows = [row for row in audience if row[0] == network]
        assert len(rows) == 2 * window_days, network
        truth = followers_by_day(network)
        known = {(account, day): followers for _n, account, day, followers, _b in rows if followers is not None}
        if network == "linkedin":  # LinkedIn reports gains, never losses: its total is known where a snapshot is
            assert known == {key: value for key, value in truth.items() if key[1] == YESTERDAY}
        else:  # Facebook's own daily totals; Instagram's carried back from the snapshot by follows − unfollows
            assert known == truth, network
    bases = {network: {basis for n, _a, _d, _f, basis in audience if n == network} for network in posts}
    assert bases == {
        "facebook": {"platform_daily_total"},
        "instagram": {"snapshot", "derived_from_snapshot"},
        "linkedin": {"snapshot", None},
    }
    assert posts == {
        "facebook": sum(len(page_posts(ADVERTISER, p, *ORGANIC_WINDOW)) for p in facebook_pages(ADVERTISER)),
        "instagram": sum(len(media_of(ADVERTISER, a, *ORGANIC_WINDOW, 0)) for a in instagram_accounts(ADVERTISER))
        + story_count,
        "linkedin": sum(
            len(organization_posts(ADVERTISER, o, *ORGANIC_WINDOW)) for o in linkedin_organizations(ADVERTISER)
        ),
    }


def test_follower_growth_of_the_month_equals_a_hand_computation(settled):
    month = YESTERDAY.replace(day=1)
    eve = month - dt.timedelta(days=1)

    growth = {
        network: (start, end, rate)
        for network, start, end, rate in query(
            settled.warehouse,
            "select network, followers_start, followers_end, follower_growth_rate from marts.follower_growth_monthly"
            " where month = ?",
            month,
        )
    }

    for network in ("facebook", "instagram"):
        truth = followers_by_day(network)
        start, end = total_on(truth, eve), total_on(truth, YESTERDAY)
        assert growth[network] == (start, end, pytest.approx((end - start) / start)), network
    # One night's snapshot is LinkedIn's only total so far: the month has an end, not yet a start.
    assert growth["linkedin"] == (None, total_on(followers_by_day("linkedin"), YESTERDAY), None)


def test_linkedin_growth_comes_from_the_snapshots_of_the_nights_that_took_them(settled, work_directory):
    month = YESTERDAY.replace(day=1)
    eve = month - dt.timedelta(days=1)
    truth = followers_by_day("linkedin")
    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:
        # what the sync of the night after `eve` read from networkSizes
        for organization in linkedin_organizations(ADVERTISER):
            connection.execute(
                "insert into raw.follower_snapshots values ('linkedin_pages', ?, ?, ?, ?, '{}', now())",
                [organization.id, eve, truth[organization.id, eve], dt.datetime.combine(month, dt.time(3))],
            )

    finished = run_dbt(["run", "--select", "audience_daily", "follower_growth_monthly"], settled.env_for(copy))

    assert finished.returncode == 0, finished.stdout[-3000:]
    [(start, end, rate)] = query(
        copy,
        "select followers_start, followers_end, follower_growth_rate from marts.follower_growth_monthly"
        " where network = 'linkedin' and month = ?",
        month,
    )
    assert (start, end) == (total_on(truth, eve), total_on(truth, YESTERDAY))
    assert rate == pytest.approx((end - start) / start)


def test_a_target_on_follower_growth_shows_actual_pacing_and_status(settled):
    [(actual, elapsed, days, expected, projected, status)] = query(
        settled.warehouse,
        "select actual_value, days_elapsed, days_in_period, expected_to_date, projected_value, status"
        " from marts.kpi_progress where target_id = 'F1'",
    )

    truth = followers_by_day("instagram")
    start, end = total_on(truth, FOLLOWER_QUARTER[0] - dt.timedelta(days=1)), total_on(truth, YESTERDAY)
    assert actual == pytest.approx((end - start) / start)
    assert (elapsed, days) == ((YESTERDAY - FOLLOWER_QUARTER[0]).days + 1, 90)
    assert expected == pytest.approx(0.05 * elapsed / 90)
    assert projected == pytest.approx(actual / elapsed * 90)
    assert status == ("on_track" if projected >= 0.05 else "at_risk")


def test_engagement_rate_by_followers_is_engagements_over_followers_across_the_days(settled):
    [(actual, status)] = query(
        settled.warehouse, "select actual_value, status from marts.kpi_progress where target_id = 'E1'"
    )

    days = [d for page in facebook_pages(ADVERTISER) for d in page_days(ADVERTISER, page, *ENGAGEMENT_WEEK)]
    assert actual == pytest.approx(sum(d.post_engagements for d in days) / sum(d.follows_total for d in days))
    assert status == "met"


def test_the_organic_rows_of_roi_by_channel_carry_the_pages_reach_and_engagement(settled):
    audience = dict(
        (channel, (engagements, reach))
        for channel, engagements, reach in query(
            settled.warehouse, "select channel, sum(engagements), sum(reach_daily) from marts.audience_daily group by 1"
        )
    )
    organic = {
        channel: (engagements, reach)
        for channel, engagements, reach in query(
            settled.warehouse,
            "select channel, engagements, reach_sum_of_daily_upper_bound from marts.roi_by_channel"
            " where media_type = 'organic'",
        )
    }
    paid_engagements = query(
        settled.warehouse, "select sum(engagements) from marts.roi_by_channel where media_type = 'paid'"
    )[0][0]
    all_social = query(settled.warehouse, "select engagements from marts.roi_social_totals where scope = 'all social'")[
        0
    ][0]

    assert organic == audience
    assert all_social == paid_engagements, "the pages' engagement is never set against ad impressions"


@dataclasses.dataclass
class OrganicBefore:
    """The organic side of a warehouse before a nightly re-sync (tests/test_pipeline.py runs it with
    the restated paid day, one run for both): its posts and snapshots, plus a snapshot an earlier
    night took, and the Page whose permission the test takes away."""

    posts: dict
    snapshots: list
    denied_page: str

    POSTS = "select post_id, account_id, published_date, views, engagements, fetched_at from marts.posts"
    SNAPSHOTS = "select * from raw.follower_snapshots order by all"

    @classmethod
    def read(cls, warehouse, sandbox, yesterday) -> "OrganicBefore":
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute(
                "insert into raw.follower_snapshots values ('instagram', ?, ?, 1234, ?, '{}', now())",
                [
                    instagram_accounts(sandbox.advertiser)[0].id,
                    yesterday - dt.timedelta(days=10),
                    dt.datetime.combine(yesterday - dt.timedelta(days=9), dt.time(3)),
                ],
            )
        return cls(
            {row[0]: row for row in query(warehouse, cls.POSTS)},
            query(warehouse, cls.SNAPSHOTS),
            facebook_pages(sandbox.advertiser)[0].id,
        )

    def assert_resynced(self, warehouse, result, week) -> None:
        after = {row[0]: row for row in query(warehouse, self.POSTS)}
        assert after.keys() == self.posts.keys()
        resynced = [p for p, row in self.posts.items() if row[2] >= week[0] and row[1] != self.denied_page]
        assert resynced and all(after[p][3:5] >= self.posts[p][3:5] for p in resynced)
        assert any(after[p][3] > self.posts[p][3] for p in resynced), "late engagement arrived"
        assert all(after[p][5] > self.posts[p][5] for p in resynced)
        untouched = [p for p in self.posts if p not in resynced]
        assert untouched and all(after[p] == self.posts[p] for p in untouched), "older posts, the denied Page's"
        assert query(warehouse, self.SNAPSHOTS) == self.snapshots, "a snapshot is never rewritten"
        failed = [
            evaluation
            for evaluation in result.get_asset_check_evaluations()
            if not evaluation.passed and evaluation.asset_key.path[-1].startswith("facebook_page")
        ]
        assert failed and all(
            self.denied_page in (e.description or "") and "read_insights" in e.description for e in failed
        )


def test_a_backfill_reaching_past_linkedins_12_months_loads_what_it_serves_and_keeps_the_rest(
    work_env, sandbox, yesterday, instance
):
    from connectors.linkedin_pages.client import earliest_day
    from pipelines.assets.raw import raw_assets
    from pipelines.run_window import range_tags

    organization = linkedin_organizations(sandbox.advertiser)[0].id
    long_ago = yesterday - dt.timedelta(days=400)
    with duckdb.connect(str(work_env)) as connection:
        # a day an earlier sync loaded, which LinkedIn no longer serves
        connection.execute(
            "insert into raw.linkedin_organization_daily (organization_id, date, organic_follower_gain) values (?, ?, 7)",
            [organization, long_ago],
        )
    [asset] = [a for a in raw_assets if a.key.path[-1] == "linkedin_organization_daily"]
    first = earliest_day(clock.today())

    result = dg.materialize(
        [asset],
        instance=instance,
        tags=range_tags(long_ago, first + dt.timedelta(days=9)),
        resources={RESOURCE_KEY: WarehouseWriter()},
    )

    assert result.success
    assert [e.passed for e in result.get_asset_check_evaluations()] == [True]
    days = query(
        work_env,
        "select min(date), count(distinct date) from raw.linkedin_organization_daily where organization_id = ?"
        " and date between ? and ?",
        organization,
        first,
        first + dt.timedelta(days=9),
    )
    assert days == [(first, 10)], "the days LinkedIn still serves are loaded"
    assert query(
        work_env,
        "select organic_follower_gain from raw.linkedin_organization_daily where organization_id = ? and date = ?",
        organization,
        long_ago,
    ) == [(7,)], "the older day keeps what was loaded"


def test_a_backfill_reaching_past_two_years_leaves_every_stored_page_day_older_than_two_years_unchanged(
    work_env, sandbox, instance
):
    from connectors import clock
    from connectors.facebook_pages.client import earliest_day
    from pipelines.assets.raw import raw_assets
    from pipelines.run_window import range_tags

    first = earliest_day(clock.today())  # Meta serves this day onwards; it answers older ranges empty
    page = facebook_pages(sandbox.advertiser)[0].id
    account = instagram_accounts(sandbox.advertiser)[0].id
    # Stored days in 2023 (as a backfill over 2023 would reach them) and in the backfill below, which starts two
    # weeks before Meta's two years: a range over all of 2023 proves no more and fetches a year more.
    backfill = (first - dt.timedelta(days=14), first + dt.timedelta(days=2))
    older = [dt.date(2023, 3, 1), backfill[0], first - dt.timedelta(days=7), first - dt.timedelta(days=1)]
    tables = {
        "facebook_page_insights": ("page_id", "date", page),
        "instagram_account_insights": ("account_id", "date", account),
        "facebook_page_posts": ("page_id", "published_date", page),
        "instagram_media": ("account_id", "published_date", account),
    }
    with duckdb.connect(str(work_env)) as connection:
        # days an earlier sync loaded, when Meta still served them
        for table, (slice_column, date_column, slice_id) in tables.items():
            for number, day in enumerate(older):
                key = {"facebook_page_posts": ", post_id", "instagram_media": ", media_id"}.get(table, "")
                connection.execute(
                    f"insert into raw.{table} ({slice_column}, {date_column}{key}, raw_row) values (?, ?"
                    f'{", ?" if key else ""}, \'{{"loaded": "earlier"}}\')',
                    [slice_id, day, *([f"kept-{number}"] if key else [])],
                )
    stored = "select * from raw.{table} where {date_column} < ? order by all"
    before = {t: query(work_env, stored.format(table=t, date_column=c[1]), first) for t, c in tables.items()}
    assets = [a for a in raw_assets if a.key.path[-1] in tables]

    result = dg.materialize(
        assets,
        instance=instance,
        tags=range_tags(*backfill),
        resources={RESOURCE_KEY: WarehouseWriter()},
    )

    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    after = {t: query(work_env, stored.format(table=t, date_column=c[1]), first) for t, c in tables.items()}
    assert after == before and all(len(rows) >= len(older) for rows in before.values())
    served = query(
        work_env,
        "select min(date), count(distinct date) from raw.facebook_page_insights where page_id = ? and date >= ?",
        page,
        first,
    )
    assert served[0][0] == first, "the days Meta still serves are loaded"


def test_a_story_stored_by_an_earlier_run_is_still_in_the_warehouse_after_a_later_run_no_longer_sees_it(
    work_env, yesterday, instance, monkeypatch
):
    from pipelines.assets.raw import raw_assets
    from pipelines.run_window import range_tags

    [asset] = [a for a in raw_assets if a.key.path[-1] == "instagram_stories"]
    nightly = range_tags(yesterday - dt.timedelta(days=6), yesterday)
    stored = "select media_id, views, shares from raw.instagram_stories order by all"

    assert dg.materialize(
        [asset], instance=instance, tags=nightly, resources={RESOURCE_KEY: WarehouseWriter()}
    ).success  # tonight, after the settled sync's
    tonight = {media_id: figures for media_id, *figures in query(work_env, stored)}
    with Sandbox(seed=7, today=clock.today() + dt.timedelta(days=1)) as tomorrow:  # the same accounts, a day on
        monkeypatch.setenv("META_GRAPH_URL", tomorrow.base_url)
        at = sandbox_now(tomorrow.advertiser)
        live_tomorrow = {
            s.id for a in instagram_accounts(tomorrow.advertiser) for s in stories_live(tomorrow.advertiser, a, at)
        }
        assert dg.materialize(
            [asset], instance=instance, tags=nightly, resources={RESOURCE_KEY: WarehouseWriter()}
        ).success
        asked = {kind for kind, _ in tomorrow.instagram.requests}
    after = {media_id: figures for media_id, *figures in query(work_env, stored)}

    assert len(query(work_env, stored)) == len(after), "a story read twice is one row"
    expired = tonight.keys() - live_tomorrow
    assert expired and asked == {"stories", "media_insights"}, "tonight's stories are in no answer tomorrow"
    assert {m: after[m] for m in expired} == {m: tonight[m] for m in expired}, "kept as last read"
    assert live_tomorrow <= after.keys(), "and tomorrow's are added"

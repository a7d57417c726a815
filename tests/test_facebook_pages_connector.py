"""The Facebook Pages connector, through the official facebook-business SDK, against the sandbox over HTTP."""

import dataclasses
import datetime as dt

import pytest

from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError
from connectors.facebook_pages.client import (
    FacebookPagesClient,
    FacebookPagesSettings,
    check_access,
    fetch_follower_totals,
    fetch_window,
)
from connectors.retry import Backoff
from connectors.sandbox.facebook_pages import SANDBOX_PAGE_TOKEN
from connectors.sandbox.organic_figures import current_followers, facebook_pages, page_days, page_posts


@pytest.fixture
def page_settings(sandbox):
    return FacebookPagesSettings(
        access_token=SANDBOX_PAGE_TOKEN,
        page_ids=tuple(page.id for page in facebook_pages(sandbox.advertiser)),
        graph_url=sandbox.base_url,
        backoff=Backoff(attempts=3, base_seconds=0.01, max_seconds=0.05),
    )


@pytest.fixture
def month(yesterday):
    return yesterday - dt.timedelta(days=29), yesterday


def read_page(settings, page_id, since, until):
    client = FacebookPagesClient(settings, sleep=lambda _s: None)
    try:
        return list(client.daily_insights(page_id, since, until))
    finally:
        client.close()


def test_a_month_of_a_page_equals_what_the_page_really_did(sandbox, page_settings, month):
    page = facebook_pages(sandbox.advertiser)[0]

    rows = read_page(page_settings, page.id, *month)

    truth = page_days(sandbox.advertiser, page, *month)
    assert [(r["date"], r["follows_total"], r["follows"], r["unfollows"]) for r in rows] == [
        (d.day.isoformat(), d.follows_total, d.follows, d.unfollows) for d in truth
    ]
    assert [(r["media_views"], r["media_viewers"], r["post_engagements"], r["page_views"]) for r in rows] == [
        (d.media_views, d.media_viewers, d.post_engagements, d.page_views) for d in truth
    ]
    assert len(rows) == 30 and all(r["page_id"] == page.id for r in rows)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["follows"] - after["unfollows"] == after["follows_total"] - before["follows_total"]


def test_a_range_longer_than_meta_serves_at_once_is_read_in_90_day_requests(sandbox, page_settings, yesterday):
    page = facebook_pages(sandbox.advertiser)[0]
    since = yesterday - dt.timedelta(days=199)

    rows = read_page(page_settings, page.id, since, yesterday)

    assert [r["date"] for r in rows] == [(since + dt.timedelta(days=n)).isoformat() for n in range(200)]
    assert len(sandbox.facebook_pages.requests) == 3


def test_an_old_metric_list_fails_naming_the_retired_metric_and_its_replacement(sandbox, page_settings, month):
    page = facebook_pages(sandbox.advertiser)[0]
    old_list = dataclasses.replace(page_settings, metrics=("page_fans", "page_daily_unfollows_unique"))

    with pytest.raises(PlatformConfigError) as raised:
        read_page(old_list, page.id, *month)

    assert "page_fans" in str(raised.value) and "page_follows" in str(raised.value)
    assert raised.value.account == page.id


def test_a_metric_meta_retires_without_notice_is_named(sandbox, page_settings, month):
    page = facebook_pages(sandbox.advertiser)[0]
    sandbox.faults.arm("facebook_pages", "retired_metric", times=None, metric="page_views_total")

    with pytest.raises(PlatformConfigError) as raised:
        read_page(page_settings, page.id, *month)

    assert "page_views_total" in str(raised.value) and "page_media_view " not in str(raised.value)


def test_a_page_without_insights_permission_fails_alone_naming_page_and_permission(sandbox, page_settings, month):
    denied, allowed = facebook_pages(sandbox.advertiser)
    sandbox.faults.arm("facebook_pages", "page_permission_denied", times=None, page=denied.id)

    outcome = {}
    for page_id, records in fetch_window(page_settings, *month):
        try:
            outcome[page_id] = len(list(records))
        except PlatformAuthError as error:
            outcome[page_id] = error

    error = outcome[denied.id]
    assert isinstance(error, PlatformAuthError) and denied.id in str(error)
    assert "read_insights" in str(error) and "pages_read_engagement" in str(error)
    assert outcome[allowed.id] == 30


def test_settings_read_pages_and_the_page_token_else_the_meta_token():
    page_token = FacebookPagesSettings.from_env(
        {"META_PAGE_IDS": " 123, 456 ", "META_PAGE_ACCESS_TOKEN": "page", "META_ACCESS_TOKEN": "system"}
    )
    meta_token = FacebookPagesSettings.from_env(
        {"META_PAGE_IDS": "123", "META_ACCESS_TOKEN": "system", "META_GRAPH_URL": "http://127.0.0.1:9/"}
    )

    assert page_token.page_ids == ("123", "456") and page_token.access_token == "page"
    assert meta_token.access_token == "system" and meta_token.graph_url == "http://127.0.0.1:9"
    assert FacebookPagesSettings.from_env({"META_ACCESS_TOKEN": "system"}) is None
    with pytest.raises(PlatformConfigError, match="META_PAGE_ACCESS_TOKEN"):
        FacebookPagesSettings.from_env({"META_PAGE_IDS": "123"})
    with pytest.raises(PlatformConfigError, match="numeric"):
        FacebookPagesSettings.from_env({"META_PAGE_IDS": "nordlys", "META_PAGE_ACCESS_TOKEN": "page"})


def test_the_sandbox_environment_turns_on_every_page(sandbox):
    settings = FacebookPagesSettings.from_env(sandbox.environment())

    assert settings.page_ids == tuple(page.id for page in facebook_pages(sandbox.advertiser))
    assert settings.access_token == SANDBOX_PAGE_TOKEN and settings.graph_url == sandbox.base_url


def test_check_reports_each_page(sandbox, page_settings):
    denied, allowed = facebook_pages(sandbox.advertiser)
    sandbox.faults.arm("facebook_pages", "page_permission_denied", times=None, page=denied.id)

    results = dict(check_access(page_settings))

    assert results[allowed.id] is None and isinstance(refusal := results[denied.id], str) and "read_insights" in refusal


def read_posts(settings, page_id, since, until):
    client = FacebookPagesClient(settings, sleep=lambda _s: None)
    try:
        return list(client.posts(page_id, since, until))
    finally:
        client.close()


def test_the_posts_of_a_month_arrive_with_their_figures_and_permalinks(sandbox, page_settings, month):
    page = facebook_pages(sandbox.advertiser)[0]

    rows = read_posts(page_settings, page.id, *month)

    truth = page_posts(sandbox.advertiser, page, *month)
    assert len(truth) > 5
    assert [
        (r["post_id"], r["published_date"], r["permalink"], r["views"], r["viewers"], r["link_clicks"]) for r in rows
    ] == [
        # a Reel's reach is not read (only its plays): unknown, NULL
        (
            p.id,
            p.published_at.date().isoformat(),
            p.permalink,
            p.views,
            None if p.kind == "reel" else p.viewers,
            p.link_clicks,
        )
        for p in truth
    ]
    assert [(r["reactions"], r["comments"], r["shares"]) for r in rows] == [
        (p.reactions, p.comments, p.shares) for p in truth
    ]


def test_posts_follow_the_time_based_next_link_until_a_page_has_none(sandbox, page_settings, yesterday, monkeypatch):
    page = facebook_pages(sandbox.advertiser)[0]
    since = yesterday - dt.timedelta(days=99)
    monkeypatch.setattr("connectors.facebook_pages.client.POSTS_PAGE_SIZE", 10)

    rows = read_posts(page_settings, page.id, since, yesterday)

    assert [r["post_id"] for r in rows] == [p.id for p in page_posts(sandbox.advertiser, page, since, yesterday)]
    # Every full page has a `next` (until + __paging_token, no cursors); the page after the last post has none.
    assert len([r for r in sandbox.facebook_pages.requests if r[1][0] == "published_posts"]) == len(rows) // 10 + 1


def test_a_next_link_that_names_a_page_already_read_fails_the_page_instead_of_paging_forever(
    sandbox, page_settings, yesterday
):
    page = facebook_pages(sandbox.advertiser)[0]
    sandbox.faults.arm("facebook_pages", "repeated_next", times=None)

    with pytest.raises(MalformedPayloadError, match="already read, so paging would never end"):
        read_posts(page_settings, page.id, yesterday - dt.timedelta(days=30), yesterday)

    # the first page, then the page its `next` names, which names itself
    assert len([r for r in sandbox.facebook_pages.requests if r[1][0] == "published_posts"]) == 2


def test_a_reels_and_a_videos_views_come_from_the_videos_insights(sandbox, page_settings, month):
    page = facebook_pages(sandbox.advertiser)[0]

    rows = {r["post_id"]: r for r in read_posts(page_settings, page.id, *month)}

    truth = page_posts(sandbox.advertiser, page, *month)
    reels = [p for p in truth if p.kind == "reel"]
    videos = [p for p in truth if p.kind == "video"]
    assert reels and videos
    assert [rows[p.id]["views"] for p in reels] == [p.views for p in reels] and all(p.views > 0 for p in reels)
    assert [(rows[p.id]["views"], rows[p.id]["viewers"]) for p in videos] == [(p.views, p.viewers) for p in videos]
    assert all(rows[p.id]["link_clicks"] is None for p in reels + videos), "a video's insights have no link clicks"
    asked = [r[1] for r in sandbox.facebook_pages.requests if r[1][0] == "video_insights"]
    assert len(asked) == len(reels) + len(videos)


def test_late_engagement_moves_the_figures_of_last_weeks_posts_only(sandbox, page_settings, month):
    page = facebook_pages(sandbox.advertiser)[0]
    before = {r["post_id"]: r for r in read_posts(page_settings, page.id, *month)}

    sandbox.restate()
    after = {r["post_id"]: r for r in read_posts(page_settings, page.id, *month)}

    week_ago = (sandbox.advertiser.today - dt.timedelta(days=7)).isoformat()
    recent = [post_id for post_id, row in before.items() if row["published_date"] > week_ago]
    assert recent and all(after[p]["views"] > before[p]["views"] for p in recent)
    assert all(after[p] == before[p] for p in before if p not in recent)


def test_the_follower_total_now_is_read_from_the_page(sandbox, page_settings):
    totals = {page_id: list(records) for page_id, records in fetch_follower_totals(page_settings)}

    assert {page_id: rows[0]["followers"] for page_id, rows in totals.items()} == {
        page.id: current_followers(sandbox.advertiser, page) for page in facebook_pages(sandbox.advertiser)
    }

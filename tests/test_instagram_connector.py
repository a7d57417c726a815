"""The Instagram connector, through the official facebook-business SDK, against the sandbox over HTTP."""

import dataclasses
import datetime as dt
from collections import Counter

import pytest

from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError, PlatformError
from connectors.instagram.client import (
    InstagramClient,
    InstagramSettings,
    check_access,
    fetch_follower_totals,
    fetch_live_stories,
    fetch_media_window,
    fetch_window,
    parse_account_day,
)
from connectors.retry import Backoff
from connectors.sandbox import Sandbox
from connectors.sandbox.facebook_pages import SANDBOX_PAGE_TOKEN
from connectors.sandbox.instagram_figures import (
    account_days,
    current_followers,
    find_story,
    instagram_accounts,
    media_of,
    sandbox_now,
    stories_live,
)

# A sandbox day whose last week has media on the first account (the restatement test needs some).
PINNED_TODAY = dt.date(2026, 11, 25)


def settings_for(sandbox) -> InstagramSettings:
    return InstagramSettings(
        access_token=SANDBOX_PAGE_TOKEN,
        account_ids=tuple(account.id for account in instagram_accounts(sandbox.advertiser)),
        graph_url=sandbox.base_url,
        backoff=Backoff(attempts=3, base_seconds=0.01, max_seconds=0.05),
    )


@pytest.fixture
def settings(sandbox):
    return settings_for(sandbox)


@pytest.fixture
def month(yesterday):
    return yesterday - dt.timedelta(days=29), yesterday


def read(settings, fetch, account_id, since, until):
    client = InstagramClient(settings, sleep=lambda _s: None)
    try:
        return list(fetch(client, account_id, since, until))
    finally:
        client.close()


def outcome_per_account(slices) -> dict:
    """Each account's records, or the PlatformError its records raised."""
    outcome = {}
    for account_id, records in slices:
        try:
            outcome[account_id] = list(records)
        except PlatformError as error:
            outcome[account_id] = error
    return outcome


def test_a_month_of_an_account_equals_what_the_account_really_did(sandbox, settings, month):
    account = instagram_accounts(sandbox.advertiser)[0]

    rows = read(settings, InstagramClient.daily_insights, account.id, *month)

    truth = account_days(sandbox.advertiser, account, *month)
    assert [(r["date"], r["follows"], r["unfollows"], r["reach"], r["views"]) for r in rows] == [
        (d.day.isoformat(), d.follows, d.unfollows, d.reach, d.views) for d in truth
    ]
    assert [(r["profile_views"], r["accounts_engaged"], r["total_interactions"]) for r in rows] == [
        (d.profile_views, d.accounts_engaged, d.total_interactions) for d in truth
    ]
    assert len(rows) == 30 and all(r["account_id"] == account.id for r in rows)


def test_each_day_is_asked_alone_because_a_total_value_covers_its_whole_range(sandbox, settings, month):
    account = instagram_accounts(sandbox.advertiser)[0]

    read(settings, InstagramClient.daily_insights, account.id, *month)

    # Two requests a day: the day's totals, and follows_and_unfollows broken down by follow_type.
    assert Counter(kind for kind, _ in sandbox.instagram.requests) == {"insights": 60}


def test_media_rows_equal_what_was_published_with_their_lifetime_figures(sandbox, settings, month):
    account = instagram_accounts(sandbox.advertiser)[0]

    rows = read(settings, InstagramClient.media_insights, account.id, *month)

    truth = media_of(sandbox.advertiser, account, *month)
    assert sorted((r["media_id"], r["published_date"], r["published_at"], r["permalink"]) for r in rows) == sorted(
        (m.id, m.published_date.isoformat(), m.published_at.strftime("%Y-%m-%d %H:%M:%S"), m.permalink) for m in truth
    )
    by_id = {r["media_id"]: r for r in rows}
    assert [
        tuple(by_id[m.id][c] for c in ("media_type", "caption", "views", "reach", "likes", "comments", "saves"))
        for m in truth
    ] == [(m.media_type, m.caption, m.views, m.reach, m.likes, m.comments, m.saves) for m in truth]
    assert [(by_id[m.id]["shares"], by_id[m.id]["total_interactions"]) for m in truth] == [
        (m.shares, m.total_interactions) for m in truth
    ]
    assert truth, "a month without media would prove nothing"


def test_a_month_with_reels_carousels_stories_and_pre_business_posts_loads_every_item_with_null_where_there_is_no_figure(
    sandbox, settings, caplog
):
    # The second account became a business account mid-month; Instagram refuses `views` for its Reels anyway. Its
    # stories are read as the nights of that month read them: those live at the sync (Instagram lists 24 hours).
    account = instagram_accounts(sandbox.advertiser)[1]
    month = (account.business_since - dt.timedelta(days=15), account.business_since + dt.timedelta(days=14))
    sandbox.faults.arm("instagram", "reel_metric_refused", times=None, metric="views")

    with caplog.at_level("WARNING", logger="connectors.instagram.client"):
        rows = {r["media_id"]: r for r in read(settings, InstagramClient.media_insights, account.id, *month)}
        stories = {r["media_id"]: r for r in read(settings, InstagramClient.live_stories, account.id, *month)}

    truth = media_of(sandbox.advertiser, account, *month)
    assert rows.keys() == {m.id for m in truth}, "every item is listed"
    figures = ("views", "reach", "likes", "comments", "saves", "shares", "total_interactions")
    assert stories, "a story is loaded"
    for media_id, row in stories.items():  # STORY's metrics; no likes, comments or saves
        item = find_story(sandbox.advertiser, media_id, sandbox_now(sandbox.advertiser))
        assert row["media_product_type"] == "STORY"
        assert [row[f] for f in figures] == [
            item.views,
            item.reach,
            None,
            None,
            None,
            item.shares,
            item.total_interactions,
        ]
    before = [m for m in truth if m.posted_before_business]
    reels = [m for m in truth if m.media_product_type == "REELS" and not m.posted_before_business]
    feed = [m for m in truth if m.media_product_type == "FEED" and not m.posted_before_business]
    assert before and reels and any(m.media_type == "CAROUSEL_ALBUM" for m in feed)
    for item in before:  # its own fields, no figures
        row = rows[item.id]
        assert (row["permalink"], row["caption"], row["media_product_type"]) == (
            item.permalink,
            item.caption,
            item.media_product_type,
        )
        assert [row[f] for f in figures] == [None] * len(figures)
    for item in reels:  # read again without the refused metric: NULL views, every other figure
        assert [rows[item.id][f] for f in figures] == [None, *(getattr(item, f) for f in figures[1:])]
    for item in feed:
        assert [rows[item.id][f] for f in figures] == [getattr(item, f) for f in figures]
    assert f"{len(before)} media item(s)" in caplog.text and "business account" in caplog.text


def test_a_story_live_now_is_read_with_its_story_metrics_and_null_for_the_rest(sandbox, settings, month):
    at = sandbox_now(sandbox.advertiser)
    live = {a.id: stories_live(sandbox.advertiser, a, at) for a in instagram_accounts(sandbox.advertiser)}

    # whatever the window: Instagram lists the stories of the last 24 hours, not those of a range of days
    outcome = outcome_per_account(fetch_live_stories(settings, *month))

    assert all(live.values()), "every account has a story live at any moment (one each half day)"
    for account_id, rows in outcome.items():
        expected = {item.id: item for item in live[account_id]}
        # a story expiring in the second between the two reads is the only difference allowed
        assert {r["media_id"] for r in rows} >= {
            i for i, item in expected.items() if item.published_at > at - dt.timedelta(hours=23)
        }
        for row in rows:
            item = find_story(sandbox.advertiser, row["media_id"], at) or expected[row["media_id"]]
            assert (row["media_product_type"], row["media_type"], row["permalink"], row["caption"]) == (
                "STORY",
                item.media_type,
                item.permalink,
                item.caption,
            )
            assert row["published_at"] == item.published_at.strftime("%Y-%m-%d %H:%M:%S")
            assert (row["views"], row["reach"], row["shares"], row["total_interactions"]) == (
                item.views,
                item.reach,
                item.shares,
                item.total_interactions,
            )
            assert (row["likes"], row["comments"], row["saves"]) == (None, None, None), "STORY has none: NULL, not 0"
    requests = Counter(kind for kind, _ in sandbox.instagram.requests)
    assert requests["stories"] == len(live) and "media" not in requests, "stories come from /stories alone"


def test_listing_media_stops_at_the_first_page_reaching_older_media(sandbox, settings, yesterday):
    account = instagram_accounts(sandbox.advertiser)[0]
    week = (yesterday - dt.timedelta(days=6), yesterday)

    rows = read(settings, InstagramClient.media_insights, account.id, *week)

    requests = Counter(kind for kind, _ in sandbox.instagram.requests)
    assert requests == {"media": 1, "media_insights": len(rows)}


def test_a_restatement_grows_last_weeks_media_and_leaves_older_media_alone():
    with Sandbox(seed=7, today=PINNED_TODAY) as sandbox:
        account = instagram_accounts(sandbox.advertiser)[0]
        window = (PINNED_TODAY - dt.timedelta(days=28), PINNED_TODAY - dt.timedelta(days=1))
        settings = settings_for(sandbox)
        before = {r["media_id"]: r for r in read(settings, InstagramClient.media_insights, account.id, *window)}

        sandbox.restate()
        after = {r["media_id"]: r for r in read(settings, InstagramClient.media_insights, account.id, *window)}

    # Engagement accrues for a week: media published fewer than 7 days before today are still gathering it.
    recent = [m for m in before if (PINNED_TODAY - dt.date.fromisoformat(before[m]["published_date"])).days < 7]
    older = [m for m in before if m not in recent]
    assert recent and older and after.keys() == before.keys()
    figures = ("views", "reach", "likes", "comments", "saves", "shares", "total_interactions")
    for media in recent:
        assert after[media]["views"] > before[media]["views"] and after[media]["reach"] > before[media]["reach"]
        assert all(after[media][f] >= before[media][f] for f in figures)
    assert [after[m] for m in older] == [before[m] for m in older]


def test_an_old_metric_list_fails_naming_the_retired_metric_and_its_replacement(sandbox, settings, month):
    account = instagram_accounts(sandbox.advertiser)[0]
    old_list = dataclasses.replace(settings, account_metrics=("reach", "impressions"))

    with pytest.raises(PlatformConfigError) as raised:
        read(old_list, InstagramClient.daily_insights, account.id, *month)

    assert "impressions (use views)" in str(raised.value) and raised.value.account == account.id


def test_a_metric_meta_retires_without_notice_is_named(sandbox, settings, month):
    account = instagram_accounts(sandbox.advertiser)[0]
    sandbox.faults.arm("instagram", "retired_metric", times=None, metric="profile_views")

    with pytest.raises(PlatformConfigError) as raised:
        read(settings, InstagramClient.daily_insights, account.id, *month)

    assert "profile_views (no replacement known)" in str(raised.value) and "reach (" not in str(raised.value)


def test_an_account_without_permission_fails_alone_naming_account_and_permissions(sandbox, settings, yesterday):
    denied, allowed = instagram_accounts(sandbox.advertiser)
    sandbox.faults.arm("instagram", "account_permission_denied", times=None, account=denied.id)

    outcome = outcome_per_account(fetch_window(settings, yesterday - dt.timedelta(days=6), yesterday))

    error = outcome[denied.id]
    assert isinstance(error, PlatformAuthError) and denied.id in str(error) and error.account == denied.id
    assert "instagram_basic" in str(error) and "instagram_manage_insights" in str(error)
    assert len(outcome[allowed.id]) == 7


def test_media_of_an_account_without_permission_fail_alone(sandbox, settings, month):
    denied, allowed = instagram_accounts(sandbox.advertiser)
    sandbox.faults.arm("instagram", "account_permission_denied", times=None, account=denied.id)

    outcome = outcome_per_account(fetch_media_window(settings, *month))

    assert isinstance(outcome[denied.id], PlatformAuthError)
    assert len(outcome[allowed.id]) == len(media_of(sandbox.advertiser, allowed, *month))


def test_a_media_item_with_too_few_viewers_loads_without_figures(sandbox, settings, month):
    account = instagram_accounts(sandbox.advertiser)[0]
    sandbox.faults.arm("instagram", "not_enough_viewers", times=1)

    rows = read(settings, InstagramClient.media_insights, account.id, *month)

    assert len(rows) == len(media_of(sandbox.advertiser, account, *month))
    assert [r["views"] for r in rows].count(None) == 1 and rows[0]["views"] is None and rows[0]["permalink"]


def test_a_malformed_answer_fails_naming_the_account():
    entries = [{"name": "reach", "period": "day", "total_value": {"value": "many"}}]

    with pytest.raises(MalformedPayloadError) as raised:
        parse_account_day(entries, "17841400000000001", dt.date(2026, 11, 1))

    assert raised.value.account == "17841400000000001" and "17841400000000001" in str(raised.value)


def test_follower_totals_equal_each_accounts_followers_at_the_end_of_yesterday(sandbox, settings, yesterday):
    totals = {account_id: list(records) for account_id, records in fetch_follower_totals(settings)}

    accounts = instagram_accounts(sandbox.advertiser)
    assert {a: [r["followers"] for r in records] for a, records in totals.items()} == {
        account.id: [current_followers(sandbox.advertiser, account)] for account in accounts
    }
    last_day = account_days(sandbox.advertiser, accounts[0], yesterday, yesterday)[0]
    assert totals[accounts[0].id][0]["followers"] == last_day.followers
    assert '"followers_count"' in totals[accounts[0].id][0]["raw_row"]


def test_a_follower_total_that_fails_fails_alone(sandbox, settings):
    denied, allowed = instagram_accounts(sandbox.advertiser)
    sandbox.faults.arm("instagram", "account_permission_denied", times=None, account=denied.id)

    outcome = outcome_per_account(fetch_follower_totals(settings))

    assert isinstance(outcome[denied.id], PlatformAuthError)
    assert [r["followers"] for r in outcome[allowed.id]] == [current_followers(sandbox.advertiser, allowed)]


def test_settings_read_accounts_and_the_page_token_else_the_meta_token():
    page_token = InstagramSettings.from_env(
        {"INSTAGRAM_ACCOUNT_IDS": " 17841400000000001, 17841400000000002 ", "META_PAGE_ACCESS_TOKEN": "page"}
    )
    meta_token = InstagramSettings.from_env(
        {
            "INSTAGRAM_ACCOUNT_IDS": "17841400000000001",
            "META_ACCESS_TOKEN": "system",
            "META_GRAPH_URL": "http://[::1]:9/",
        }
    )

    assert page_token.account_ids == ("17841400000000001", "17841400000000002") and page_token.access_token == "page"
    assert meta_token.access_token == "system" and meta_token.graph_url == "http://[::1]:9"
    assert InstagramSettings.from_env({"META_PAGE_ACCESS_TOKEN": "page"}) is None
    with pytest.raises(PlatformConfigError, match="META_PAGE_ACCESS_TOKEN"):
        InstagramSettings.from_env({"INSTAGRAM_ACCOUNT_IDS": "17841400000000001"})
    with pytest.raises(PlatformConfigError, match="numeric"):
        InstagramSettings.from_env({"INSTAGRAM_ACCOUNT_IDS": "@nordlys", "META_PAGE_ACCESS_TOKEN": "page"})


def test_the_sandbox_environment_turns_on_every_account(sandbox):
    settings = InstagramSettings.from_env(sandbox.environment())

    assert settings.account_ids == tuple(account.id for account in instagram_accounts(sandbox.advertiser))
    assert settings.access_token == SANDBOX_PAGE_TOKEN and settings.graph_url == sandbox.base_url


def test_check_reports_each_account(sandbox, settings):
    denied, allowed = instagram_accounts(sandbox.advertiser)
    sandbox.faults.arm("instagram", "account_permission_denied", times=None, account=denied.id)

    results = dict(check_access(settings))

    assert results[allowed.id] is None
    assert isinstance(refusal := results[denied.id], str) and "instagram_manage_insights" in refusal

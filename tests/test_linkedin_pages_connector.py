"""The LinkedIn organization-page connector, over versioned REST with `requests`, against the sandbox over HTTP."""

import dataclasses
import datetime as dt
import urllib.parse

import pytest
import requests

from conftest import sandbox_settings
from connectors import clock
from connectors.errors import PlatformAuthError, PlatformConfigError, PlatformThrottledError
from connectors.linkedin_ads.client import configured_api_version
from connectors.linkedin_pages.client import (
    LinkedInPagesClient,
    LinkedInPagesSettings,
    check_access,
    earliest_day,
    fetch_follower_totals,
    fetch_posts,
    fetch_window,
    parse_day,
)
from connectors.retry import Backoff
from connectors.sandbox.linkedin_ads import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_LINKEDIN_TOKEN,
    SANDBOX_REFRESH_TOKEN,
)
from connectors.sandbox.linkedin_pages_figures import (
    follower_total,
    linkedin_organizations,
    organization_days,
    organization_posts,
)

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar


@pytest.fixture
def settings(sandbox):
    return LinkedInPagesSettings(
        organization_ids=tuple(organization.id for organization in linkedin_organizations(sandbox.advertiser)),
        access_token=SANDBOX_LINKEDIN_TOKEN,
        api_url=sandbox.base_url,
        backoff=Backoff(attempts=3, base_seconds=0.01, max_seconds=0.05),
    )


@pytest.fixture
def refreshing(sandbox, settings):
    """The settings with the refresh settings `social-roi connect linkedin` stores, beside the access token."""
    return dataclasses.replace(
        settings,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        refresh_token=SANDBOX_REFRESH_TOKEN,
        oauth_url=sandbox.base_url,
    )


@pytest.fixture
def month(yesterday):
    return yesterday - dt.timedelta(days=29), yesterday


def read(settings, read_one, organization_id, since, until):
    client = LinkedInPagesClient(settings, sleep=lambda _s: None)
    try:
        return list(read_one(client, organization_id, since, until))
    finally:
        client.close()


def outcomes(slices) -> dict:
    """Each slice's records, or the error reading them raised."""
    found = {}
    for organization_id, records in slices:
        try:
            found[organization_id] = list(records)
        except (PlatformAuthError, PlatformThrottledError) as error:
            found[organization_id] = error
    return found


def test_thirty_days_of_an_organization_equal_what_the_page_really_did(sandbox, settings, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]

    rows = read(settings, LinkedInPagesClient.daily_statistics, organization.id, *month)

    truth = organization_days(sandbox.advertiser, organization, *month)
    assert [(r["date"], r["organic_follower_gain"], r["paid_follower_gain"]) for r in rows] == [
        (d.day.isoformat(), d.organic_follower_gain, d.paid_follower_gain) for d in truth
    ]
    assert [
        (r["impressions"], r["unique_impressions"], r["clicks"], r["reactions"], r["comments"], r["shares"])
        for r in rows
    ] == [(d.impressions, d.unique_impressions, d.clicks, d.reactions, d.comments, d.shares) for d in truth]
    assert [r["engagement"] for r in rows] == pytest.approx([d.engagement for d in truth])
    assert len(rows) == 30 and all(r["organization_id"] == organization.id for r in rows)
    # One request per endpoint for the whole month: follower statistics and share statistics.
    assert [resource for resource, _ in sandbox.linkedin_pages.requests] == [
        "organizationalEntityFollowerStatistics.FINDER-organizationalEntity",
        "organizationalEntityShareStatistics.FINDER-organizationalEntity",
    ]


def test_posts_of_the_window_equal_the_posts_published_with_their_lifetime_figures(sandbox, settings, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]

    rows = read(settings, LinkedInPagesClient.posts, organization.id, *month)

    truth = organization_posts(sandbox.advertiser, organization, *month)
    today = sandbox.advertiser.today
    assert sorted((r["post_urn"], r["published_date"], r["permalink"], r["commentary"]) for r in rows) == sorted(
        (p.urn, p.published_date.isoformat(), p.permalink, p.commentary) for p in truth
    )
    by_urn = {r["post_urn"]: r for r in rows}
    for post in truth:
        figures, row = post.figures(today), by_urn[post.urn]
        assert {name: row[name] for name in post.final} == {name: figures[name] for name in post.final}
        assert row["engagement"] == pytest.approx(figures["engagement"])
        assert row["published_at"].startswith(post.published_at.strftime("%Y-%m-%d %H:%M:%S"))
    assert {urn.split(":")[2] for urn in by_urn} == {"share", "ugcPost"}, "both kinds of post, both statistics lists"
    assert rows[0]["permalink"] == f"https://www.linkedin.com/feed/update/{rows[0]['post_urn']}/"


def test_after_a_restatement_last_weeks_posts_gathered_more_and_older_posts_are_unchanged(sandbox, settings, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]
    week_ago = sandbox.advertiser.today - dt.timedelta(days=7)
    before = {r["post_urn"]: r for r in read(settings, LinkedInPagesClient.posts, organization.id, *month)}

    sandbox.restate()
    after = {r["post_urn"]: r for r in read(settings, LinkedInPagesClient.posts, organization.id, *month)}

    recent = [urn for urn, row in before.items() if row["published_date"] > week_ago.isoformat()]
    older = [urn for urn, row in before.items() if row["published_date"] <= week_ago.isoformat()]
    assert recent and older and after.keys() == before.keys()
    assert all(after[urn]["impressions"] > before[urn]["impressions"] for urn in recent)
    assert all(after[urn] == before[urn] for urn in older)


def test_an_organization_without_the_admin_role_fails_alone_naming_it_and_the_permission(sandbox, settings, month):
    denied, allowed = linkedin_organizations(sandbox.advertiser)
    sandbox.faults.arm("linkedin_pages", "organization_permission_denied", times=None, organization=denied.urn)

    days, posts = outcomes(fetch_window(settings, *month)), outcomes(fetch_posts(settings, *month))

    for outcome, permission in ((days, "rw_organization_admin"), (posts, "r_organization_social")):
        error = outcome[denied.id]
        assert isinstance(error, PlatformAuthError) and error.account == denied.id
        assert denied.id in str(error) and permission in str(error) and "ADMINISTRATOR" in str(error)
    assert len(days[allowed.id]) == 30 and posts[allowed.id]


def test_follower_totals_are_the_totals_at_the_end_of_yesterday_and_a_refused_one_fails_alone(sandbox, settings):
    denied, allowed = linkedin_organizations(sandbox.advertiser)
    sandbox.faults.arm("linkedin_pages", "organization_permission_denied", times=None, organization=denied.id)

    totals = outcomes(fetch_follower_totals(settings))

    assert [record["followers"] for record in totals[allowed.id]] == [follower_total(sandbox.advertiser, allowed)]
    assert isinstance(totals[denied.id], PlatformAuthError) and denied.id in str(totals[denied.id])
    yesterday = organization_days(
        sandbox.advertiser, allowed, sandbox.advertiser.today - dt.timedelta(days=1), sandbox.advertiser.today
    )
    assert follower_total(sandbox.advertiser, allowed) == yesterday[0].followers_total


def test_a_range_older_than_linkedins_twelve_months_is_refused_before_any_request(sandbox, settings, yesterday):
    organization = linkedin_organizations(sandbox.advertiser)[0]

    with pytest.raises(PlatformConfigError, match="12 months") as raised:
        read(
            settings,
            LinkedInPagesClient.daily_statistics,
            organization.id,
            yesterday - dt.timedelta(days=400),
            yesterday,
        )

    assert raised.value.account == organization.id and sandbox.linkedin_pages.requests == []


def test_a_full_twelve_month_backfill_from_the_earliest_day_is_served(sandbox, settings, yesterday):
    organization = linkedin_organizations(sandbox.advertiser)[0]
    first = earliest_day(clock.today())

    rows = read(settings, LinkedInPagesClient.daily_statistics, organization.id, first, yesterday)

    assert rows[0]["date"] == first.isoformat() and len(rows) == (yesterday - first).days + 1


def test_linkedin_refuses_a_range_starting_at_the_midnight_a_year_before_today(sandbox):
    """The sandbox's own strictness, which the backfill above relies on to fail when the start is a day early."""
    organization = linkedin_organizations(sandbox.advertiser)[0]
    utc_day = clock.now(dt.UTC).date()
    year_ago = utc_day.replace(
        year=utc_day.year - 1, day=28 if (utc_day.month, utc_day.day) == (2, 29) else utc_day.day
    )
    start = int(dt.datetime.combine(year_ago, dt.time(), dt.UTC).timestamp() * 1000)
    query = (
        f"q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A{organization.id}"
        f"&timeIntervals=(timeRange:(start:{start},end:{start + 86_400_000}),timeGranularityType:DAY)"
    )
    headers = {
        "Authorization": f"Bearer {SANDBOX_LINKEDIN_TOKEN}",
        "LinkedIn-Version": configured_api_version(),
        "X-Restli-Protocol-Version": "2.0.0",
    }

    answer = requests.get(
        f"{sandbox.base_url}/rest/organizationalEntityFollowerStatistics?{query}", headers=headers, timeout=10
    )

    assert answer.status_code == 400 and "Invalid timeIntervals parameter" in answer.json()["message"]


def test_a_daily_limit_costs_one_call_per_source_and_says_when_it_resets(sandbox, settings, month):
    # LinkedIn's daily limits answer 429 without Retry-After (linkedin_ads.py's "throttle" fault without retry_after).
    sandbox.faults.arm("linkedin", "throttle", times=None)
    organizations = [organization.id for organization in linkedin_organizations(sandbox.advertiser)]

    outcomes_by_source = [
        outcomes(fetch_window(settings, *month)),
        outcomes(fetch_posts(settings, *month)),
        outcomes(fetch_follower_totals(settings)),
    ]

    assert len(sandbox.request_log) == 3, "one call per source, none per further organization"
    for outcome in outcomes_by_source:
        assert list(outcome) == organizations
        for error in outcome.values():
            assert isinstance(error, PlatformThrottledError) and "resets at midnight UTC" in str(error)
        assert str(outcome[organizations[1]]) == f"Not read: {outcome[organizations[0]]}"


def test_throttles_and_server_errors_are_waited_out(sandbox, settings, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]
    sandbox.faults.arm("linkedin", "throttle", times=1, retry_after=0)
    sandbox.faults.arm("linkedin", "server_error", times=1, status=503)

    rows = read(settings, LinkedInPagesClient.daily_statistics, organization.id, *month)

    assert len(rows) == 30


def test_refresh_settings_alone_sync_every_organization_with_one_token_issued_at_the_first_call(sandbox, month):
    only_refresh = {name: value for name, value in sandbox_settings(sandbox).items() if name != "LINKEDIN_ACCESS_TOKEN"}
    settings = LinkedInPagesSettings.from_env(only_refresh)
    assert settings is not None and settings.access_token is None

    days = outcomes(fetch_window(settings, *month))

    assert [len(rows) for rows in days.values()] == [30] * len(linkedin_organizations(sandbox.advertiser))
    assert sandbox.linkedin.tokens_issued == 1, "one token for the source's client, not one per organization"
    assert sandbox.request_log[0] == ("POST", "/oauth/v2/accessToken")


def test_check_with_refresh_settings_alone_answers_for_every_organization(sandbox):
    only_refresh = {name: value for name, value in sandbox_settings(sandbox).items() if name != "LINKEDIN_ACCESS_TOKEN"}
    settings = LinkedInPagesSettings.from_env(only_refresh)
    assert settings is not None

    results = dict(check_access(settings))

    assert results == {organization.id: None for organization in linkedin_organizations(sandbox.advertiser)}
    assert sandbox.linkedin.tokens_issued == 1


def test_an_expired_token_is_renewed_once_and_the_pages_are_read(sandbox, refreshing, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]
    sandbox.faults.arm("linkedin", "expired_token", times=1)
    client = LinkedInPagesClient(refreshing, sleep=lambda _s: None)

    rows = list(client.daily_statistics(organization.id, *month))

    assert len(rows) == 30 and client.token_refreshes == 1 and sandbox.linkedin.tokens_issued == 1
    assert sandbox.request_log.count(("POST", "/oauth/v2/accessToken")) == 1


def test_a_refused_refresh_names_the_fix_and_no_secret(sandbox, refreshing, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]
    sandbox.faults.arm("linkedin", "expired_token", times=1)
    revoked = dataclasses.replace(refreshing, refresh_token="AQXrevoked+refresh/token==")

    with pytest.raises(PlatformAuthError, match="LINKEDIN_REFRESH_TOKEN") as raised:
        read(revoked, LinkedInPagesClient.daily_statistics, organization.id, *month)

    message = str(raised.value)
    assert raised.value.account == organization.id and f"organization {organization.id}" in message
    assert "LINKEDIN_CLIENT_ID" in message and "LINKEDIN_CLIENT_SECRET" in message
    assert not [
        form
        for secret in ("AQXrevoked+refresh/token==", SANDBOX_CLIENT_SECRET, SANDBOX_LINKEDIN_TOKEN)
        for form in (secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret))
        if form in message
    ]


def test_a_renewed_token_rejected_again_names_the_scopes_and_a_new_refresh_token(sandbox, refreshing, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]
    sandbox.faults.arm("linkedin", "expired_token", times=2)  # the settings' token, then the renewed one

    with pytest.raises(PlatformAuthError, match="freshly refreshed") as raised:
        read(refreshing, LinkedInPagesClient.daily_statistics, organization.id, *month)

    assert "rw_organization_admin" in str(raised.value) and "LINKEDIN_REFRESH_TOKEN" in str(raised.value)
    assert sandbox.linkedin.tokens_issued == 1, "renewed once, not again and again"


def test_an_expired_token_without_refresh_settings_names_both_ways_and_is_not_retried(sandbox, settings, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]
    sandbox.faults.arm("linkedin", "expired_token", times=1)

    with pytest.raises(PlatformAuthError) as raised:
        read(settings, LinkedInPagesClient.daily_statistics, organization.id, *month)

    assert "LINKEDIN_ACCESS_TOKEN" in str(raised.value) and "LINKEDIN_REFRESH_TOKEN" in str(raised.value)
    assert SANDBOX_LINKEDIN_TOKEN not in str(raised.value) and len(sandbox.request_log) == 1


def test_a_retired_version_names_linkedin_api_version(sandbox, settings, month):
    organization = linkedin_organizations(sandbox.advertiser)[0]
    sandbox.faults.arm("linkedin", "version_retired", times=1)

    with pytest.raises(PlatformConfigError, match="LINKEDIN_API_VERSION"):
        read(settings, LinkedInPagesClient.daily_statistics, organization.id, *month)


def test_a_negative_gain_is_kept_as_linkedin_reports_it():
    element = {"followerGains": {"organicFollowerGain": -3, "paidFollowerGain": 2}}

    record = parse_day({"followerStatistics": element}, "123", dt.date(2026, 10, 1))

    assert (record["organic_follower_gain"], record["paid_follower_gain"]) == (-3, 2)
    assert record["impressions"] == 0 and record["unique_impressions"] is None and record["engagement"] is None


def test_settings_read_organizations_as_numbers_or_urns_with_the_linkedin_ads_token():
    settings = LinkedInPagesSettings.from_env(
        {
            "LINKEDIN_ORGANIZATION_IDS": " 123, urn:li:organization:456 ",
            "LINKEDIN_ACCESS_TOKEN": "token",
            "LINKEDIN_API_URL": "http://127.0.0.1:9/",
            "LINKEDIN_API_VERSION": "202608",
        }
    )

    assert settings.organization_ids == ("123", "456") and settings.access_token == "token"
    assert settings.api_url == "http://127.0.0.1:9" and settings.api_version == "202608"
    assert LinkedInPagesSettings.from_env({"LINKEDIN_ACCESS_TOKEN": "token"}) is None
    with pytest.raises(PlatformConfigError, match="nordlys-outdoor"):
        LinkedInPagesSettings.from_env({"LINKEDIN_ORGANIZATION_IDS": "nordlys-outdoor", "LINKEDIN_ACCESS_TOKEN": "t"})
    with pytest.raises(PlatformConfigError, match="LINKEDIN_API_VERSION"):
        LinkedInPagesSettings.from_env(
            {"LINKEDIN_ORGANIZATION_IDS": "123", "LINKEDIN_ACCESS_TOKEN": "t", "LINKEDIN_API_VERSION": "2026-10"}
        )


def test_organizations_without_a_token_or_complete_refresh_settings_name_both_ways():
    with pytest.raises(PlatformConfigError) as without_credentials:
        LinkedInPagesSettings.from_env({"LINKEDIN_ORGANIZATION_IDS": "123"})
    with pytest.raises(PlatformConfigError) as half_of_refresh:
        LinkedInPagesSettings.from_env(
            {
                "LINKEDIN_ORGANIZATION_IDS": "123",
                "LINKEDIN_CLIENT_ID": "app",
                "LINKEDIN_REFRESH_TOKEN": "refresh-secret",
            }
        )

    assert all(
        name in str(without_credentials.value)
        for name in ("LINKEDIN_ACCESS_TOKEN", "LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET", "LINKEDIN_REFRESH_TOKEN")
    )
    assert "LINKEDIN_CLIENT_SECRET not set" in str(half_of_refresh.value)
    assert "LINKEDIN_ACCESS_TOKEN" in str(half_of_refresh.value) and "refresh-secret" not in str(half_of_refresh.value)


def test_refresh_settings_alone_configure_the_pages_and_stay_out_of_repr():
    settings = LinkedInPagesSettings.from_env(
        {
            "LINKEDIN_ORGANIZATION_IDS": "123",
            "LINKEDIN_CLIENT_ID": "app",
            "LINKEDIN_CLIENT_SECRET": "app-secret",
            "LINKEDIN_REFRESH_TOKEN": "refresh-secret",
            "LINKEDIN_OAUTH_URL": "http://127.0.0.1:9/",
        }
    )

    assert settings is not None and settings.can_refresh and settings.access_token is None
    assert settings.oauth_url == "http://127.0.0.1:9"
    assert "app-secret" not in repr(settings) and "refresh-secret" not in repr(settings)


def test_the_sandbox_environment_turns_on_every_organization(sandbox):
    settings = LinkedInPagesSettings.from_env(sandbox.environment())

    assert settings.organization_ids == tuple(o.id for o in linkedin_organizations(sandbox.advertiser))
    assert settings.access_token == SANDBOX_LINKEDIN_TOKEN and settings.api_url == sandbox.base_url


def test_check_reports_each_organization(sandbox, settings):
    denied, allowed = linkedin_organizations(sandbox.advertiser)
    sandbox.faults.arm("linkedin_pages", "organization_permission_denied", times=None, organization=denied.id)

    results = dict(check_access(settings))

    assert results[allowed.id] is None
    assert isinstance(refusal := results[denied.id], str) and "rw_organization_admin" in refusal

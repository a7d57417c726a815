"""The Facebook Pages connector reads each Page with that Page's own token, as Graph requires, against the sandbox
over HTTP: the Pages' system user's token gets each Page's token once, a Page token configured for its one Page
is used as is, a token Meta gives no Page token for fails with what to grant, and no Page token is ever written."""

import datetime as dt
import json

import pytest
import requests

from connectors.errors import PlatformAuthError
from connectors.facebook_pages.client import (
    PAGE_TOKEN_ADVICE,
    FacebookPagesClient,
    FacebookPagesSettings,
    check_access,
    fetch_follower_totals,
    fetch_posts,
    fetch_window,
)
from connectors.graph.organic import PAGE_TOKENS
from connectors.redaction import Scrubber, stored_line
from connectors.retry import Backoff
from connectors.sandbox.facebook_pages import (
    PAGE_TOKEN_REFUSAL,
    PAGE_WITHOUT_ANALYZE_ID,
    SANDBOX_PAGE_TOKEN,
    page_token,
)
from connectors.sandbox.meta_ads import SANDBOX_META_TOKEN
from connectors.sandbox.organic_figures import facebook_pages, page_days

VERSION = "v26.0"


@pytest.fixture(autouse=True)
def no_page_token_kept():
    """Each test asks its Pages' tokens afresh: the tokens kept by the process are per Graph URL, and a port may
    be used again by a later test's sandbox."""
    PAGE_TOKENS.clear()
    yield
    PAGE_TOKENS.clear()


def settings(sandbox, token: str, page_ids: tuple[str, ...]) -> FacebookPagesSettings:
    return FacebookPagesSettings(
        access_token=token,
        page_ids=page_ids,
        graph_url=sandbox.base_url,
        backoff=Backoff(attempts=3, base_seconds=0.01, max_seconds=0.05),
    )


def every_page(sandbox) -> tuple[str, ...]:
    return tuple(page.id for page in facebook_pages(sandbox.advertiser))


def collected(fetched) -> dict:
    """page id → its records, or the error its slice failed with."""
    out = {}
    for page_id, records in fetched:
        try:
            out[page_id] = list(records)
        except PlatformAuthError as error:
            out[page_id] = error
    return out


def test_the_system_users_token_reads_every_page_with_its_own_page_token_asked_once_per_page(sandbox, yesterday):
    pages = facebook_pages(sandbox.advertiser)
    week = (yesterday - dt.timedelta(days=6), yesterday)
    system_user = settings(sandbox, SANDBOX_PAGE_TOKEN, every_page(sandbox))

    checked = dict(check_access(system_user))
    days = collected(fetch_window(system_user, *week))
    posts = collected(fetch_posts(system_user, *week))
    followers = collected(fetch_follower_totals(system_user))

    assert checked == {page.id: None for page in pages}
    for page in pages:
        truth = page_days(sandbox.advertiser, page, *week)
        assert [(row["date"], row["follows_total"]) for row in days[page.id]] == [
            (day.day.isoformat(), day.follows_total) for day in truth
        ]
        assert isinstance(posts[page.id], list) and len(followers[page.id]) == 1
    # one token call per Page for the check, the days, the posts and the follower totals together
    assert sandbox.facebook_pages.page_token_reads == {page.id: 1 for page in pages}


def test_a_page_token_configured_for_its_one_page_is_used_as_it_is(sandbox, yesterday):
    page = facebook_pages(sandbox.advertiser)[0]
    own = settings(sandbox, page_token(page.id), (page.id,))

    checked = dict(check_access(own))
    days = collected(fetch_window(own, yesterday, yesterday))

    assert checked == {page.id: None}
    assert [row["date"] for row in days[page.id]] == [yesterday.isoformat()]


def test_a_token_whose_user_has_no_task_on_the_page_fails_naming_what_to_grant(sandbox):
    page = facebook_pages(sandbox.advertiser)[0]
    ads_only = settings(sandbox, SANDBOX_META_TOKEN, (page.id,))  # the ad accounts' system user holds no Page

    refusal = str(dict(check_access(ads_only))[page.id])

    assert "gave no Page token for Facebook Page" in refusal and PAGE_TOKEN_ADVICE in refusal
    assert "View Page performance" in refusal and "pages_read_engagement" in refusal


def test_a_refused_page_token_fails_that_page_alone_naming_the_permissions(sandbox, yesterday):
    refused, allowed = facebook_pages(sandbox.advertiser)
    sandbox.faults.arm("facebook_pages", "page_token_refused", times=None, page=refused.id)

    days = collected(fetch_window(settings(sandbox, SANDBOX_PAGE_TOKEN, every_page(sandbox)), yesterday, yesterday))

    assert isinstance(error := days[refused.id], PlatformAuthError)
    assert "would not give the Page token" in str(error) and "pages_show_list" in str(error)
    assert isinstance(days[allowed.id], list) and len(days[allowed.id]) == 1


def test_the_page_without_analyze_gets_its_token_and_its_insights_are_still_refused(sandbox):
    refusal = str(
        dict(check_access(settings(sandbox, SANDBOX_PAGE_TOKEN, (PAGE_WITHOUT_ANALYZE_ID,))))[PAGE_WITHOUT_ANALYZE_ID]
    )

    assert "no task" in refusal and "2853006" in refusal
    assert sandbox.facebook_pages.page_token_reads == {PAGE_WITHOUT_ANALYZE_ID: 1}


def test_no_page_token_appears_in_a_staged_line_or_an_error(sandbox, yesterday):
    pages = facebook_pages(sandbox.advertiser)
    sandbox.faults.arm("facebook_pages", "page_permission_denied", times=None, page=pages[0].id)
    system_user = settings(sandbox, SANDBOX_PAGE_TOKEN, every_page(sandbox))
    month = (yesterday - dt.timedelta(days=29), yesterday)
    staging_scrub = Scrubber()  # made before the sync reads any Page token, as a sync's staging is

    fetched = collected(fetch_posts(system_user, *month))
    raw = json.dumps({key: rows if isinstance(rows, list) else str(rows) for key, rows in fetched.items()})
    staged = [stored_line(row, staging_scrub) for rows in fetched.values() if isinstance(rows, list) for row in rows]
    errors = [str(rows) for rows in fetched.values() if not isinstance(rows, list)]
    errors += [line for line in dict(check_access(system_user)).values() if line]

    assert page_token(pages[1].id) in raw, "Graph's paging links in the posts carry the Page token"
    assert staged and errors
    for page in pages:
        assert not any(page_token(page.id) in line for line in [*staged, *errors])


def test_a_client_reads_its_pages_one_session_at_a_time(sandbox, yesterday):
    first, second = facebook_pages(sandbox.advertiser)
    client = FacebookPagesClient(settings(sandbox, SANDBOX_PAGE_TOKEN, every_page(sandbox)), sleep=lambda _s: None)
    try:
        list(client.daily_insights(first.id, yesterday, yesterday))
        list(client.daily_insights(second.id, yesterday, yesterday))
        session = client._page_session  # noqa: SLF001 - what the client holds is the point
    finally:
        client.close()

    assert session is not None and session[0] == second.id


def test_page_reads_refuse_every_token_but_the_pages_own_as_meta_does(sandbox, yesterday):
    first, second = facebook_pages(sandbox.advertiser)
    url = f"{sandbox.base_url}/{VERSION}/{first.id}/insights"

    def asked_with(token):
        return requests.get(
            url,
            params={
                "metric": "page_follows",
                "period": "day",
                "since": yesterday.isoformat(),
                "until": (yesterday + dt.timedelta(days=1)).isoformat(),
                "access_token": token,
            },
            timeout=30,
        )

    own, system_user, other_page = (
        asked_with(page_token(first.id)),
        asked_with(SANDBOX_PAGE_TOKEN),
        asked_with(page_token(second.id)),
    )

    assert own.status_code == 200
    for refused in (system_user, other_page):
        assert refused.status_code == 400
        assert (refused.json()["error"]["code"], refused.json()["error"]["message"]) == (190, PAGE_TOKEN_REFUSAL)


def test_debug_token_says_a_page_token_is_its_pages(sandbox):
    page = facebook_pages(sandbox.advertiser)[0]
    token = page_token(page.id)

    data = requests.get(
        f"{sandbox.base_url}/{VERSION}/debug_token", params={"input_token": token, "access_token": token}, timeout=30
    ).json()["data"]

    assert (data["type"], data["profile_id"], data["is_valid"]) == ("PAGE", page.id, True)

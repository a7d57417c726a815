"""Graph's batch requests as the sandbox serves them over HTTP (connectors/sandbox/graph_batch.py): each request of a
batch answered as it would be alone, in order, its error in its own entry, the 50-request limit kept, and a batch
out of time leaving nulls; and the Instagram connector, which reads its days and media in batches, asking again
only what a batch left unanswered."""

import datetime as dt
import json
from collections import Counter

import pytest
import requests
from facebook_business.adobjects.iguser import IGUser
from facebook_business.api import FacebookAdsApi
from facebook_business.session import FacebookSession

from connectors.graph import regain_seconds_by_business
from connectors.graph.organic import graph_error
from connectors.instagram.client import InstagramClient
from connectors.sandbox.facebook_pages import SANDBOX_PAGE_TOKEN, page_token
from connectors.sandbox.graph_usage import business_of
from connectors.sandbox.instagram_figures import instagram_accounts
from connectors.sandbox.organic_figures import facebook_pages
from test_instagram_connector import read, settings_for

VERSION = "v26.0"


@pytest.fixture
def month(yesterday):
    return yesterday - dt.timedelta(days=29), yesterday


def post_batch(sandbox, calls: list[dict], **params) -> requests.Response:
    data = {"access_token": SANDBOX_PAGE_TOKEN, "batch": json.dumps(calls), **params}
    return requests.post(f"{sandbox.base_url}/{VERSION}/", data=data, timeout=30)


def reach_call(account_id: str, day: dt.date) -> dict:
    since = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())
    query = f"metric=reach&period=day&metric_type=total_value&since={since}&until={since + 86400}"
    return {"method": "GET", "relative_url": f"{account_id}/insights?{query}"}


def test_each_request_of_a_batch_is_answered_in_order_as_it_would_be_alone(sandbox, yesterday):
    account = instagram_accounts(sandbox.advertiser)[0]
    page = facebook_pages(sandbox.advertiser)[0]
    # The Page is read with its own Page token, the request's own (Graph takes one per request of a batch)
    calls = [
        reach_call(account.id, yesterday),
        {"method": "GET", "relative_url": f"{page.id}?fields=followers_count&access_token={page_token(page.id)}"},
        reach_call(account.id, yesterday - dt.timedelta(days=1)),
    ]

    answered = post_batch(sandbox, calls)

    assert answered.status_code == 200
    entries = answered.json()
    assert [entry["code"] for entry in entries] == [200, 200, 200]
    for call, entry in zip(calls, entries, strict=True):
        own_token = "access_token=" in call["relative_url"]
        alone = requests.get(
            f"{sandbox.base_url}/{VERSION}/{call['relative_url']}",
            params={} if own_token else {"access_token": SANDBOX_PAGE_TOKEN},
            timeout=30,
        )
        assert json.loads(entry["body"]) == alone.json(), "a body is the lone answer, as a JSON string"
        assert {"name": "Content-Type", "value": "application/json"} in entry["headers"]
    assert json.loads(entries[1]["body"])["id"] == page.id


def test_a_page_read_in_a_batch_with_the_system_users_token_is_refused_as_meta_refuses_it(sandbox):
    page = facebook_pages(sandbox.advertiser)[0]

    entries = post_batch(sandbox, [{"method": "GET", "relative_url": f"{page.id}/insights?metric=page_follows"}]).json()

    assert entries[0]["code"] == 400
    error = json.loads(entries[0]["body"])["error"]
    assert (error["code"], error["message"]) == (190, "(#190) This method must be called with a Page Access Token")


def test_a_failing_request_carries_its_own_error_while_the_others_complete(sandbox, yesterday):
    account = instagram_accounts(sandbox.advertiser)[0]
    refused = reach_call(account.id, yesterday)
    refused["relative_url"] += "&access_token=not-a-token"  # a request's own token wins over the batch's

    entries = post_batch(sandbox, [reach_call(account.id, yesterday), refused], include_headers="false").json()

    assert entries[0]["code"] == 200 and json.loads(entries[0]["body"])["data"]
    assert entries[1]["code"] == 400 and json.loads(entries[1]["body"])["error"]["code"] == 190
    assert all("headers" not in entry for entry in entries), "include_headers=false leaves them out"


def test_more_than_50_requests_in_one_batch_are_refused_and_none_is_served(sandbox, yesterday):
    account = instagram_accounts(sandbox.advertiser)[0]
    asked_before = len(sandbox.instagram.requests)

    answered = post_batch(sandbox, [reach_call(account.id, yesterday)] * 51)

    assert answered.status_code == 400 and answered.json()["error"]["code"] == 100
    assert "50" in answered.json()["error"]["message"]
    assert len(sandbox.instagram.requests) == asked_before


def test_a_batch_out_of_time_answers_null_for_the_requests_it_did_not_reach(sandbox, yesterday):
    account = instagram_accounts(sandbox.advertiser)[0]
    sandbox.faults.arm("meta", "batch_timeout", completed=2)

    entries = post_batch(sandbox, [reach_call(account.id, yesterday - dt.timedelta(days=n)) for n in range(5)]).json()

    assert [entry is None for entry in entries] == [False, False, True, True, True]


def test_a_month_of_instagram_days_takes_three_http_calls_instead_of_sixty(sandbox, month):
    account = instagram_accounts(sandbox.advertiser)[0]
    logged_before = len(sandbox.request_log)

    rows = read(settings_for(sandbox), InstagramClient.daily_insights, account.id, *month)

    assert len(rows) == 30
    # Each day's totals and its follows are still asked apart (a total_value covers its whole range) ...
    assert Counter(kind for kind, _ in sandbox.instagram.requests) == {"insights": 60}
    # ... in batches over HTTP: the account's first request alone, then the other 29 totals, then the 30 follows.
    logged = sandbox.request_log[logged_before:]
    assert Counter(method for method, _path in logged) == {"GET": 60, "POST": 3}


def test_days_batches_answer_in_part_are_asked_again_until_all_land_and_no_day_twice(sandbox, month):
    account = instagram_accounts(sandbox.advertiser)[0]
    settings = settings_for(sandbox)
    expected = read(settings, InstagramClient.daily_insights, account.id, *month)
    asked_before = len(sandbox.instagram.requests)
    # Every batch runs out of time after 5 requests: more rounds than the 3 attempts a failing call gets.
    sandbox.faults.arm("meta", "batch_timeout", times=None, completed=5)

    rows = read(settings, InstagramClient.daily_insights, account.id, *month)

    assert rows == expected
    asked = sandbox.instagram.requests[asked_before:]
    assert len(asked) == 60, "a day answered is not asked again; a day left unanswered is"


def test_a_batch_that_answers_nothing_is_retried_after_a_wait(sandbox, month, waits):
    account = instagram_accounts(sandbox.advertiser)[0]
    settings = settings_for(sandbox)
    expected = read(settings, InstagramClient.daily_insights, account.id, *month)
    sandbox.faults.arm("meta", "batch_timeout", times=1, completed=0)

    client = InstagramClient(settings, sleep=waits.sleep)
    try:
        rows = list(client.daily_insights(account.id, *month))
    finally:
        client.close()

    assert rows == expected
    assert len(waits) == 1, "one backoff, then the batch again"


def test_a_throttle_met_inside_a_batch_says_how_long_to_wait_as_a_lone_answer_does(sandbox, yesterday):
    account = instagram_accounts(sandbox.advertiser)[0]
    business = business_of(sandbox.advertiser, "instagram", account.id)
    sandbox.faults.arm("instagram", "business_throttle", times=None, account=account.id, regain_minutes=30)
    session = FacebookSession(access_token=SANDBOX_PAGE_TOKEN)
    session.GRAPH = sandbox.base_url
    api = FacebookAdsApi(session, api_version=FacebookAdsApi.API_VERSION)
    batch, refused = api.new_batch(), []
    for day in (yesterday, yesterday - dt.timedelta(days=1)):
        since = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())
        params = {"metric": ["reach"], "period": ["day"], "metric_type": "total_value", "since": since}
        IGUser(account.id, api=api).get_insights(params=params, batch=batch, failure=refused.append)

    assert batch.execute() is None
    errors = [graph_error(response) for response in refused]
    assert [error.api_error_code() for error in errors] == [80002, 80002]
    # the usage header reaches the connector as a lone call's does, though a batch lists its headers
    assert regain_seconds_by_business(errors[0].http_headers()) == {business: 1800.0, account.id: 1800.0}

"""The Meta connector, through the official facebook-business SDK, against the sandbox over HTTP."""

import collections
import dataclasses
import datetime as dt
import json
import re

import pytest
import requests
from facebook_business.api import FacebookAdsApi

from connectors.errors import (
    MalformedPayloadError,
    PlatformAuthError,
    PlatformConfigError,
    PlatformError,
    TransientPlatformError,
)
from connectors.meta_ads import client as meta_ads
from connectors.meta_ads.client import (
    MetaAdsClient,
    MetaAdsSettings,
    fetch_window,
    parse_account_time_zone,
    parse_insights_row,
)
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import AgencyScale
from connectors.sandbox.meta_ads import SANDBOX_META_TOKEN
from connectors.sandbox.meta_figures import meta_deliveries

DEFAULT_CONVERSIONS = {
    "offsite_conversion.fb_pixel_purchase",
    "onsite_conversion.purchase",
    "offsite_conversion.fb_pixel_lead",
    "onsite_conversion.lead_grouped",
}


def fetch(settings, account_id, since, until, waits=None, **overrides):
    settings = MetaAdsSettings(**{**settings.__dict__, **overrides})
    client = MetaAdsClient(settings, sleep=(waits.sleep if waits is not None else lambda _s: None))
    try:
        return client, list(client.daily_insights(account_id, since, until))
    finally:
        client.close()


def truth(sandbox, account_id, since, until, restatements=0):
    return list(meta_deliveries(sandbox.advertiser, account_id, since, until, restatements))


def by_key(rows):
    """Rows in one order, whatever order the reports returned them in."""
    return sorted(rows, key=lambda r: (r["date"], r["campaign_id"], r["ad_id"] or ""))


def page_limits(sandbox):
    """The `limit` of every page of results asked for, in order."""
    return [int(limit) for _run, _after, limit in sandbox.meta.result_pages_requested]


def identical_page_requests(sandbox):
    """How often the most repeated page request (report, cursor, limit) was sent."""
    return max(collections.Counter(sandbox.meta.result_pages_requested).values())


@pytest.fixture
def window(yesterday):
    return yesterday - dt.timedelta(days=27), yesterday


@pytest.fixture
def week(yesterday):
    """A shorter window, for the scenarios that read many small pages."""
    return yesterday - dt.timedelta(days=7), yesterday


@pytest.fixture
def account(sandbox):
    return sandbox.advertiser.meta_accounts[0].id


def test_a_month_is_one_report_job_per_account_with_every_campaign_day_and_the_advertisers_spend(
    sandbox, meta_settings, account, window
):
    client, rows = fetch(meta_settings, account, *window)

    expected = truth(sandbox, account, *window)
    assert client.report_jobs_started == 1
    assert sandbox.meta.report_runs_created == 1
    assert len(rows) == len(expected) > 28
    assert {(r["date"], r["campaign_id"]) for r in rows} == {(d.day.isoformat(), d.campaign.id) for d in expected}
    assert sum(r["spend"] for r in rows) == pytest.approx(sum(d.spend for d in expected), abs=0.01)
    assert sum(r["impressions"] for r in rows) == sum(d.impressions for d in expected)
    assert {r["account_timezone"] for r in rows} == {sandbox.advertiser.account(account).timezone}, (
        "the zone whose days the rows count, as the account node states it"
    )


def test_deleted_campaigns_keep_their_history_because_every_status_is_requested(
    sandbox, meta_settings, account, window
):
    deleted = [c for c in sandbox.advertiser.campaigns_of(account) if c.status == "DELETED"]
    assert deleted, "the synthetic advertiser has a deleted campaign on its first account"

    _, rows = fetch(meta_settings, account, *window)

    assert deleted[0].id in {r["campaign_id"] for r in rows}


def test_actions_are_kept_raw_and_parsed_into_numbers(meta_settings, account, window):
    _, rows = fetch(meta_settings, account, *window)

    with_purchases = next(
        r for r in rows if any(a["action_type"] == "offsite_conversion.fb_pixel_purchase" for a in r["actions"])
    )
    assert all(isinstance(a["value"], float) for a in with_purchases["actions"] + with_purchases["action_values"])
    assert '"actions":[{"action_type"' in with_purchases["raw_row"]
    assert '"spend":"' in with_purchases["raw_row"], "the raw row keeps the API's strings"


def test_results_are_read_in_pages_and_none_is_lost(sandbox, meta_settings, account, window):
    _, rows = fetch(meta_settings, account, *window, page_size=10)

    result_pages = [path for method, path in sandbox.request_log if path.endswith("/insights") and method == "GET"]
    assert len(result_pages) == -(-len(rows) // 10)
    assert len(rows) == len(truth(sandbox, account, *window))


def test_a_day_without_delivery_is_no_rows_not_an_error(sandbox, meta_settings, account):
    before_any_campaign = min(c.start for c in sandbox.advertiser.meta_campaigns) - dt.timedelta(days=10)

    _, rows = fetch(meta_settings, account, before_any_campaign, before_any_campaign + dt.timedelta(days=3))

    assert rows == []


@pytest.mark.parametrize("code", [17, 80004])
def test_throttling_waits_as_long_as_the_usage_headers_say_then_succeeds(
    sandbox, meta_settings, account, window, waits, code
):
    sandbox.faults.arm("meta", "throttle", times=1, code=code, regain_minutes=2)

    _, rows = fetch(meta_settings, account, *window, waits=waits)

    assert 120.0 in waits, "estimated_time_to_regain_access=2 minutes means waiting 120 s"
    assert len(rows) == len(truth(sandbox, account, *window))


def test_server_errors_are_retried_with_backoff(sandbox, meta_settings, account, window, waits):
    sandbox.faults.arm("meta", "server_error", times=1, status=500)
    sandbox.faults.arm("meta", "server_error", times=1, status=503)

    _, rows = fetch(meta_settings, account, *window, waits=waits)

    assert len(waits) >= 2
    assert len(rows) == len(truth(sandbox, account, *window))


def test_a_failed_report_job_is_started_again(sandbox, meta_settings, account, window):
    sandbox.faults.arm("meta", "job_failed", times=1)

    client, rows = fetch(meta_settings, account, *window)

    assert client.report_jobs_started == 2
    assert len(rows) == len(truth(sandbox, account, *window))


def test_a_report_job_that_keeps_failing_is_split_into_two_halves(sandbox, meta_settings, account, window):
    sandbox.faults.arm("meta", "job_failed", times=2)

    client, rows = fetch(meta_settings, account, *window)

    assert client.report_jobs_started == 4  # the whole range twice, then each half once
    assert sorted((r["date"], r["campaign_id"]) for r in rows) == sorted(
        (d.day.isoformat(), d.campaign.id) for d in truth(sandbox, account, *window)
    )


@pytest.mark.parametrize(
    "kind, phase",
    [
        ("too_much_data", "create"),  # 100/1487534 when the job is started
        ("request_timed_out", "create"),  # 100/1504018 "Try a smaller date range"
        ("reduce_data", "create"),  # code 1 "Please reduce the amount of data you're asking for"
        ("too_much_data", "results"),  # 100/1487534 on a page of results
        ("reduce_data", "results"),
    ],
)
def test_when_meta_says_a_request_asks_too_much_a_smaller_one_brings_exactly_the_undisturbed_rows(
    sandbox, meta_settings, account, week, kind, phase
):
    _, undisturbed = fetch(meta_settings, account, *week, page_size=20)
    sandbox.meta.result_pages_requested.clear()
    sandbox.faults.arm("meta", kind, times=1, phase=phase)

    client, rows = fetch(meta_settings, account, *week, page_size=20)

    assert by_key(rows) == by_key(undisturbed)
    assert identical_page_requests(sandbox) == 1, "the refused request is never sent again as it was"
    if phase == "create":
        assert client.report_jobs_started == 3, "the whole range once, then each half"
    else:
        assert client.report_jobs_started == 1
        assert page_limits(sandbox)[:2] == [20, 10], "the refused page is asked for again with half the rows"


def test_a_page_refused_part_way_is_read_again_from_the_same_cursor_with_half_the_rows(
    sandbox, meta_settings, account, week
):
    _, undisturbed = fetch(meta_settings, account, *week, page_size=4)
    sandbox.meta.result_pages_requested.clear()
    client = MetaAdsClient(MetaAdsSettings(**{**meta_settings.__dict__, "page_size": 4}), sleep=lambda _s: None)
    reading = client.daily_insights(account, *week)
    first_rows = [next(reading) for _ in range(6)]  # pages one and two are in; page three comes next

    sandbox.faults.arm("meta", "reduce_data", times=1, phase="results")
    rows = first_rows + list(reading)
    client.close()

    assert by_key(rows) == by_key(undisturbed)
    pages = sandbox.meta.result_pages_requested
    assert [int(limit) for *_, limit in pages[:5]] == [4, 4, 4, 2, 4], "then back to the setting"
    assert pages[2][1] == pages[3][1] is not None, "the smaller page starts where the refused one would have"
    assert identical_page_requests(sandbox) == 1 and client.report_jobs_started == 1


def test_a_page_refused_even_at_one_row_splits_the_range_and_no_row_comes_twice(sandbox, meta_settings, account, week):
    _, undisturbed = fetch(meta_settings, account, *week, page_size=4)
    client = MetaAdsClient(MetaAdsSettings(**{**meta_settings.__dict__, "page_size": 4}), sleep=lambda _s: None)
    reading = client.daily_insights(account, *week)
    first_rows = [next(reading) for _ in range(6)]

    sandbox.faults.arm("meta", "reduce_data", times=3, phase="results")  # refuses 4, 2 and 1 rows
    rows = first_rows + list(reading)
    client.close()

    assert by_key(rows) == by_key(undisturbed)
    assert client.report_jobs_started == 3, "the whole range, then each half"


def test_an_unknown_error_twice_fails_only_that_account_and_as_a_platform_error(
    sandbox, meta_settings, window, yesterday
):
    first, second = (a.id for a in sandbox.advertiser.meta_accounts)
    sandbox.faults.arm("meta", "server_error", times=2, status=500)  # code 1 "An unknown error occurred"

    outcomes = {}
    for account_id, pages in fetch_window(meta_settings, *window):  # as the pipeline reads each slice
        try:
            outcomes[account_id] = sum(len(json.loads(page)["page"]["data"]) for page in pages)
        except PlatformError as error:
            outcomes[account_id] = error

    assert isinstance(outcomes[first], TransientPlatformError)
    assert f"act_{first}" in str(outcomes[first]) and "code 1" in str(outcomes[first])
    assert outcomes[second] == len(truth(sandbox, second, *window)), "the other account is read in full"
    version = FacebookAdsApi.API_VERSION
    assert sandbox.request_log[:3] == [("GET", f"/{version}/act_{first}")] * 2 + [
        ("GET", f"/{version}/act_{second}")
    ], "the same call is retried once, then the account is given up"


def test_anything_unexpected_leaves_as_a_platform_error_naming_the_account(meta_settings, account, window, monkeypatch):
    def broken_parser(*_args):
        raise KeyError("campaign_id")

    monkeypatch.setattr(meta_ads, "parse_insights_row", broken_parser)

    with pytest.raises(PlatformError, match=rf"act_{account}.*KeyError") as raised:
        fetch(meta_settings, account, *window)

    assert raised.value.account == account and raised.value.__context__ is None


@pytest.mark.parametrize("how", ["the SDK calls a retired version", "Meta says so"])
def test_a_retired_graph_version_is_a_config_error_naming_the_version_and_the_fix(
    sandbox, meta_settings, account, window, monkeypatch, how
):
    if how == "the SDK calls a retired version":
        monkeypatch.setattr(FacebookAdsApi, "API_VERSION", "v19.0")  # older than the sandbox serves
    else:
        sandbox.faults.arm("meta", "deprecated_version", times=1)
    version = FacebookAdsApi.API_VERSION

    with pytest.raises(PlatformConfigError) as raised:
        fetch(meta_settings, account, *window)

    message = str(raised.value)
    assert f"Graph API {version}" in message and "2635" in message and f"act_{account}" in message
    assert "Upgrade facebook-business" in message and "pyproject.toml" in message
    assert len(sandbox.request_log) == 1, "a retired version is not retried"


def test_an_expired_token_fails_at_once_naming_the_account_and_the_fix(sandbox, meta_settings, account, window, waits):
    sandbox.faults.arm("meta", "expired_token", times=None)

    with pytest.raises(PlatformAuthError) as raised:
        fetch(meta_settings, account, *window, waits=waits)

    message = str(raised.value)
    assert f"act_{account}" in message and "META_ACCESS_TOKEN" in message and "190" in message
    assert SANDBOX_META_TOKEN not in message
    assert raised.value.__context__ is None and raised.value.__cause__ is None, (
        "the SDK error (with the request) is not chained"
    )
    assert waits == [] and len(sandbox.request_log) == 1, "auth errors are never retried"


def test_an_account_the_token_cannot_see_is_a_config_error_naming_it(meta_settings, window):
    with pytest.raises(PlatformConfigError, match="act_999.*META_AD_ACCOUNT_IDS"):
        fetch(meta_settings, "act_999", *window)


def test_a_malformed_number_is_refused_with_the_field_and_value_named(sandbox, meta_settings, account, window):
    sandbox.faults.arm("meta", "malformed_payload", times=1)

    with pytest.raises(MalformedPayloadError, match=r"spend='1\.234,56' is not a number"):
        fetch(meta_settings, account, *window)


@pytest.mark.parametrize(
    "sent, stored", [("-2E-18", 0.0), ("1.0E-5", 0.0), ("107.5300000000000335346", 107.53), ("12.3", 12.3)]
)
def test_every_numeric_form_of_spend_is_stored_to_the_cent(sent, stored):
    row = {
        "account_id": "123",
        "date_start": "2026-11-20",
        "date_stop": "2026-11-20",
        "campaign_id": "9",
        "account_currency": "NOK",
        "spend": sent,
    }

    record = parse_insights_row(row, "123", "campaign", dt.date(2026, 11, 20), dt.date(2026, 11, 20))

    assert record["spend"] == stored and str(record["spend"]) != "-0.0"


@pytest.mark.parametrize("node", [{}, {"timezone_name": ""}, {"timezone_name": "Oslo time"}])
def test_an_account_node_without_a_known_time_zone_is_refused_naming_the_account(node):
    with pytest.raises(MalformedPayloadError, match=r"no usable time zone for ad account act_123"):
        parse_account_time_zone(node, "123")


def test_deleted_ads_keep_their_history_at_ad_level_because_every_ad_status_is_requested(
    sandbox, meta_settings, account, window
):
    deleted = next(c for c in sandbox.advertiser.campaigns_of(account) if c.status == "DELETED")

    _, rows = fetch(meta_settings, account, *window, level="ad")

    assert set(deleted.ad_ids) <= {r["ad_id"] for r in rows}


def test_the_sandbox_leaves_deleted_ads_out_at_ad_level_unless_asked_for_by_ad_effective_status(
    sandbox, account, window
):
    deleted = next(c for c in sandbox.advertiser.campaigns_of(account) if c.status == "DELETED")
    every_status = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "IN_PROCESS", "WITH_ISSUES"]

    def ad_ids_when_filtering_on(field):
        query = {
            "access_token": SANDBOX_META_TOKEN,
            "level": "ad",
            "time_range": json.dumps({"since": window[0].isoformat(), "until": window[1].isoformat()}),
            "time_increment": "1",
            "fields": json.dumps(["ad_id", "campaign_id"]),
            "filtering": json.dumps([{"field": field, "operator": "IN", "value": every_status}]),
            "limit": "5000",
        }
        url = f"{sandbox.base_url}/{FacebookAdsApi.API_VERSION}/act_{account}/insights"
        return {row["ad_id"] for row in requests.get(url, params=query, timeout=5).json()["data"]}

    assert not set(deleted.ad_ids) & ad_ids_when_filtering_on("campaign.effective_status")
    assert set(deleted.ad_ids) <= ad_ids_when_filtering_on("ad.effective_status")


def test_ad_level_rows_add_up_to_the_campaign_level(meta_settings, account, window):
    _, campaign_rows = fetch(meta_settings, account, *window)
    _, ad_rows = fetch(meta_settings, account, *window, level="ad")

    assert len(ad_rows) == 2 * len(campaign_rows)
    assert all(r["ad_id"] for r in ad_rows)
    assert sum(r["spend"] for r in ad_rows) == pytest.approx(sum(r["spend"] for r in campaign_rows), abs=0.01)
    assert sum(r["clicks"] for r in ad_rows) == sum(r["clicks"] for r in campaign_rows)


@pytest.mark.parametrize("level", ["campaign", "ad"])
def test_rows_carry_their_campaigns_objective(sandbox, meta_settings, window, level):
    awareness, leads, sales = (
        next(c for c in sandbox.advertiser.meta_campaigns if c.objective == objective)
        for objective in ("awareness", "leads", "sales")
    )

    rows = [
        row
        for account in sandbox.advertiser.meta_accounts
        for row in fetch(meta_settings, account.id, *window, level=level)[1]
    ]

    def objectives_of(campaign):
        return {r["objective"] for r in rows if r["campaign_id"] == campaign.id}

    assert objectives_of(awareness) == {"OUTCOME_AWARENESS"}
    assert objectives_of(leads) == {"OUTCOME_LEADS"}
    assert objectives_of(sales) == {"OUTCOME_SALES"}
    assert '"objective":"OUTCOME_' in rows[0]["raw_row"]


def test_an_objective_not_sent_is_none_and_one_that_is_not_a_string_is_refused():
    day = dt.date(2026, 11, 1)
    row = {
        "account_id": "123",
        "account_currency": "NOK",
        "campaign_id": "9",
        "date_start": day.isoformat(),
        "date_stop": day.isoformat(),
    }

    assert parse_insights_row(row, "123", "campaign", day, day)["objective"] is None
    with pytest.raises(MalformedPayloadError, match=r"objective=7 is not a string"):
        parse_insights_row({**row, "objective": 7}, "123", "campaign", day, day)


def test_settings_come_from_the_environment_with_or_without_act_prefix():
    settings = MetaAdsSettings.from_env(
        {
            "META_ACCESS_TOKEN": "secret-token",
            "META_AD_ACCOUNT_IDS": "act_123, 456",
            "META_GRAPH_URL": "http://127.0.0.1:9/",
        }
    )

    assert settings.account_ids == ("123", "456")
    assert settings.graph_url == "http://127.0.0.1:9"
    assert "secret-token" not in repr(settings)


def test_meta_not_configured_is_none_and_half_configured_is_a_clear_error():
    assert MetaAdsSettings.from_env({}) is None
    with pytest.raises(PlatformConfigError, match="META_ACCESS_TOKEN is not"):
        MetaAdsSettings.from_env({"META_AD_ACCOUNT_IDS": "act_1"})
    with pytest.raises(PlatformConfigError, match="not an ad account id"):
        MetaAdsSettings.from_env({"META_ACCESS_TOKEN": "t", "META_AD_ACCOUNT_IDS": "my-shop"})


@pytest.fixture
def agency_sandbox():
    """Five Meta ad accounts (the demo's two and three more clients'), Meta taking half a second per report."""
    with Sandbox(seed=7, meta_report_seconds=0.5, agency=AgencyScale(5, 1, 1, campaigns_per_account=2)) as running:
        yield running


def agency_settings(sandbox, **overrides) -> MetaAdsSettings:
    settings = MetaAdsSettings(
        access_token=SANDBOX_META_TOKEN,
        account_ids=tuple(account.id for account in sandbox.advertiser.meta_accounts),
        graph_url=sandbox.base_url,
        poll_interval_seconds=0.05,
    )
    return dataclasses.replace(settings, **overrides)


def report_requests(sandbox) -> list[str]:
    """Each job started ('start <account>') and each page of results read ('read <account>'), in order."""
    requests_made = []
    for method, path in sandbox.request_log:
        if method == "POST" and path.endswith("/insights"):
            requests_made.append(f"start {path.split('/')[2].removeprefix('act_')}")
        elif method == "GET" and (results := re.fullmatch(r"/v[\d.]+/(61\d+)/insights", path)):
            requests_made.append(f"read {sandbox.meta._runs[results.group(1)].account_id}")
    return requests_made


def test_an_agencys_report_jobs_run_side_by_side_while_the_first_account_is_read(agency_sandbox, window):
    settings = agency_settings(agency_sandbox)
    accounts = settings.account_ids

    read = {
        account: sum(len(json.loads(page)["page"]["data"]) for page in pages)
        for account, pages in fetch_window(settings, *window)
    }

    assert report_requests(agency_sandbox)[: len(accounts) + 1] == [f"start {a}" for a in accounts] + [
        f"read {accounts[0]}"
    ]
    assert agency_sandbox.meta.report_runs_created == len(accounts), "one job per account, none started twice"
    assert read == {a: len(truth(agency_sandbox, a, *window)) for a in accounts}


def jobs_ahead_of_reading(requests_made: list[str]) -> int:
    """The most jobs started for accounts whose results were not being read yet."""
    started, reading, most = [], set(), 0
    for request in requests_made:
        verb, account = request.split()
        (started.append if verb == "start" else reading.add)(account)
        most = max(most, len([a for a in started if a not in reading]))
    return most


def test_no_more_jobs_run_at_once_than_the_setting_allows(agency_sandbox, window):
    settings = agency_settings(agency_sandbox, jobs_in_flight=2)

    for _account, pages in fetch_window(settings, *window):
        list(pages)

    assert jobs_ahead_of_reading(report_requests(agency_sandbox)) == 2, "the account being read and the next one"
    assert agency_sandbox.meta.report_runs_created == len(settings.account_ids)


def test_no_job_is_started_ahead_while_meta_says_insights_usage_is_high(agency_sandbox, window):
    settings = agency_settings(agency_sandbox, jobs_in_flight=3)
    agency_sandbox.faults.arm("meta", "high_usage", times=None, percent=75)  # under the 85 % slowdown

    for _account, pages in fetch_window(settings, *window):
        list(pages)

    requests_made = report_requests(agency_sandbox)
    first, second, third, fourth, _ = settings.account_ids
    assert requests_made[:3] == [f"start {first}", f"start {second}", f"start {third}"], "nothing said yet"
    assert requests_made.index(f"start {fourth}") > requests_made.index(f"read {third}"), "its own turn"


def test_an_account_whose_job_cannot_be_started_ahead_fails_alone_in_its_turn(agency_sandbox, window):
    settings = agency_settings(agency_sandbox)
    first, second, *others = settings.account_ids
    agency_sandbox.faults.arm("meta", "permission_denied", times=None, account=second)  # the token lost it

    outcomes = {}
    for account, pages in fetch_window(settings, *window):
        try:
            outcomes[account] = sum(1 for _ in pages)
        except PlatformError as error:
            outcomes[account] = error

    assert isinstance(outcomes[second], PlatformConfigError) and f"act_{second}" in str(outcomes[second])
    assert all(isinstance(outcomes[account], int) and outcomes[account] > 0 for account in [first, *others])

"""The LinkedIn Ads connector (plain HTTP with requests) against the sandbox's REST API over HTTP."""

import collections
import dataclasses
import datetime as dt
import json
import math
import re
import urllib.parse
from decimal import Decimal

import duckdb
import pytest
import requests

from connectors import clock
from connectors.errors import MalformedPayloadError, PlatformAuthError, PlatformConfigError, TransientPlatformError
from connectors.linkedin_ads import ANALYTICS, CONVERSIONS, PLATFORM
from connectors.linkedin_ads.client import (
    LinkedInAdsClient,
    LinkedInAdsSettings,
    analytics_query,
    check_access,
    configured_api_version,
    fetch_conversions_window,
    version_sunset,
)
from connectors.linkedin_ads.parsing import (
    CONVERSIONS_RAW_COLUMNS,
    METRIC_COLUMNS,
    RAW_COLUMNS,
    parse_conversion_element,
    parse_money,
)
from connectors.platform import CheckWarning
from connectors.retry import Backoff
from connectors.sandbox import Sandbox
from connectors.sandbox import linkedin_ads as linkedin_sandbox
from connectors.sandbox.linkedin_ads import (
    OBJECTIVE_TYPES,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_LINKEDIN_TOKEN,
    SANDBOX_REFRESH_TOKEN,
)
from connectors.sandbox.linkedin_figures import conversion_rule_of, linkedin_metrics
from pipelines import warehouse
from pipelines.check import FAILED, OK, WARNING, check_platform

REFRESH_CREDENTIALS = {
    "client_id": SANDBOX_CLIENT_ID,
    "client_secret": SANDBOX_CLIENT_SECRET,
    "refresh_token": SANDBOX_REFRESH_TOKEN,
}
API_HEADERS = {
    "Authorization": f"Bearer {SANDBOX_LINKEDIN_TOKEN}",
    "LinkedIn-Version": configured_api_version(),
    "X-Restli-Protocol-Version": "2.0.0",
}


@pytest.fixture
def account(sandbox):
    return sandbox.advertiser.linkedin_accounts[0].id


@pytest.fixture
def settings(sandbox, account):
    return LinkedInAdsSettings(
        account_ids=(account,),
        access_token=SANDBOX_LINKEDIN_TOKEN,
        api_url=sandbox.base_url,
        oauth_url=sandbox.base_url,
        backoff=Backoff(attempts=4, base_seconds=0.01, max_seconds=0.05),
    )


Window = tuple[dt.date, dt.date]  # (since, until)


@pytest.fixture
def window(yesterday) -> Window:
    return yesterday - dt.timedelta(days=27), yesterday


def fetch(settings, account_id, since, until, waits=None, **overrides):
    client = LinkedInAdsClient(
        dataclasses.replace(settings, **overrides), sleep=(waits.sleep if waits is not None else lambda _s: None)
    )
    try:
        return client, list(client.daily_analytics(account_id, since, until))
    finally:
        client.close()


def fetch_conversions(settings, since, until, **overrides) -> list[dict]:
    """Every configured account's conversion rows through the conversions source, as a sync fetches them."""
    return [
        row
        for _, rows in fetch_conversions_window(dataclasses.replace(settings, **overrides), since, until)
        for row in rows
    ]


def truth(advertiser, since, until, restatements=0) -> dict[tuple[str, str], dict]:
    """What LinkedIn reports for every campaign-day with delivery: (ISO day, campaign id) → metrics."""
    reported = {}
    for offset in range((until - since).days + 1):
        day = since + dt.timedelta(days=offset)
        for campaign in advertiser.linkedin_campaigns:
            metrics = linkedin_metrics(advertiser, campaign, day, restatements)
            if metrics is not None:
                reported[(day.isoformat(), campaign.id)] = metrics
    return reported


def keys(rows):
    return {(row["date"], row["campaign_id"]) for row in rows}


def cents(values) -> Decimal:
    return sum((Decimal(str(value)) for value in values), Decimal("0"))


# --- a range arrives whole ---------------------------------------------------------------------


def test_a_range_fetched_in_chunks_of_fields_equals_the_advertisers_truth_metric_by_metric(
    sandbox, settings, account, window
):
    _, rows = fetch(settings, account, *window, max_fields_per_call=6)

    expected = truth(sandbox.advertiser, *window)
    calls = sandbox.linkedin.analytics_calls
    assert len(calls) == 4 and all(len(call.fields) <= 6 for call in calls), (
        "15 metrics, 4 a call beside dateRange and pivotValues"
    )
    assert len(rows) == len(expected) > 28 and keys(rows) == set(expected)
    for row in rows:
        for metric, column in METRIC_COLUMNS.items():
            assert row[column] == expected[(row["date"], row["campaign_id"])][metric], (
                column,
                row["date"],
                row["campaign_id"],
            )
    assert cents(r["cost_in_local_currency"] for r in rows) == cents(
        m["costInLocalCurrency"] for m in expected.values()
    )


def test_by_default_every_metric_comes_in_one_call_within_linkedins_20_fields(sandbox, settings, account, window):
    _, rows = fetch(settings, account, *window)

    (call,) = sandbox.linkedin.analytics_calls
    assert len(call.fields) == 17 <= 20
    assert len(rows) == len(truth(sandbox.advertiser, *window))


def test_campaign_attributes_are_read_page_by_page_and_joined_onto_every_row(sandbox, settings, account, window):
    _, rows = fetch(settings, account, *window, campaign_page_size=3)

    assert [path for _, path in sandbox.request_log].count(f"/rest/adAccounts/{account}/adCampaigns") == 2
    campaigns = {c.id: c for c in sandbox.advertiser.linkedin_campaigns}
    assert {row["campaign_id"] for row in rows} == set(campaigns), "every campaign, the paused one included"
    for row in rows:
        campaign = campaigns[row["campaign_id"]]
        assert (row["campaign_name"], row["campaign_status"], row["currency"], row["daily_budget"]) == (
            campaign.name,
            campaign.status,
            "EUR",
            campaign.daily_budget,
        )
        assert (
            row["campaign_group"].isdigit()
            and row["campaign_type"] == "SPONSORED_UPDATES"
            and row["cost_type"] in ("CPM", "CPC")
        )
    assert {row["campaign_status"] for row in rows} == {"ACTIVE", "PAUSED"}


def test_days_linkedin_leaves_out_produce_no_rows(sandbox, settings, account):
    before_any_campaign = min(c.start for c in sandbox.advertiser.linkedin_campaigns) - dt.timedelta(days=10)

    _, rows = fetch(settings, account, before_any_campaign, before_any_campaign + dt.timedelta(days=3))

    assert rows == []


def test_late_conversions_grow_on_a_later_sync(sandbox, settings, account, yesterday):
    def conversions(rows):
        return sum(r["external_website_conversions"] + r["one_click_leads"] for r in rows)

    _, first = fetch(settings, account, yesterday, yesterday)
    for _ in range(3):
        sandbox.restate()

    _, later = fetch(settings, account, yesterday, yesterday)

    final = truth(sandbox.advertiser, yesterday, yesterday, restatements=3)
    assert (
        conversions(later)
        == sum(m["externalWebsiteConversions"] + m["oneClickLeads"] for m in final.values())
        > conversions(first)
    )


def test_a_range_longer_than_92_days_is_asked_for_in_windows_so_reach_is_always_reported(
    sandbox, settings, account, yesterday
):
    since = yesterday - dt.timedelta(days=119)

    _, rows = fetch(settings, account, since, yesterday)

    expected = truth(sandbox.advertiser, since, yesterday)
    assert [call.days for call in sandbox.linkedin.analytics_calls] == [92, 28]
    assert len(rows) == len(expected)
    assert all(
        row["approximate_member_reach"] == expected[(row["date"], row["campaign_id"])]["approximateMemberReach"]
        for row in rows
    )


def test_records_load_into_the_raw_column_types_with_money_exact_to_the_cent(
    sandbox, settings, account, window, tmp_path
):
    _, rows = fetch(settings, account, *window)
    staged = tmp_path / "linkedin.ndjson"
    staged.write_text("".join(json.dumps(row) + "\n" for row in rows))
    spec = "{" + ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in RAW_COLUMNS.items()) + "}"

    with duckdb.connect() as connection:
        [(loaded_cost, loaded_rows, days)] = connection.execute(
            f"select sum(cost_in_local_currency), count(*), count(distinct date) from read_json(?, format='newline_delimited', columns={spec})",
            [str(staged)],
        ).fetchall()

    assert all(list(row) == list(RAW_COLUMNS) for row in rows)
    assert loaded_cost == cents(m["costInLocalCurrency"] for m in truth(sandbox.advertiser, *window).values())
    assert (loaded_rows, days) == (len(rows), 28)


# --- LinkedIn's 15,000-element cut -------------------------------------------------------------


def test_a_range_whose_campaigns_times_days_exceed_the_element_limit_is_split_and_nothing_is_lost(
    sandbox, settings, account, window
):
    sandbox.linkedin.max_elements = 50

    _, rows = fetch(settings, account, *window, max_elements_per_call=50)

    calls = sandbox.linkedin.analytics_calls
    assert len(calls) > 1 and all(call.campaigns * call.days < 50 for call in calls)
    assert keys(rows) == set(truth(sandbox.advertiser, *window))


@pytest.mark.calendar
def test_a_quarter_of_two_hundred_campaigns_stays_under_15000_elements_per_request():
    with Sandbox(seed=7, extra_linkedin_campaigns=200) as sandbox:
        account = sandbox.advertiser.linkedin_accounts[0].id
        settings = LinkedInAdsSettings(
            account_ids=(account,), access_token=SANDBOX_LINKEDIN_TOKEN, api_url=sandbox.base_url
        )
        until = clock.yesterday()
        since = until - dt.timedelta(days=91)

        _, rows = fetch(settings, account, since, until)

        expected = truth(sandbox.advertiser, since, until)
        calls = sandbox.linkedin.analytics_calls
        assert len(sandbox.advertiser.linkedin_campaigns) * 92 > 15_000, "one request could have been cut"
        assert len(calls) == 2 and all(call.campaigns * call.days < 15_000 for call in calls)
        assert len(rows) == len(expected) > 10_000 and keys(rows) == set(expected)
        assert cents(r["cost_in_local_currency"] for r in rows) == cents(
            m["costInLocalCurrency"] for m in expected.values()
        )


def test_an_answer_that_reaches_the_element_limit_is_taken_as_cut_and_asked_for_again_in_halves(
    sandbox, settings, account, window
):
    sandbox.linkedin.max_elements = 50
    client = LinkedInAdsClient(dataclasses.replace(settings, max_elements_per_call=50))

    # One batch larger than the plan would ever send: 4 campaigns × 28 days, cut at 50 by LinkedIn.
    rows = list(client.analytics_records(account, client.campaigns(account), *window))

    first = sandbox.linkedin.analytics_calls[0]
    assert (first.campaigns * first.days, first.elements) == (112, 50)
    assert keys(rows) == set(truth(sandbox.advertiser, *window))


# --- Rest.li query syntax ----------------------------------------------------------------------


def test_the_connector_sends_rest_li_syntax_unencoded_and_only_the_urns_encoded(sandbox, settings, account, window):
    fetch(settings, account, *window)

    (call,) = sandbox.linkedin.analytics_calls
    assert "pivot=(value:CAMPAIGN)&timeGranularity=(value:DAILY)&dateRange=(start:(year:" in call.raw_query
    assert "campaigns=List(urn%3Ali%3AsponsoredCampaign%3A" in call.raw_query
    assert not re.search(r"%28|%29|%2C|%25", call.raw_query, re.IGNORECASE)


def test_the_sandbox_refuses_a_query_that_was_re_encoded_or_carries_bare_urns(sandbox, window: Window):
    urns = [f"urn:li:sponsoredCampaign:{c.id}" for c in sandbox.advertiser.linkedin_campaigns]
    query = analytics_query(urns, *window, ["impressions", "costInLocalCurrency"])
    endpoint = f"{sandbox.base_url}/rest/adAnalytics"
    as_written = dict(part.split("=", 1) for part in query.split("&"))

    as_built = requests.get(f"{endpoint}?{query}", headers=API_HEADERS, timeout=10)
    reencoded = requests.get(
        endpoint,
        params={name: urllib.parse.unquote(value) for name, value in as_written.items()},
        headers=API_HEADERS,
        timeout=10,
    )
    bare_urns = requests.get(f"{endpoint}?{query.replace('%3A', ':')}", headers=API_HEADERS, timeout=10)

    assert as_built.status_code == 200 and as_built.json()["elements"]
    assert "pivot=%28value%3ACAMPAIGN%29" in (reencoded.request.url or ""), "what a params dict turns the query into"
    assert reencoded.status_code == 400 and "re-encoded" in reencoded.json()["message"]
    assert bare_urns.status_code == 400 and "percent-encoded" in bare_urns.json()["message"]


def test_the_sandbox_refuses_more_than_20_fields(sandbox, window: Window):
    query = analytics_query(
        [f"urn:li:sponsoredCampaign:{sandbox.advertiser.linkedin_campaigns[0].id}"],
        *window,
        list(METRIC_COLUMNS) + ["impressions"] * 4,
    )

    response = requests.get(f"{sandbox.base_url}/rest/adAnalytics?{query}", headers=API_HEADERS, timeout=10)

    assert response.status_code == 400 and "at most 20" in response.json()["message"]


def test_a_url_that_is_too_long_is_sent_again_as_a_tunnelled_post(sandbox, settings, account, window):
    sandbox.faults.arm("linkedin", "uri_too_long", times=1, over=300)  # the analytics URL, not the campaigns one

    _, rows = fetch(settings, account, *window)

    assert [method for method, path in sandbox.request_log if path == "/rest/adAnalytics"] == ["GET", "POST"]
    assert [call.method for call in sandbox.linkedin.analytics_calls] == ["POST"]
    assert len(rows) == len(truth(sandbox.advertiser, *window))


# --- failures ----------------------------------------------------------------------------------


def test_throttling_with_retry_after_waits_that_many_seconds_then_succeeds(sandbox, settings, account, window, waits):
    sandbox.faults.arm("linkedin", "throttle", times=1, retry_after=7)

    _, rows = fetch(settings, account, *window, waits=waits)

    assert waits == [7.0]
    assert len(rows) == len(truth(sandbox.advertiser, *window))


def test_throttling_without_retry_after_backs_off_then_succeeds(sandbox, settings, account, window, waits):
    sandbox.faults.arm("linkedin", "throttle", times=1)

    _, rows = fetch(settings, account, *window, waits=waits)

    assert len(waits) == 1 and 0.005 <= waits[0] <= 0.01, "the first backoff step of the test's Backoff, with jitter"
    assert len(rows) == len(truth(sandbox.advertiser, *window))


def test_server_errors_are_retried_with_backoff(sandbox, settings, account, window, waits):
    sandbox.faults.arm("linkedin", "server_error", times=1, status=500)
    sandbox.faults.arm("linkedin", "server_error", times=1, status=503)

    _, rows = fetch(settings, account, *window, waits=waits)

    assert len(waits) == 2
    assert len(rows) == len(truth(sandbox.advertiser, *window))


def test_an_unreachable_api_is_retried_then_fails_as_a_transient_error(settings, account, window, waits):
    with pytest.raises(TransientPlatformError, match=f"ad account {account}") as raised:
        fetch(settings, account, *window, waits=waits, api_url="http://127.0.0.1:1")

    assert len(waits) == 3, "4 tries in all"
    assert raised.value.__context__ is None and raised.value.__cause__ is None


def test_an_expired_token_is_refreshed_once_and_the_sync_succeeds(sandbox, settings, account, window):
    sandbox.faults.arm("linkedin", "expired_token", times=1)

    client, rows = fetch(settings, account, *window, **REFRESH_CREDENTIALS)

    assert client.token_refreshes == 1 and sandbox.linkedin.tokens_issued == 1
    assert sandbox.request_log.count(("POST", "/oauth/v2/accessToken")) == 1
    assert len(rows) == len(truth(sandbox.advertiser, *window))


def test_refresh_credentials_alone_are_enough_to_sync(sandbox, settings, account, window):
    client, rows = fetch(settings, account, *window, access_token=None, **REFRESH_CREDENTIALS)

    assert client.token_refreshes == 1
    assert len(rows) == len(truth(sandbox.advertiser, *window))


def test_a_refresh_sends_secrets_holding_plus_slash_and_equals_form_encoded_so_they_arrive_intact(
    sandbox, settings, account, window
):
    # LinkedIn's client secrets hold `/`, `=` and `+` "which require URL encoding" (client-credentials-flow docs),
    # and a form body decodes an unencoded `+` as a space: sent as is, the secret is not the app's any more.
    assert set("+/=") <= set(SANDBOX_CLIENT_SECRET) and set("+/=") <= set(SANDBOX_REFRESH_TOKEN)
    unencoded = "&".join(
        f"{name}={value}" for name, value in {"grant_type": "refresh_token", **REFRESH_CREDENTIALS}.items()
    )
    sent_as_is = requests.post(
        f"{sandbox.base_url}/oauth/v2/accessToken",
        data=unencoded,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert sent_as_is.status_code == 401 and sent_as_is.json()["error"] == "invalid_client"

    client, rows = fetch(settings, account, *window, access_token=None, **REFRESH_CREDENTIALS)

    assert client.token_refreshes == 1 and sandbox.linkedin.tokens_issued == 1, "the connector's form was accepted"
    assert len(rows) == len(truth(sandbox.advertiser, *window)), "and the new token, `+`, `/` and `=` in it, too"


def test_an_expired_token_without_refresh_credentials_fails_at_once_naming_the_account_and_the_fix(
    sandbox, settings, account, window, waits
):
    sandbox.faults.arm("linkedin", "expired_token", times=1)

    with pytest.raises(PlatformAuthError) as raised:
        fetch(settings, account, *window, waits=waits)

    message = str(raised.value)
    assert (
        f"ad account {account}" in message
        and "LINKEDIN_ACCESS_TOKEN" in message
        and "LINKEDIN_REFRESH_TOKEN" in message
    )
    assert SANDBOX_LINKEDIN_TOKEN not in message
    assert raised.value.__context__ is None and raised.value.__cause__ is None
    assert waits == [] and len(sandbox.request_log) == 1, "auth errors are never retried"


def test_a_refused_refresh_token_fails_naming_the_setting_without_leaking_secrets(sandbox, settings, account, window):
    sandbox.faults.arm("linkedin", "expired_token", times=1)

    with pytest.raises(PlatformAuthError, match="LINKEDIN_REFRESH_TOKEN") as raised:
        fetch(settings, account, *window, **{**REFRESH_CREDENTIALS, "refresh_token": "revoked-refresh-token"})

    message = str(raised.value)
    assert not [
        form
        for secret in ("revoked-refresh-token", SANDBOX_CLIENT_SECRET, SANDBOX_LINKEDIN_TOKEN)
        for form in (secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret))
        if form in message
    ]


def test_a_retired_api_version_fails_fast_naming_linkedin_api_version(sandbox, settings, account, window, waits):
    sandbox.faults.arm("linkedin", "version_retired", times=1)

    with pytest.raises(PlatformConfigError, match=rf"{settings.api_version}.*LINKEDIN_API_VERSION"):
        fetch(settings, account, *window, waits=waits)

    assert waits == [] and len(sandbox.request_log) == 1


def test_a_missing_permission_and_an_unknown_account_fail_fast_naming_the_account(
    sandbox, settings, account, window, waits
):
    sandbox.faults.arm("linkedin", "permission_denied", times=1)

    with pytest.raises(PlatformAuthError, match=f"ad account {account}.*Viewer"):
        fetch(settings, account, *window, waits=waits)
    with pytest.raises(PlatformConfigError, match="ad account 999 .*LINKEDIN_AD_ACCOUNT_IDS"):
        fetch(settings, "urn:li:sponsoredAccount:999", *window, waits=waits)

    assert waits == [] and len(sandbox.request_log) == 2


def test_a_malformed_cost_is_refused_with_the_field_and_value_named(sandbox, settings, account, window):
    sandbox.faults.arm("linkedin", "malformed_payload", times=1)

    with pytest.raises(MalformedPayloadError, match=r"costInLocalCurrency='1\.234,56' is not a decimal number"):
        fetch(settings, account, *window)


# --- conversions per rule, campaign objectives --------------------------------------------------


def test_conversions_by_rule_add_up_to_each_campaign_days_website_conversions_and_carry_the_rules_type(
    sandbox, settings, account, window
):
    _, campaign_rows = fetch(settings, account, *window)

    rows = fetch_conversions(settings, *window)

    by_campaign_day = collections.defaultdict(lambda: [0, Decimal("0")])
    for row in rows:
        by_campaign_day[(row["date"], row["campaign_id"])][0] += row["conversions"]
        by_campaign_day[(row["date"], row["campaign_id"])][1] += Decimal(str(row["conversion_value"]))
    expected = {
        (r["date"], r["campaign_id"]): [
            r["external_website_conversions"],
            Decimal(str(r["conversion_value_in_local_currency"])),
        ]
        for r in campaign_rows
        if r["external_website_conversions"] or r["conversion_value_in_local_currency"]
    }
    assert len(rows) > 28 and dict(by_campaign_day) == expected
    campaigns = {c.id: c for c in sandbox.advertiser.linkedin_campaigns}
    for row in rows:
        rule = conversion_rule_of(campaigns[row["campaign_id"]])
        assert (row["conversion_id"], row["conversion_name"], row["conversion_type"]) == (rule.id, rule.name, rule.type)
        assert row["post_click_conversions"] + row["post_view_conversions"] == row["conversions"]
        assert row["currency"] == "EUR" and list(row) == list(CONVERSIONS_RAW_COLUMNS)
    leads = [row for row in rows if campaigns[row["campaign_id"]].name.startswith("B2B Lead Gen")]
    assert leads and {(row["conversion_name"], row["conversion_type"]) for row in leads} == {("Demo request", "LEAD")}
    assert {row["conversion_type"] for row in rows} == {"LEAD", "PURCHASE", "COMPLETE_SIGNUP"}


@pytest.mark.parametrize(("rule_page_size", "rule_requests"), [(100, 1), (3, 2)])
def test_conversions_cost_one_rules_request_per_page_and_one_statistics_request_per_account_and_window(
    sandbox, settings, account, window, rule_page_size, rule_requests
):
    rows = fetch_conversions(settings, *window, conversion_rule_page_size=rule_page_size)

    paths = collections.Counter(path for _, path in sandbox.request_log)
    assert paths == {
        "/rest/conversions": rule_requests,  # the sandbox account has 4 rules
        f"/rest/adAccounts/{account}": 1,  # its currency
        "/rest/adAnalytics": 1,
    }
    (call,) = sandbox.linkedin.analytics_calls
    assert call.finder == "statistics" and call.days == 28 and call.elements == len(rows) > 0
    assert "pivots=List(CAMPAIGN,CONVERSION)&timeGranularity=DAILY" in call.raw_query
    assert "accounts=List(urn%3Ali%3AsponsoredAccount%3A" in call.raw_query


def test_conversion_records_load_into_the_raw_column_types(sandbox, settings, window, tmp_path):
    rows = fetch_conversions(settings, *window)
    staged = tmp_path / "linkedin_conversions.ndjson"
    staged.write_text("".join(json.dumps(row) + "\n" for row in rows))
    spec = "{" + ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in CONVERSIONS_RAW_COLUMNS.items()) + "}"

    with duckdb.connect() as connection:
        [(loaded_rows, conversions, value)] = connection.execute(
            f"select count(*), sum(conversions), sum(conversion_value) from read_json(?, format='newline_delimited', columns={spec})",
            [str(staged)],
        ).fetchall()

    assert (loaded_rows, conversions) == (len(rows), sum(r["conversions"] for r in rows))
    assert value == cents(r["conversion_value"] for r in rows) > 0


@pytest.mark.parametrize(
    ("sent", "parsed"),
    [("-2E-18", 0.0), ("1.0E-5", 0.0), ("107.5300000000000335346", 107.53)],
    ids=["tiny-negative-exponent", "tiny-positive-exponent", "long-decimals"],
)
def test_each_form_of_linkedin_amount_parses_to_the_cent(sent, parsed):
    amount = parse_money(sent, lambda what: MalformedPayloadError("linkedin", what), "costInLocalCurrency")

    assert amount is not None and amount == parsed and math.copysign(1, amount) == 1, "plain zero, never -0.0"


def test_amounts_with_long_decimals_or_a_tiny_negative_exponent_parse_as_numbers_to_the_cent():
    def fail(what):
        return MalformedPayloadError("linkedin", what)

    assert parse_money("107.5300000000000335346", fail, "costInLocalCurrency") == 107.53
    assert parse_money("1.5E+2", fail, "costInLocalCurrency") == 150.0
    tiny_negative = parse_money("-2e-18", fail, "conversionValueInLocalCurrency")
    assert tiny_negative is not None and tiny_negative == 0.0 and math.copysign(1, tiny_negative) == 1, "plain zero"
    element = {"externalWebsiteConversions": 2, "conversionValueInLocalCurrency": "107.5300000000000335346"}
    record = parse_conversion_element(element, "1", "2026-10-01", "2", "3", None, "EUR")
    assert (record["conversions"], record["conversion_value"], record["post_view_conversions"]) == (2, 107.53, 0)
    with pytest.raises(MalformedPayloadError, match=r"costInLocalCurrency='1\.234,56' is not a decimal number"):
        parse_money("1.234,56", fail, "costInLocalCurrency")


def test_campaign_rows_carry_the_campaigns_objective_type(sandbox, settings, account, window):
    _, rows = fetch(settings, account, *window)

    campaigns = {c.id: c for c in sandbox.advertiser.linkedin_campaigns}
    assert all(row["objective_type"] == OBJECTIVE_TYPES[campaigns[row["campaign_id"]].objective] for row in rows)
    assert {row["objective_type"] for row in rows} == {"BRAND_AWARENESS", "LEAD_GENERATION", "WEBSITE_CONVERSION"}


# --- an empty answer: no activity, or no read access? -------------------------------------------


def sync(source, settings, window, database, staging) -> warehouse.StagedSync:
    """One sync of the window into the warehouse as the raw asset runs it (stage every slice, replace
    the slices fetched whole), without Dagster."""
    staging.mkdir()
    staged = warehouse.stage_records(source.fetch(settings, *window), staging, *window)
    warehouse.replace_slices(database, source, staged)
    return staged


def rows_in(database, source) -> int:
    with duckdb.connect(str(database)) as connection:
        return connection.execute(f"select count(*) from {warehouse.RAW_SCHEMA}.{source.name}").fetchone()[0]


@pytest.mark.parametrize("source", [ANALYTICS, CONVERSIONS], ids=lambda source: source.name)
def test_revoked_read_access_on_an_account_that_had_spend_fails_its_slice_and_keeps_its_rows(
    sandbox, settings, account, window, tmp_path, source
):
    database = tmp_path / "warehouse.duckdb"
    first = sync(source, settings, window, database, tmp_path / "first")
    sandbox.faults.arm("linkedin", "read_access_revoked", account=account)

    again = sync(source, settings, window, database, tmp_path / "again")

    assert sandbox.linkedin.analytics_calls[-1].elements == 0, "LinkedIn answered empty, not with an error"
    [failure] = again.failures
    assert isinstance(failure, PlatformAuthError) and failure.account == account and again.slices == ()
    assert f"ad account {account}" in str(failure)
    assert "role on ad account" in str(failure) and "r_ads_reporting" in str(failure), "the fix"
    assert rows_in(database, source) == first.rows > 0, "the earlier rows stay"


@pytest.mark.parametrize("source", [ANALYTICS, CONVERSIONS], ids=lambda source: source.name)
def test_an_account_whose_campaigns_all_ended_before_the_window_gives_no_rows_and_no_error(
    sandbox, settings, account, yesterday, source
):
    ended = [campaign for campaign in sandbox.advertiser.linkedin_campaigns if campaign.end is not None]
    sandbox.advertiser.linkedin_campaigns = ended  # a quiet account: every campaign paused or ended
    since = max(campaign.end for campaign in ended) + dt.timedelta(days=1)

    [(slice_id, rows)] = list(source.fetch(settings, since, yesterday))

    assert (slice_id, list(rows)) == (account, [])
    assert ("GET", "/rest/adAccountUsers") not in sandbox.request_log, "no campaign ran: nothing to cross-check"


def test_an_empty_answer_while_campaigns_were_live_is_believed_once_the_member_still_holds_a_role(
    sandbox, settings, account
):
    today = sandbox.advertiser.today  # campaigns are live, but a day that has not ended has delivered nothing yet

    _, rows = fetch(settings, account, today, today)

    assert rows == []
    assert sandbox.request_log.count(("GET", "/rest/adAccountUsers")) == 1


def test_check_finds_revoked_read_access_through_the_analytics_call(sandbox, account):
    sandbox.faults.arm("linkedin", "read_access_revoked", account=account)

    lines = check_platform(PLATFORM, linkedin_sandbox.environment(sandbox))

    [(target, status, detail)] = [(line.target, line.status, line.detail or "") for line in lines]
    assert (target, status) == (account, FAILED)
    assert f"no activity at all for ad account {account}" in detail and "r_ads_reporting" in detail
    [call] = sandbox.linkedin.analytics_calls
    assert (call.pivot, call.days, call.elements) == ("ACCOUNT", 1, 0)


def test_the_sandbox_answers_a_member_without_access_as_linkedin_does(sandbox, account, window):
    urn = urllib.parse.quote(f"urn:li:sponsoredAccount:{account}", safe="")
    dates = f"(start:(year:{window[0].year},month:{window[0].month},day:{window[0].day}),end:(year:{window[1].year},month:{window[1].month},day:{window[1].day}))"
    analytics = f"{sandbox.base_url}/rest/adAnalytics?q=analytics&pivot=(value:ACCOUNT)&timeGranularity=(value:ALL)&dateRange={dates}&accounts=List({urn})&fields=dateRange,pivotValues,impressions"
    roles = f"{sandbox.base_url}/rest/adAccountUsers?q=authenticatedUser"

    before = [requests.get(url, headers=API_HEADERS, timeout=10) for url in (analytics, roles)]
    sandbox.faults.arm("linkedin", "read_access_revoked", account=account)
    after = [requests.get(url, headers=API_HEADERS, timeout=10) for url in (analytics, roles)]

    assert [r.status_code for r in before + after] == [200] * 4
    assert before[0].json()["elements"][0]["pivotValues"] == [f"urn:li:sponsoredAccount:{account}"]
    assert [(e["account"], e["role"]) for e in before[1].json()["elements"]] == [
        (f"urn:li:sponsoredAccount:{account}", "CAMPAIGN_MANAGER")
    ]
    assert after[0].json()["elements"] == [] and after[1].json()["elements"] == []


# --- API versions --------------------------------------------------------------------------------


def test_a_versions_sunset_is_the_15th_of_its_month_a_year_on_never_after_linkedins_published_date():
    # LinkedIn's migrations table (learn.microsoft.com/linkedin/marketing/integrations/migrations)
    published = {
        "202407": dt.date(2025, 7, 22),
        "202408": dt.date(2025, 8, 18),
        "202409": dt.date(2025, 9, 15),
        "202411": dt.date(2025, 11, 17),
        "202510": dt.date(2026, 10, 15),
        "202603": dt.date(2027, 3, 16),
    }

    expected = {version: version_sunset(version) for version in published}

    for version, sunset in expected.items():
        assert sunset <= published[version] and (sunset.year, sunset.month) == (
            published[version].year,
            published[version].month,
        )
    assert version_sunset("202508.02") == dt.date(2026, 8, 15)


def released_months_before(day: dt.date, months: int) -> str:
    """The LinkedIn-Version of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12}{index % 12 + 1:02d}"


def test_a_version_45_days_from_its_sunset_is_a_warning_from_check_not_a_failure(sandbox, settings, account):
    # A version that is live in the sandbox today, checked 45 days before its sunset.
    version = released_months_before(sandbox.advertiser.today + dt.timedelta(days=45), 12)
    checked_on = version_sunset(version) - dt.timedelta(days=45)

    verdicts = list(check_access(dataclasses.replace(settings, api_version=version), today=checked_on))

    assert verdicts[0] == (account, None)
    target, warning = verdicts[1]
    assert target == f"LinkedIn-Version {version}" and isinstance(warning, CheckWarning)
    assert f"around {version_sunset(version)} (in 45 days" in warning.message
    assert "LINKEDIN_API_VERSION" in warning.message and "YYYYMM" in warning.message


def test_check_prints_a_version_close_to_its_sunset_as_a_warning_line_beside_the_accounts(sandbox, account):
    version = released_months_before(sandbox.advertiser.today + dt.timedelta(days=45), 12)  # sunset in 29..59 days

    lines = check_platform(PLATFORM, {**linkedin_sandbox.environment(sandbox), "LINKEDIN_API_VERSION": version})

    assert [(line.target, line.status) for line in lines] == [(account, OK), (f"LinkedIn-Version {version}", WARNING)]
    assert not any(line.failed for line in lines)


def test_a_version_past_its_supported_year_is_refused_with_426_and_names_linkedin_api_version(
    sandbox, settings, account, window, waits
):
    retired = released_months_before(sandbox.advertiser.today, 13)

    with pytest.raises(PlatformConfigError) as raised:
        fetch(settings, account, *window, waits=waits, api_version=retired)

    message = str(raised.value)
    assert f"426 NONEXISTENT_VERSION: Requested version {retired}01 is not active" in message
    assert "Set LINKEDIN_API_VERSION to a version released in the last few months, as YYYYMM" in message
    assert waits == [] and len(sandbox.request_log) == 1, "not retried"


# --- settings ----------------------------------------------------------------------------------


def test_settings_come_from_the_environment_with_or_without_the_account_urn():
    settings = LinkedInAdsSettings.from_env(
        {
            "LINKEDIN_ACCESS_TOKEN": "secret-token",
            "LINKEDIN_AD_ACCOUNT_IDS": "urn:li:sponsoredAccount:123, 456",
            "LINKEDIN_API_URL": "http://127.0.0.1:9/",
            "LINKEDIN_API_VERSION": "202611",
        }
    )

    assert settings.account_ids == ("123", "456")
    assert (settings.api_url, settings.oauth_url, settings.api_version) == (
        "http://127.0.0.1:9",
        "https://www.linkedin.com",
        "202611",
    )
    assert "secret-token" not in repr(settings)


def test_refresh_credentials_alone_configure_linkedin_and_stay_out_of_repr():
    settings = LinkedInAdsSettings.from_env(
        {
            "LINKEDIN_CLIENT_ID": "app-id",
            "LINKEDIN_CLIENT_SECRET": "app-secret",
            "LINKEDIN_REFRESH_TOKEN": "refresh-secret",
            "LINKEDIN_AD_ACCOUNT_IDS": "123",
        }
    )

    assert settings.can_refresh and settings.access_token is None
    assert "app-secret" not in repr(settings) and "refresh-secret" not in repr(settings)


def test_the_sandbox_environment_configures_the_connector(sandbox):
    settings = LinkedInAdsSettings.from_env(linkedin_sandbox.environment(sandbox))

    assert settings.account_ids == tuple(a.id for a in sandbox.advertiser.linkedin_accounts)
    assert settings.api_url == settings.oauth_url == sandbox.base_url and settings.can_refresh


def test_linkedin_not_configured_is_none_and_half_configured_is_a_clear_error():
    assert LinkedInAdsSettings.from_env({}) is None
    with pytest.raises(PlatformConfigError, match="LINKEDIN_ACCESS_TOKEN"):
        LinkedInAdsSettings.from_env({"LINKEDIN_AD_ACCOUNT_IDS": "123"})
    with pytest.raises(PlatformConfigError, match="LINKEDIN_AD_ACCOUNT_IDS is not"):
        LinkedInAdsSettings.from_env({"LINKEDIN_ACCESS_TOKEN": "t"})
    with pytest.raises(PlatformConfigError, match="LINKEDIN_CLIENT_SECRET, LINKEDIN_REFRESH_TOKEN not set"):
        LinkedInAdsSettings.from_env({"LINKEDIN_CLIENT_ID": "app", "LINKEDIN_AD_ACCOUNT_IDS": "123"})
    with pytest.raises(PlatformConfigError, match="not an ad account id"):
        LinkedInAdsSettings.from_env({"LINKEDIN_ACCESS_TOKEN": "t", "LINKEDIN_AD_ACCOUNT_IDS": "my-company"})
    with pytest.raises(PlatformConfigError, match="LINKEDIN_API_VERSION='2026-10'"):
        LinkedInAdsSettings.from_env(
            {"LINKEDIN_ACCESS_TOKEN": "t", "LINKEDIN_AD_ACCOUNT_IDS": "123", "LINKEDIN_API_VERSION": "2026-10"}
        )

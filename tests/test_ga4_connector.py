"""The GA4 connector: the official client against the sandbox, over REST (HTTP) and over gRPC."""

import collections
import dataclasses
import datetime as dt
import logging
import types

import google.auth._exponential_backoff
import google.oauth2.credentials
import pytest

from connectors.errors import PlatformAuthError, PlatformConfigError, TransientPlatformError
from connectors.ga4.client import (
    KEY_EVENTS_REPORT,
    TRAFFIC_REPORT,
    DailyQuotaExhaustedError,
    Ga4Client,
    Ga4Settings,
    build_client,
    fetch_key_events_window,
)
from connectors.retry import Backoff
from connectors.sandbox.ga4 import SANDBOX_GA4_REFRESH_TOKEN, TOKENS_PER_DAY, TOKENS_PER_HOUR
from connectors.sandbox.ga4_figures import SIGN_UP_DEFAULT_VALUE, ga4_rows


@pytest.fixture
def ga4_settings(sandbox):
    return Ga4Settings(
        property_ids=(sandbox.advertiser.ga4_property.id,),
        api_url=sandbox.base_url,
        page_size=40,
        backoff=Backoff(attempts=3, base_seconds=0.01, max_seconds=0.02),
    )


@pytest.fixture
def grpc_settings(sandbox, ga4_settings):
    """The same connector settings, over gRPC to the sandbox's loopback port instead of REST."""
    return dataclasses.replace(ga4_settings, api_url=None, grpc_target=sandbox.ga4_grpc.target)


@pytest.fixture(params=["rest", "grpc"])
def transport_settings(request, ga4_settings, grpc_settings):
    return {"rest": ga4_settings, "grpc": grpc_settings}[request.param]


@pytest.fixture
def fortnight(yesterday):
    return yesterday - dt.timedelta(days=13), yesterday


def fetch(settings, since, until, waits=None, report=TRAFFIC_REPORT, credentials=None, **overrides):
    settings = dataclasses.replace(settings, **overrides)
    client = Ga4Client(
        settings,
        sleep=(waits.sleep if waits is not None else lambda _s: None),
        client=build_client(settings, credentials),
    )
    try:
        return client, list(client.report_rows(report, settings.property_ids[0], since, until))
    finally:
        client.close()


def revoked_credentials(sandbox):
    """Google user credentials whose refresh token the (sandbox's) token endpoint answers invalid_grant."""
    return google.oauth2.credentials.Credentials(
        token=None,
        refresh_token="revoked-refresh-token",
        token_uri=f"{sandbox.base_url}/token",
        client_id="sandbox-client",
        client_secret="sandbox-secret",
    )


def pages(rows, page_size=40):
    return -(-len(rows) // page_size)


def key_events_by_session_row(rows):
    """keyEvents summed per date × source × medium × campaign, whatever else the rows are split by."""
    totals = collections.Counter()
    for r in rows:
        key = (
            r["date"],
            r["session_source"],
            r["session_medium"],
            r["session_campaign_name"],
            r["session_campaign_id"],
        )
        totals[key] += r["key_events"]
    return totals


def advertiser_rows(sandbox, since, until):
    day, rows = since, []
    while day <= until:
        rows += ga4_rows(sandbox.advertiser, day)
        day += dt.timedelta(days=1)
    return rows


def test_a_range_arrives_whole_across_several_pages_from_one_report_per_range(sandbox, ga4_settings, fortnight, waits):
    client, rows = fetch(ga4_settings, *fortnight, waits=waits)

    expected = advertiser_rows(sandbox, *fortnight)
    assert len(rows) == len(expected) > 3 * 40
    assert client.requests_sent == pages(expected), "one report paged with limit/offset, not one per day"
    assert waits == [], "with the quota almost untouched, no pauses"
    assert sum(r["sessions"] for r in rows) == sum(r["sessions"] for r in expected)
    assert sum(r["total_revenue"] for r in rows) == pytest.approx(sum(r["totalRevenue"] for r in expected), abs=0.01)


def test_integer_metrics_sent_as_decimals_become_integers_and_placeholders_are_kept(ga4_settings, fortnight):
    _, rows = fetch(ga4_settings, *fortnight)

    assert all(
        isinstance(r[column], int)
        for r in rows
        for column in ("sessions", "total_users", "engaged_sessions", "transactions")
    )
    assert any('.0"' in r["raw_row"] for r in rows), "the sandbox does send integers as '12.0'"
    assert {"(direct)", "(organic)"} <= {r["session_campaign_name"] for r in rows}
    assert {"(not set)"} <= {r["session_campaign_id"] for r in rows}
    assert {(r["currency"], r["time_zone"]) for r in rows} == {("NOK", "Europe/Oslo")}


def test_an_exhausted_concurrent_request_quota_is_waited_out_then_succeeds(sandbox, ga4_settings, fortnight, waits):
    sandbox.faults.arm("ga4", "concurrent_quota", times=1)

    _, rows = fetch(ga4_settings, *fortnight, waits=waits)

    assert 30 in waits
    assert len(rows) == len(advertiser_rows(sandbox, *fortnight))


def test_an_exhausted_hourly_quota_waits_half_an_hour(sandbox, ga4_settings, fortnight, waits):
    sandbox.faults.arm("ga4", "project_hourly_quota", times=1)

    fetch(ga4_settings, *fortnight, waits=waits)

    assert 30 * 60 in waits


def test_a_spent_daily_quota_stops_the_property_with_a_clear_message(sandbox, ga4_settings, fortnight, waits):
    sandbox.faults.arm("ga4", "daily_quota", times=1)

    with pytest.raises(
        DailyQuotaExhaustedError, match=f"property {sandbox.advertiser.ga4_property.id}.*skipped for this run"
    ):
        fetch(ga4_settings, *fortnight, waits=waits)
    assert waits == []


@pytest.mark.parametrize("fault", ["unavailable", "internal"])
def test_unavailable_and_internal_errors_are_retried_with_backoff(sandbox, transport_settings, fortnight, waits, fault):
    sandbox.faults.arm("ga4", fault, times=2)

    client, rows = fetch(transport_settings, *fortnight, waits=waits)

    expected = advertiser_rows(sandbox, *fortnight)
    assert len(rows) == len(expected)
    assert sandbox.ga4.report_requests == client.requests_sent == pages(expected) + 2
    assert waits == [], "the client library's Retry slept between the tries, not our quota waits"


def test_server_errors_that_persist_give_up_after_a_few_tries(sandbox, transport_settings, fortnight, waits):
    sandbox.faults.arm("ga4", "unavailable", times=None)

    with pytest.raises(TransientPlatformError, match="ServiceUnavailable.* on 3 tries"):
        fetch(transport_settings, *fortnight, waits=waits)
    assert sandbox.ga4.report_requests == transport_settings.backoff.attempts == 3


def test_unauthenticated_fails_at_once_naming_the_property_and_the_fix(sandbox, ga4_settings, fortnight, waits):
    sandbox.faults.arm("ga4", "unauthenticated", times=None)

    with pytest.raises(PlatformAuthError) as raised:
        fetch(ga4_settings, *fortnight, waits=waits)

    assert sandbox.advertiser.ga4_property.id in str(raised.value) and "GOOGLE_APPLICATION_CREDENTIALS" in str(
        raised.value
    )
    assert raised.value.__context__ is None
    assert waits == [] and sandbox.ga4.reports_served == 0


def test_a_property_the_credentials_cannot_read_is_permission_denied(ga4_settings, fortnight):
    with pytest.raises(PlatformAuthError, match="PERMISSION_DENIED.*Viewer"):
        fetch(dataclasses.replace(ga4_settings, property_ids=("999",)), *fortnight)


def test_key_events_by_event_name_add_up_to_the_traffic_reports_and_name_each_campaigns_event(
    sandbox, ga4_settings, fortnight
):
    _, traffic = fetch(ga4_settings, *fortnight)
    _, key_events = fetch(ga4_settings, *fortnight, report=KEY_EVENTS_REPORT)

    assert key_events_by_session_row(key_events) == +key_events_by_session_row(traffic)
    assert all(r["key_events"] > 0 for r in key_events), "rows without key events are absent"
    sign_up = next(c for c in sandbox.advertiser.meta_campaigns if c.name.startswith("Newsletter Signup"))
    sign_up_rows = [r for r in key_events if r["session_campaign_name"] == sign_up.utm_campaign]
    assert sign_up_rows and {r["event_name"] for r in sign_up_rows} == {"sign_up"}
    assert all(r["event_value"] == SIGN_UP_DEFAULT_VALUE * r["key_events"] for r in sign_up_rows)
    assert {r["event_name"] for r in key_events} == {"purchase", "generate_lead", "sign_up", "webinar_registration"}
    assert {(r["currency"], r["time_zone"]) for r in key_events} == {("NOK", "Europe/Oslo")}


def test_key_events_arrive_in_one_report_request_per_property_for_the_whole_window(sandbox, ga4_settings, fortnight):
    settings = dataclasses.replace(ga4_settings, page_size=10_000)

    slices = [(property_id, list(rows)) for property_id, rows in fetch_key_events_window(settings, *fortnight)]

    [(property_id, rows)] = slices
    assert property_id == sandbox.advertiser.ga4_property.id and rows
    assert {r["date"] for r in rows} == {(fortnight[0] + dt.timedelta(days=n)).isoformat() for n in range(14)}
    assert [path for method, path in sandbox.request_log if path.endswith(":runReport")] == [
        f"/v1beta/properties/{property_id}:runReport"
    ]


def test_revoked_credentials_fail_the_key_event_fetch_at_once_as_they_fail_the_traffic_fetch(
    sandbox, ga4_settings, fortnight, waits
):
    sandbox.faults.arm("ga4", "unauthenticated", times=None)

    with pytest.raises(PlatformAuthError) as raised:
        fetch(ga4_settings, *fortnight, waits=waits, report=KEY_EVENTS_REPORT)

    assert sandbox.advertiser.ga4_property.id in str(raised.value) and "GOOGLE_APPLICATION_CREDENTIALS" in str(
        raised.value
    )
    assert raised.value.__context__ is None
    assert waits == [] and sandbox.ga4.reports_served == 0


def test_settings_read_property_ids_and_a_plain_http_endpoint_from_the_environment():
    settings = Ga4Settings.from_env({"GA4_PROPERTY_IDS": "properties/123, 456", "GA4_API_URL": "http://127.0.0.1:9/"})

    assert settings.property_ids == ("123", "456")
    assert settings.uses_plain_http and settings.api_url == "http://127.0.0.1:9"
    assert Ga4Settings.from_env({}) is None


def test_settings_read_a_loopback_grpc_target_and_refuse_any_other_host():
    settings = Ga4Settings.from_env({"GA4_PROPERTY_IDS": "123", "GA4_GRPC_TARGET": "127.0.0.1:50051"})

    assert settings.grpc_target == "127.0.0.1:50051" and settings.api_url is None
    with pytest.raises(PlatformConfigError, match="GA4_GRPC_TARGET.*127.0.0.1:<port>"):
        Ga4Settings.from_env({"GA4_PROPERTY_IDS": "123", "GA4_GRPC_TARGET": "analyticsdata.googleapis.com:443"})
    with pytest.raises(PlatformConfigError, match="both set"):
        Ga4Settings.from_env(
            {"GA4_PROPERTY_IDS": "123", "GA4_GRPC_TARGET": "127.0.0.1:50051", "GA4_API_URL": "http://127.0.0.1:9"}
        )


@pytest.mark.parametrize("report", [TRAFFIC_REPORT, KEY_EVENTS_REPORT], ids=lambda report: report.table)
def test_a_sync_over_grpc_brings_exactly_the_rows_a_sync_over_rest_brings(
    sandbox, ga4_settings, grpc_settings, fortnight, report
):
    rest_client, over_rest = fetch(ga4_settings, *fortnight, report=report)
    grpc_client, over_grpc = fetch(grpc_settings, *fortnight, report=report)

    assert over_grpc == over_rest and len(over_rest) > 40
    assert grpc_client.requests_sent == rest_client.requests_sent == pages(over_rest)
    assert [method for method, _ in sandbox.request_log].count("RPC") == pages(over_rest), "it did go over gRPC"


def test_a_credential_that_cannot_refresh_fails_at_once_naming_google_application_credentials(
    sandbox, transport_settings, fortnight, waits
):
    # On gRPC the RefreshError inside the credentials plugin comes back as UNAVAILABLE
    # ("Getting metadata from plugin failed ..."); on REST google-auth raises it itself.
    with pytest.raises(PlatformAuthError) as raised:
        fetch(transport_settings, *fortnight, waits=waits, credentials=revoked_credentials(sandbox))

    assert sandbox.advertiser.ga4_property.id in str(raised.value)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(raised.value) and "invalid_grant" in str(raised.value)
    assert raised.value.__context__ is None
    assert sandbox.ga4.token_requests == 1, "one refresh, never retried"
    assert sandbox.ga4.report_requests == 0 and waits == []


def test_an_outage_of_the_token_endpoint_is_transient_not_a_key_to_replace(
    sandbox, transport_settings, fortnight, waits, monkeypatch
):
    sandbox.faults.arm("ga4", "token_endpoint_down", times=None)
    # google-auth retries a 5xx from the token endpoint itself (google/auth/_exponential_backoff.py,
    # 1 s then 2 s): its pauses are noted instead of slept
    google_auth_waits = []
    monkeypatch.setattr(google.auth._exponential_backoff, "time", types.SimpleNamespace(sleep=google_auth_waits.append))
    valid = google.oauth2.credentials.Credentials(
        token=None,
        refresh_token=SANDBOX_GA4_REFRESH_TOKEN,
        token_uri=f"{sandbox.base_url}/token",
        client_id="sandbox-client",
        client_secret="sandbox-secret",
    )

    with pytest.raises(TransientPlatformError) as raised:
        fetch(transport_settings, *fortnight, waits=waits, credentials=valid)

    assert not isinstance(raised.value, PlatformAuthError) and "GOOGLE_APPLICATION_CREDENTIALS" not in str(raised.value)
    assert sandbox.ga4.report_requests == 0, "nothing reached GA4 without a token"
    assert google_auth_waits, "google-auth's own retries ran"


def test_an_invalid_token_over_grpc_is_unauthenticated_at_once(sandbox, grpc_settings, fortnight, waits):
    forged = google.oauth2.credentials.Credentials(token="not-a-token-google-issued")

    with pytest.raises(PlatformAuthError, match="UNAUTHENTICATED.*GOOGLE_APPLICATION_CREDENTIALS") as raised:
        fetch(grpc_settings, *fortnight, waits=waits, credentials=forged)

    assert raised.value.__context__ is None
    assert sandbox.ga4.report_requests == 1 and sandbox.ga4.reports_served == 0 and waits == []


def test_valid_credentials_over_grpc_are_refreshed_once_and_sent(sandbox, grpc_settings, fortnight):

    credentials = google.oauth2.credentials.Credentials(
        token=None,
        refresh_token=SANDBOX_GA4_REFRESH_TOKEN,
        token_uri=f"{sandbox.base_url}/token",
        client_id="sandbox-client",
        client_secret="sandbox-secret",
    )

    _, rows = fetch(grpc_settings, *fortnight, credentials=credentials)

    assert len(rows) == len(advertiser_rows(sandbox, *fortnight))
    assert sandbox.ga4.token_requests == 1


def test_paging_pauses_when_less_than_a_tenth_of_the_hourly_tokens_are_left(sandbox, ga4_settings, fortnight, waits):
    # Other apps have used all but 4,000 of the property's 40,000 tokens this hour; each page costs
    # 10, so after the first page 3,990 are left: under a tenth of the quota. (Read as a quota of
    # consumed + remaining, 10 + 3,990, the same answer would look nowhere near exhausted.)
    sandbox.ga4.spend_tokens_elsewhere(TOKENS_PER_HOUR - 4_000)

    _, rows = fetch(ga4_settings, *fortnight, waits=waits)

    assert len(rows) == len(advertiser_rows(sandbox, *fortnight))
    assert len(waits) == pages(rows) - 1, "a pause before every further page"
    assert all(0 < wait < ga4_settings.hourly_quota_wait_seconds for wait in waits)
    assert waits == sorted(waits), "the less is left, the longer the pause"


def test_a_day_whose_tokens_would_not_pay_for_another_page_stops_the_property_before_it(
    sandbox, ga4_settings, fortnight, waits
):
    sandbox.ga4.spend_tokens_elsewhere(TOKENS_PER_DAY - 15)  # the first page costs 10: 5 left

    with pytest.raises(DailyQuotaExhaustedError, match="5 left.*skipped for this run"):
        fetch(ga4_settings, *fortnight, waits=waits)

    assert sandbox.ga4.report_requests == 1 and waits == []


def test_an_exhausted_potentially_thresholded_requests_quota_waits_half_an_hour(
    sandbox, ga4_settings, fortnight, waits
):
    sandbox.faults.arm("ga4", "thresholded_quota", times=1)

    _, rows = fetch(ga4_settings, *fortnight, waits=waits)

    assert waits == [30 * 60]
    assert len(rows) == len(advertiser_rows(sandbox, *fortnight))


def test_a_thresholded_report_flags_its_rows_and_warns_once_naming_the_property_and_days(
    sandbox, transport_settings, fortnight, caplog
):
    thresholded_day = fortnight[1] - dt.timedelta(days=2)
    sandbox.faults.arm("ga4", "thresholded", times=None, days=[thresholded_day.isoformat()])

    with caplog.at_level(logging.WARNING, logger="connectors.ga4.client"):
        _, rows = fetch(transport_settings, *fortnight)

    assert list(TRAFFIC_REPORT.columns)[-2:] == ["subject_to_thresholding", "data_loss_from_other_row"]
    assert rows and all(r["subject_to_thresholding"] is True and r["data_loss_from_other_row"] is False for r in rows)
    [warning] = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert sandbox.advertiser.ga4_property.id in warning and "subject to thresholding" in warning
    assert thresholded_day.isoformat() in warning and fortnight[0].isoformat() in warning, (
        "GA4 flags the whole response: every day in it is named"
    )


def test_the_key_event_report_keeps_its_own_thresholding_flags_and_warns_naming_its_table(
    sandbox, transport_settings, fortnight, caplog
):
    # GA4 flags each response on its own: here only the report split by event name.
    sandbox.faults.arm("ga4", "thresholded", times=None, by_event=True)
    sandbox.faults.arm("ga4", "other_row_data_loss", times=None, by_event=True)

    with caplog.at_level(logging.WARNING, logger="connectors.ga4.client"):
        _, traffic = fetch(transport_settings, *fortnight)
        _, key_events = fetch(transport_settings, *fortnight, report=KEY_EVENTS_REPORT)

    assert list(KEY_EVENTS_REPORT.columns)[-2:] == ["subject_to_thresholding", "data_loss_from_other_row"]
    assert key_events and all(r["subject_to_thresholding"] and r["data_loss_from_other_row"] for r in key_events)
    assert traffic and not any(r["subject_to_thresholding"] or r["data_loss_from_other_row"] for r in traffic)
    [warning] = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert "raw.ga4_key_events" in warning and "(other)" in warning and "thresholding" in warning


def test_a_report_that_misses_the_flagged_days_carries_no_flags_and_no_warning(
    sandbox, ga4_settings, fortnight, caplog
):
    sandbox.faults.arm("ga4", "other_row_data_loss", times=None, days=[fortnight[1].isoformat()])

    with caplog.at_level(logging.WARNING, logger="connectors.ga4.client"):
        _, rows = fetch(ga4_settings, fortnight[0], fortnight[1] - dt.timedelta(days=1))

    assert rows and not any(r["subject_to_thresholding"] or r["data_loss_from_other_row"] for r in rows)
    assert [record for record in caplog.records if record.levelno == logging.WARNING] == []

"""The GA4 connector: the official client's REST transport against the sandbox over HTTP."""

import collections
import dataclasses
import datetime as dt

import pytest

from connectors.errors import PlatformAuthError, TransientPlatformError
from connectors.ga4 import (
    KEY_EVENTS_REPORT,
    KEY_EVENTS_SOURCE,
    TRAFFIC_REPORT,
    DailyQuotaExhaustedError,
    Ga4Client,
    Ga4Settings,
)
from connectors.retry import Backoff
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
def fortnight(yesterday):
    return yesterday - dt.timedelta(days=13), yesterday


def fetch(settings, since, until, waits=None, report=TRAFFIC_REPORT, **overrides):
    client = Ga4Client(
        dataclasses.replace(settings, **overrides), sleep=(waits.sleep if waits is not None else lambda _s: None)
    )
    try:
        return client, list(client.report_rows(report, settings.property_ids[0], since, until))
    finally:
        client.close()


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


def test_a_range_arrives_whole_across_several_pages_from_one_report_per_range(sandbox, ga4_settings, fortnight):
    client, rows = fetch(ga4_settings, *fortnight)

    expected = advertiser_rows(sandbox, *fortnight)
    assert len(rows) == len(expected) > 3 * 40
    assert client.requests_sent == -(-len(expected) // 40), "one report paged with limit/offset, not one per day"
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
def test_unavailable_and_internal_errors_are_retried_with_backoff(sandbox, ga4_settings, fortnight, waits, fault):
    sandbox.faults.arm("ga4", fault, times=2)

    _, rows = fetch(ga4_settings, *fortnight, waits=waits)

    assert len(waits) == 2
    assert len(rows) == len(advertiser_rows(sandbox, *fortnight))


def test_server_errors_that_persist_give_up_after_a_few_tries(sandbox, ga4_settings, fortnight, waits):
    sandbox.faults.arm("ga4", "unavailable", times=None)

    with pytest.raises(TransientPlatformError, match="ServiceUnavailable"):
        fetch(ga4_settings, *fortnight, waits=waits)
    assert len(waits) == ga4_settings.backoff.attempts - 1


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

    slices = [(property_id, list(rows)) for property_id, rows in KEY_EVENTS_SOURCE.fetch(settings, *fortnight)]

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

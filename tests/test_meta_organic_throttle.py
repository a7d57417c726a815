"""Business Use Case throttles on the organic Graph client (Facebook Pages and Instagram), against the sandbox over
HTTP: a business Meta throttles for longer than a run waits costs one call per account of it, then its accounts
are skipped with one message; the other accounts and sources are read as always."""

import datetime as dt
import time

import dagster as dg
import pytest

from connectors.errors import PlatformThrottledError
from connectors.facebook_pages.client import FacebookPagesClient, FacebookPagesSettings
from connectors.graph.organic import BUSINESS_THROTTLES
from connectors.instagram import client as instagram
from connectors.instagram.client import InstagramSettings
from connectors.retry import Backoff
from connectors.sandbox.facebook_pages import SANDBOX_PAGE_TOKEN
from connectors.sandbox.graph_usage import business_of
from connectors.sandbox.instagram_figures import instagram_accounts
from connectors.sandbox.organic_figures import facebook_pages
from pipelines.warehouse_writer import RESOURCE_KEY, WarehouseWriter
from test_instagram_connector import outcome_per_account


@pytest.fixture(autouse=True)
def no_throttle_remembered_from_another_test():
    BUSINESS_THROTTLES.clear()
    yield
    BUSINESS_THROTTLES.clear()


def instagram_settings(sandbox) -> InstagramSettings:
    return InstagramSettings(
        access_token=SANDBOX_PAGE_TOKEN,
        account_ids=tuple(account.id for account in instagram_accounts(sandbox.advertiser)),
        graph_url=sandbox.base_url,
        backoff=Backoff(attempts=5, base_seconds=0.01, max_seconds=0.05),
    )


def calls_for(sandbox, account_id: str) -> int:
    return sum(1 for _method, path in sandbox.request_log if f"/{account_id}" in path)


def test_a_business_throttled_for_half_an_hour_costs_one_call_and_is_skipped_with_one_message(sandbox, yesterday):
    throttled, other = instagram_accounts(sandbox.advertiser)
    sandbox.faults.arm("instagram", "business_throttle", times=None, account=throttled.id, regain_minutes=30)
    settings = instagram_settings(sandbox)
    window = (yesterday - dt.timedelta(days=6), yesterday)
    started = time.monotonic()

    sources = [
        outcome_per_account(instagram.fetch_window(settings, *window)),
        outcome_per_account(instagram.fetch_media_window(settings, *window)),
        outcome_per_account(instagram.fetch_follower_totals(settings)),
    ]

    assert time.monotonic() - started < 30, "nothing waited out"
    assert calls_for(sandbox, throttled.id) <= 2, "at most 2 calls in total for the throttled business"
    first = sources[0][throttled.id]
    assert isinstance(first, PlatformThrottledError) and first.account == throttled.id
    business = business_of(sandbox.advertiser, "instagram", throttled.id)
    assert business and business in str(first) and "code 80002" in str(first)
    assert "UTC" in str(first) and "Rerun the sync" in str(first)
    for later in sources[1:]:
        assert str(later[throttled.id]) == f"Not read: {first}", "the one message, no new call"
    assert all(isinstance(source[other.id], list) and source[other.id] for source in sources)


def test_a_throttle_the_run_can_wait_out_is_waited_once_as_the_usage_header_says(sandbox, yesterday, waits):
    page = facebook_pages(sandbox.advertiser)[0]
    sandbox.faults.arm("facebook_pages", "business_throttle", times=1, account=page.id, regain_minutes=2)
    settings = FacebookPagesSettings(access_token=SANDBOX_PAGE_TOKEN, page_ids=(page.id,), graph_url=sandbox.base_url)
    client = FacebookPagesClient(settings, sleep=waits.sleep)
    try:
        rows = list(client.daily_insights(page.id, yesterday - dt.timedelta(days=6), yesterday))
    finally:
        client.close()

    assert waits == [120.0] and len(rows) == 7


def test_a_throttled_business_leaves_every_other_sources_rows_in(work_env, sandbox, yesterday, instance):
    from pipelines.assets.raw import raw_assets
    from pipelines.run_window import range_tags

    throttled = instagram_accounts(sandbox.advertiser)[0]
    sandbox.faults.arm("instagram", "business_throttle", times=None, account=throttled.id, regain_minutes=30)
    organic = [a for a in raw_assets if a.key.path[-1].startswith(("facebook_", "instagram_", "linkedin_org", "foll"))]
    week = (yesterday - dt.timedelta(days=6), yesterday)

    result = dg.materialize(
        organic,
        instance=instance,
        tags=range_tags(*week),
        resources={RESOURCE_KEY: WarehouseWriter()},
        raise_on_error=False,
    )

    assert calls_for(sandbox, throttled.id) <= 2, "at most 2 calls in total for the throttled business"
    failed = {e.asset_key.path[-1]: e.description or "" for e in result.get_asset_check_evaluations() if not e.passed}
    assert set(failed) == {"instagram_account_insights", "instagram_media", "instagram_stories", "follower_snapshots"}
    assert all(throttled.id in description and "code 80002" in description for description in failed.values())
    rows = {
        event.materialization.asset_key.path[-1]: event.materialization.metadata["rows"].value
        for event in result.get_asset_materialization_events()
    }
    pages, accounts = len(facebook_pages(sandbox.advertiser)), len(instagram_accounts(sandbox.advertiser))
    organizations = len(sandbox.environment()["LINKEDIN_ORGANIZATION_IDS"].split(","))
    assert rows["facebook_page_insights"] == 7 * pages
    assert rows["linkedin_organization_daily"] == 7 * organizations
    assert rows["instagram_account_insights"] == 7 * (accounts - 1), "the other Instagram account's days"
    assert rows["follower_snapshots"] == pages + accounts - 1 + organizations

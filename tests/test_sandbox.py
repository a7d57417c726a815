"""The sandbox stands in for the platforms: deterministic, restating, and steerable from outside."""

import datetime as dt

import pytest
import requests

from connectors.fx_rates.client import FxRatesSettings
from connectors.ga4.client import Ga4Settings
from connectors.linkedin_ads.client import LinkedInAdsSettings
from connectors.meta_ads.settings import MetaAdsSettings
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import LATE_CONVERSION_DAYS, SyntheticAdvertiser
from connectors.sandbox.meta_figures import meta_deliveries

# Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
pytestmark = pytest.mark.calendar

TODAY = dt.date(2026, 11, 25)


def spend_by_campaign_day(advertiser, since, until):
    return {
        (d.campaign.id, d.day): d.spend
        for account in advertiser.meta_accounts
        for d in meta_deliveries(advertiser, account.id, since, until)
    }


def test_the_same_seed_gives_the_same_advertiser_and_another_seed_a_different_one():
    window = (TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=1))

    first = spend_by_campaign_day(SyntheticAdvertiser(seed=7, today=TODAY), *window)
    again = spend_by_campaign_day(SyntheticAdvertiser(seed=7, today=TODAY), *window)
    other = spend_by_campaign_day(SyntheticAdvertiser(seed=8, today=TODAY), *window)

    assert first == again and len(first) > 60
    assert first != other


def test_restatement_grows_only_the_recent_days_conversions_and_never_past_the_final_figure():
    advertiser = SyntheticAdvertiser(seed=7, today=TODAY)
    recent = TODAY - dt.timedelta(days=1)
    settled = TODAY - dt.timedelta(days=LATE_CONVERSION_DAYS + 1)

    factors = [advertiser.restatement_factor(recent, n) for n in range(5)]

    assert factors == sorted(factors) and factors[0] < 1.0 and factors[-1] == 1.0
    assert advertiser.restatement_factor(settled, 0) == 1.0


def test_faults_and_restatements_can_be_switched_over_http_for_a_standalone_sandbox():
    with Sandbox(seed=7) as sandbox:
        armed = requests.post(
            f"{sandbox.base_url}/_sandbox/faults",
            json={"platform": "meta", "kind": "server_error", "times": 1},
            timeout=5,
        )
        restated = requests.post(f"{sandbox.base_url}/_sandbox/restate", timeout=5)

        assert armed.ok and restated.json() == {"restatements": 1}
        assert sandbox.faults.take("meta", "server_error") is not None
        assert sandbox.faults.take("meta", "server_error") is None, "a fault armed once fires once"


def test_a_demo_sandbox_restates_on_every_new_report():
    with Sandbox(seed=7, restate_each_sync=True) as sandbox:
        seen = [sandbox.restatements_for_new_report() for _ in range(3)]

    assert seen == [1, 2, 3]


def test_the_sandbox_environment_points_every_connector_at_the_sandbox(sandbox):
    env = sandbox.environment()

    advertiser = sandbox.advertiser
    meta = MetaAdsSettings.from_env(env)
    ga4 = Ga4Settings.from_env(env)
    linkedin = LinkedInAdsSettings.from_env(env)
    fx = FxRatesSettings.from_env(env)

    assert meta.graph_url == ga4.api_url == linkedin.api_url == linkedin.oauth_url == sandbox.base_url
    assert meta.account_ids == tuple(a.id for a in advertiser.meta_accounts) and meta.poll_interval_seconds < 1
    assert ga4.property_ids == (advertiser.ga4_property.id,) and ga4.uses_plain_http
    assert linkedin.account_ids == tuple(a.id for a in advertiser.linkedin_accounts) and linkedin.can_refresh
    assert fx.api_url == f"{sandbox.base_url}/api" and set(fx.currencies) >= {
        a.currency for a in advertiser.linkedin_accounts
    }

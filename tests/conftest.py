"""Shared scenario pieces: a live sandbox on loopback, a fresh warehouse file, a clock that records."""

import datetime as dt

import dagster as dg
import pytest

from connectors.meta_ads import MetaAdsSettings
from connectors.retry import Backoff
from connectors.sandbox import Sandbox
from connectors.sandbox.server import SANDBOX_META_TOKEN


@pytest.fixture
def sandbox():
    with Sandbox(seed=7) as running:
        yield running


class _Waits(list):
    def sleep(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits():
    return _Waits()


@pytest.fixture
def meta_settings(sandbox):
    return MetaAdsSettings(
        access_token=SANDBOX_META_TOKEN,
        account_ids=tuple(account.id for account in sandbox.advertiser.meta_accounts),
        graph_url=sandbox.base_url,
        poll_interval_seconds=0.01,
        backoff=Backoff(attempts=4, base_seconds=0.01, max_seconds=0.05),
    )


@pytest.fixture
def pipeline_env(sandbox, tmp_path, monkeypatch):
    """Environment of a pipeline pointed at the sandbox and a warehouse file of its own."""
    from pipelines.cli import sandbox_environment

    for name, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("META_POLL_INTERVAL_SECONDS", "0.01")
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SOCIAL_ROI_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return warehouse


@pytest.fixture
def yesterday() -> dt.date:
    return dt.date.today() - dt.timedelta(days=1)


@pytest.fixture
def instance():
    """A throwaway Dagster instance: runs are real and recorded, then discarded."""
    with dg.instance_for_test() as test_instance:
        yield test_instance

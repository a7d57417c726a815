"""An agency's book, synced (run with `make bench`): 50 Meta ad accounts read at ad level, 20 LinkedIn ad
accounts and 20 GA4 properties, 40 campaigns in each further ad account (connectors/sandbox/advertiser.py,
AgencyScale). A 30-day sync into a fresh warehouse, then the schedule's nightly and weekly passes on it, measured as
pipeline_costs measures the demo advertiser's: wall time, where it went, raw rows, requests per account.

Meta takes META_REPORT_SECONDS to produce each report here, as its reports take seconds to minutes for
real; the bench also times Meta's reports for the first five accounts read one job at a time against the
default, several jobs in flight (MetaAdsSettings.jobs_in_flight).

The organic pages are left out: the agency's clients' Pages and accounts are not part of the scenario.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from benchmarks.pipeline_costs import MONTH_DAYS, history_and_tonight
from connectors import clock
from connectors.meta_ads.client import fetch_window
from connectors.meta_ads.settings import MetaAdsSettings
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import AgencyScale

AGENCY = AgencyScale()  # the defaults: 50 / 20 / 20, 40 campaigns
META_REPORT_SECONDS = 2.0
NIGHTLY_DAYS = 7
SIDE_BY_SIDE_ACCOUNTS = 5
ORGANIC_SETTINGS = ("META_PAGE_IDS", "INSTAGRAM_ACCOUNT_IDS", "LINKEDIN_ORGANIZATION_IDS")


def meta_reports_seconds(sandbox: Sandbox, accounts: int, jobs_in_flight: int) -> float:
    """Seconds to read the nightly window's insights pages of the first `accounts` Meta accounts."""
    settings = MetaAdsSettings.from_env({**sandbox.environment(), "META_INSIGHTS_LEVEL": "ad"})
    settings = dataclasses.replace(settings, account_ids=settings.account_ids[:accounts], jobs_in_flight=jobs_in_flight)
    yesterday = clock.yesterday()
    started = time.perf_counter()
    for _account, pages in fetch_window(settings, yesterday - dt.timedelta(days=NIGHTLY_DAYS - 1), yesterday):
        for _page in pages:
            pass
    return round(time.perf_counter() - started, 1)


def main(scale: AgencyScale = AGENCY) -> dict:
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="social-roi-agency-") as scratch,
        Sandbox(seed=7, agency=scale, meta_report_seconds=META_REPORT_SECONDS) as sandbox,
    ):
        side_by_side = {
            "accounts": SIDE_BY_SIDE_ACCOUNTS,
            "seconds_one_job_at_a_time": meta_reports_seconds(sandbox, SIDE_BY_SIDE_ACCOUNTS, jobs_in_flight=1),
            "seconds_jobs_in_flight": meta_reports_seconds(
                sandbox, SIDE_BY_SIDE_ACCOUNTS, MetaAdsSettings.jobs_in_flight
            ),
        }
        figures = history_and_tonight(
            sandbox,
            Path(scratch),
            MONTH_DAYS,
            leave_out=ORGANIC_SETTINGS,
            settings={"META_INSIGHTS_LEVEL": "ad"},
        )
    return {
        "scenario": {
            "meta_ad_accounts": scale.meta_accounts,
            "meta_level": "ad",
            "linkedin_ad_accounts": scale.linkedin_accounts,
            "ga4_properties": scale.ga4_properties,
            "campaigns_per_further_account": scale.campaigns_per_account,
            "meta_report_seconds": META_REPORT_SECONDS,
        },
        "meta_nightly_reports": side_by_side,
        **figures,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

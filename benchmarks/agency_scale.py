"""An agency's book, synced (run with `make bench`): 50 Meta ad accounts read at ad level, 20 LinkedIn ad
accounts and 20 GA4 properties, 40 campaigns in each further ad account (connectors/sandbox/advertiser.py,
AgencyScale). A 30-day sync into a fresh warehouse, then tonight's nightly run on it, measured as
pipeline_costs measures the demo advertiser's: wall time, where it went, raw rows, requests per account.

The organic pages are left out: the agency's clients' Pages and accounts are not part of the scenario.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from benchmarks.pipeline_costs import MONTH_DAYS, history_and_tonight
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import AgencyScale

AGENCY = AgencyScale()  # the defaults: 50 / 20 / 20, 40 campaigns
ORGANIC_SETTINGS = ("META_PAGE_IDS", "INSTAGRAM_ACCOUNT_IDS", "LINKEDIN_ORGANIZATION_IDS")


def main(scale: AgencyScale = AGENCY) -> dict:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="social-roi-agency-") as scratch, Sandbox(seed=7, agency=scale) as sandbox:
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
        },
        **figures,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))

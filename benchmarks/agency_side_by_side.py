"""An agency's nightly runs side by side (run with `make bench`): CLIENTS clients, each with one Meta ad account
of the agency's book (connectors/sandbox/advertiser.py, AgencyScale) on the agency's one token, synced for the
nightly window by `social-roi sync --all-clients`, once SOCIAL_ROI_PARALLEL_CLIENTS at a time (its default) and
once one after another (1 at a time), each into fresh warehouses: both wall times, and their ratio.

Meta takes META_REPORT_SECONDS to produce each report, as in agency_scale.py: the waiting that side by side
overlaps. Each client's sync is a whole process (Python, Dagster, dbt), so on few cores the models' builds
compete for them: the ratio says what the setting buys on this machine.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connectors import clock
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import AgencyScale
from pipelines.agency import parallel_clients
from pipelines.settings import PROJECT_ROOT

CLIENTS = 20
CAMPAIGNS_PER_ACCOUNT = 5  # a small client each: the bench measures the runs' overlap, not a large load
META_REPORT_SECONDS = 2.0
NIGHTLY_DAYS = 7


def clients_file(sandbox: Sandbox, directory: Path, clients: int) -> Path:
    env = sandbox.environment()
    shared = "".join(
        f'{name} = "{env[name]}"\n' for name in ("META_GRAPH_URL", "META_POLL_INTERVAL_SECONDS") if name in env
    )
    shared += 'META_ACCESS_TOKEN = "env:AGENCY_META_TOKEN"\n'
    # the demo client's two accounts come first in the book: each bench client takes a further one
    accounts = sandbox.advertiser.meta_accounts[2 : 2 + clients]
    path = directory / "clients.toml"
    path.write_text(
        "".join(
            f'[clients.client{index:02d}]\nname = "Client {index}"\n[clients.client{index:02d}.settings]\n'
            f'META_AD_ACCOUNT_IDS = "act_{account.id}"\n{shared}\n'
            for index, account in enumerate(accounts, start=1)
        ),
        encoding="utf-8",
    )
    return path


def nightly_runs_seconds(clients: Path, directory: Path, token: str, at_once: int) -> float:
    """Wall time of `sync --all-clients` over the nightly window, `at_once` clients at a time, in `directory`."""
    yesterday = clock.yesterday()
    days = ["--start", str(yesterday - dt.timedelta(days=NIGHTLY_DAYS - 1)), "--end", str(yesterday)]
    platform_settings = ("META_", "LINKEDIN_", "GA4_", "INSTAGRAM_", "NORGES_BANK_", "SOCIAL_ROI_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(platform_settings)}
    env.update(
        SOCIAL_ROI_CLIENTS=str(clients),
        SOCIAL_ROI_PARALLEL_CLIENTS=str(at_once),
        AGENCY_META_TOKEN=token,
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    )
    if clock.TODAY_SETTING in os.environ:
        env[clock.TODAY_SETTING] = os.environ[clock.TODAY_SETTING]
    directory.mkdir()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "sync", "--all-clients", *days],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the nightly runs failed:\n{done.stdout}\n{done.stderr}")
    return round(seconds, 1)


def main(clients: int = CLIENTS) -> dict:
    at_once = parallel_clients()
    # the demo client's two Meta accounts, then one for each bench client; the least of the other platforms
    scale = AgencyScale(
        meta_accounts=2 + clients, linkedin_accounts=1, ga4_properties=1, campaigns_per_account=CAMPAIGNS_PER_ACCOUNT
    )
    with (
        tempfile.TemporaryDirectory(prefix="social-roi-side-by-side-") as scratch,
        Sandbox(seed=7, agency=scale, meta_report_seconds=META_REPORT_SECONDS) as sandbox,
    ):
        token = sandbox.environment()["META_ACCESS_TOKEN"]
        path = clients_file(sandbox, Path(scratch), clients)
        side_by_side = nightly_runs_seconds(path, Path(scratch) / "side_by_side", token, at_once)
        one_after_another = nightly_runs_seconds(path, Path(scratch) / "one_after_another", token, 1)
    return {
        "clients": clients,
        "meta_accounts_per_client": 1,
        "nightly_days": NIGHTLY_DAYS,
        "meta_report_seconds": META_REPORT_SECONDS,
        "parallel_clients": at_once,
        "seconds_side_by_side": side_by_side,
        "seconds_one_after_another": one_after_another,
        "one_after_another_over_side_by_side": round(one_after_another / side_by_side, 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else CLIENTS), indent=2))

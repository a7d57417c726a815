"""An agency's nightly runs side by side (run with `make bench`): CLIENTS clients, each with one Meta ad account
of the agency's book (connectors/sandbox/advertiser.py, AgencyScale) on the agency's one token, synced for the
nightly window by `social-roi sync --all-clients`, each run into fresh warehouses, three ways:

- on embedded DuckDB files (one per client), SOCIAL_ROI_PARALLEL_CLIENTS at a time (its default);
- on the same files, one after another (1 at a time): the runs serialised;
- on the lake (pipelines/lake.py), SOCIAL_ROI_PARALLEL_CLIENTS at a time: each client's lake its own catalog
  database on one PostgreSQL server the bench starts (tests/postgres_server.py), and its own data directory.

It prints the three wall times and what the serialised runs take over each of the other two. The lake's runs
must leave every client the figures its file did (marts.cost_daily's rows and sums): the bench fails if not.

Meta takes META_REPORT_SECONDS to produce each report, as in agency_scale.py: the waiting that side by side
overlaps. Each client's sync is a whole process (Python, Dagster, dbt), so on few cores the models' builds
compete for them: the ratios say what the setting buys on this machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from connectors import clock
from connectors.sandbox import Sandbox
from connectors.sandbox.advertiser import AgencyScale
from pipelines.agency import parallel_clients
from pipelines.clients import client_environment, read_clients
from pipelines.lake import Lake, open_warehouse
from pipelines.settings import PROJECT_ROOT, warehouse_location

# The tests' own PostgreSQL (the machine's initdb and pg_ctl, as root through runuser): `tests` imports as a
# namespace package from the project root, where `make bench` and `python -m benchmarks…` run.
from tests.postgres_server import PostgresServer, running_postgres

CLIENTS = 20
CAMPAIGNS_PER_ACCOUNT = 5  # a small client each: the bench measures the runs' overlap, not a large load
META_REPORT_SECONDS = 2.0
NIGHTLY_DAYS = 7
TOKEN_VARIABLE = "AGENCY_META_TOKEN"  # the agency's one Meta token, which every client's settings name
# What the lake's runs must leave each client as its file did: spend, delivery and their rows. The sums are
# rounded to 6 decimals, as tests/test_lake.py compares: DuckDB adds doubles in parallel, in an order that
# varies between two runs of the same data (spend is a decimal today; the rounding keeps that a detail).
FIGURES = (
    "select count(*), round(sum(spend_reporting), 6), round(sum(total_cost_reporting), 6), "
    "sum(impressions), sum(clicks) from marts.cost_daily"
)


class FiguresDiffer(RuntimeError):
    """The lake's runs did not do the file's work: their wall times compare nothing."""


def clients_file(sandbox: Sandbox, directory: Path, clients: int, lakes: PostgresServer | None = None) -> Path:
    """`directory`/clients.toml: each client's Meta account on the agency's token; with `lakes`, each client's
    warehouse a lake on that server, else the default (a DuckDB file under the run's data/clients/<id>/)."""
    env = sandbox.environment()
    shared = {name: env[name] for name in ("META_GRAPH_URL", "META_POLL_INTERVAL_SECONDS") if name in env}
    shared["META_ACCESS_TOKEN"] = f"env:{TOKEN_VARIABLE}"
    # the demo client's two accounts come first in the book: each bench client takes a further one
    accounts = sandbox.advertiser.meta_accounts[2 : 2 + clients]
    tables = []
    for index, account in enumerate(accounts, start=1):
        client_id = f"client{index:02d}"
        settings = {"META_AD_ACCOUNT_IDS": f"act_{account.id}", **shared}
        if lakes is not None:
            settings.update(lakes.new_lake(client_id, directory))
        # a JSON string is a TOML basic string: the lake's catalog and paths quoted as TOML reads them
        lines = "".join(f"{name} = {json.dumps(value)}\n" for name, value in settings.items())
        tables.append(f'[clients.{client_id}]\nname = "Client {index}"\n[clients.{client_id}.settings]\n{lines}')
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "clients.toml"
    path.write_text("\n".join(tables), encoding="utf-8")
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
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    )
    env[TOKEN_VARIABLE] = token
    if clock.TODAY_SETTING in os.environ:
        env[clock.TODAY_SETTING] = os.environ[clock.TODAY_SETTING]
    directory.mkdir(parents=True, exist_ok=True)
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


def warehouses(clients: Path, directory: Path, token: str) -> dict[str, Path | Lake]:
    """Each client's warehouse as the runs in `directory` found it (a file's default is relative to the run's
    working directory), read as a run reads it: the client's environment, then its warehouse setting."""
    with contextlib.chdir(directory):
        return {
            client.id: warehouse_location(client_environment(client, {TOKEN_VARIABLE: token}), create=False)
            for client in read_clients(clients).values()
        }


def figures(warehouse: Path | Lake) -> tuple:
    with open_warehouse(warehouse, read_only=True) as connection:
        return tuple(connection.execute(FIGURES).fetchone() or ())


def check_same_figures(on_files: Mapping[str, Path | Lake], on_lakes: Mapping[str, Path | Lake]) -> None:
    """Every client's figures on its lake equal those on its file, and are not empty."""
    for client_id, file in on_files.items():
        expected, found = figures(file), figures(on_lakes[client_id])
        if not expected or not expected[0]:
            raise FiguresDiffer(f"{client_id}'s file holds no rows of marts.cost_daily: the runs synced nothing.")
        if found != expected:
            raise FiguresDiffer(
                f"{client_id}'s marts.cost_daily differs between its lake and its file (rows, spend, total cost, "
                f"impressions, clicks): {found} on the lake, {expected} on the file."
            )


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
        root = Path(scratch)
        token = sandbox.environment()["META_ACCESS_TOKEN"]
        on_files = clients_file(sandbox, root, clients)
        side_by_side = nightly_runs_seconds(on_files, root / "side_by_side", token, at_once)
        one_after_another = nightly_runs_seconds(on_files, root / "one_after_another", token, 1)
        with running_postgres("lakes") as server:
            on_lakes = clients_file(sandbox, root / "lake", clients, lakes=server)
            lake_side_by_side = nightly_runs_seconds(on_lakes, root / "lake", token, at_once)
            check_same_figures(
                warehouses(on_files, root / "one_after_another", token), warehouses(on_lakes, root / "lake", token)
            )
    return {
        "clients": clients,
        "meta_accounts_per_client": 1,
        "nightly_days": NIGHTLY_DAYS,
        "meta_report_seconds": META_REPORT_SECONDS,
        "parallel_clients": at_once,
        "seconds_side_by_side": side_by_side,
        "seconds_one_after_another": one_after_another,
        "one_after_another_over_side_by_side": round(one_after_another / side_by_side, 2),
        "seconds_lake_side_by_side": lake_side_by_side,
        "one_after_another_over_lake_side_by_side": round(one_after_another / lake_side_by_side, 2),
        "lake_figures_equal_the_files": True,  # check_same_figures raised otherwise
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else CLIENTS), indent=2))

"""Shared scenario pieces.

The expensive one is `settled`: ONE whole sync per test session (shared by the xdist workers) (the real SDKs over HTTP against
the sandbox, a real Dagster run in-process, real dbt, a real DuckDB file), with a cost ledger and
KPI targets configured. Tests that only read figures query it; tests that change data start from
a copy of it (`work_env`) and run only their own action.

The suite runs on one fixed calendar day (connectors/clock.py), set here before anything reads it:
every window, the sandbox's advertiser, dbt and the CLI in child processes see the same "today",
so the suite gives the same answer on any day the machine runs it. `make calendar` sets
SOCIAL_ROI_TODAY to each of many days to run the date-sensitive tests on them.
"""

# ruff: noqa: E402  (the calendar is fixed before the modules that read it are imported)
from __future__ import annotations

import os
import tempfile

from connectors.clock import TODAY_SETTING

# The day CI first went red for a test that read the machine's clock: a Sunday (the nightly
# schedule's weekly pass), whose settled window (17 days to yesterday) spans two months.
SUITE_DAY = "2026-12-06"
os.environ.setdefault(TODAY_SETTING, SUITE_DAY)

# The suite's files (pytest's tmp_path, Dagster's test instances, dbt's targets) on a RAM disk where
# the machine has one: every Dagster event is an SQLite commit, and fsync on a real disk took 20 %
# of the wall time of test_publish, test_schedule and test_one_writer (91 s on /tmp, 73 s on
# /dev/shm). Child processes (dbt, the CLI) inherit it. Set before pytest makes its first directory.
RAM_DISK = "/dev/shm"
if "TMPDIR" not in os.environ and os.path.isdir(RAM_DISK) and os.access(RAM_DISK, os.W_OK):
    os.environ["TMPDIR"] = RAM_DISK
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again

# The developer's own settings and secrets files (pipelines/setting_files.py) never reach a test: the suite
# points both at a place that holds no file, and a test that wants one writes it and points there.
ABSENT_FILES = os.path.join(tempfile.gettempdir(), "social-roi-suite-has-no-such-directory")
os.environ["SOCIAL_ROI_SETTINGS_FILE"] = os.path.join(ABSENT_FILES, "settings.toml")
os.environ["SOCIAL_ROI_SECRETS_FILE"] = os.path.join(ABSENT_FILES, "secrets.toml")

import contextlib
import dataclasses
import datetime as dt
import io
import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from connectors import clock
from pipelines.settings import DBT_MAX_DATE, DBT_MIN_DATE, DBT_PROJECT_DIR

# Dagster, dbt and the sandbox are imported where they are used, not here: xdist's controller loads
# this file before it starts the test workers, and those imports (6 s) delayed every worker's start.
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import dagster as dg
    from dbt.contracts.graph.manifest import Manifest

    from connectors.sandbox import Sandbox

YESTERDAY = clock.yesterday()
# The settled sync: 17 days up to yesterday, so that both settled days and days still being
# restated are in it.
SETTLED_WINDOW = (YESTERDAY - dt.timedelta(days=16), YESTERDAY)
# Days no late conversion or late GA4 data moves any more: hand computations use these.
QUIET_WINDOW = (YESTERDAY - dt.timedelta(days=16), YESTERDAY - dt.timedelta(days=4))

# The organic sources fetch a month in the settled sync (back to the eve of yesterday's month at
# least), so that a calendar month's follower growth has its start; the paid ones SETTLED_WINDOW.
ORGANIC_PLATFORMS = ("facebook_pages", "instagram", "linkedin_pages")
ORGANIC_WINDOW = (min(YESTERDAY - dt.timedelta(days=29), YESTERDAY.replace(day=1) - dt.timedelta(days=1)), YESTERDAY)

# Organic KPI targets: Instagram follower growth over a quarter that began the day after the organic
# window's first day (still running), Facebook's engagement rate by followers over the window's last week.
FOLLOWER_QUARTER = (ORGANIC_WINDOW[0] + dt.timedelta(days=1), ORGANIC_WINDOW[0] + dt.timedelta(days=90))
ENGAGEMENT_WEEK = (YESTERDAY - dt.timedelta(days=6), YESTERDAY)

# A quarter that began with the settled sync's first day and is still running.
QUARTER = (SETTLED_WINDOW[0], SETTLED_WINDOW[0] + dt.timedelta(days=89))

LEDGER_HEADER = "entry_id,category,channel,campaign_id,period_start,period_end,amount,currency,hours,hourly_rate,note\n"
TARGETS_HEADER = "target_id,metric,channel,campaign_id,period_start,period_end,target_value,direction,note\n"
VALUES_HEADER = "value_id,goal,channel,campaign_id,period_start,period_end,value,close_rate,deal_value,currency,use_reported_value,note\n"
BUDGETS_HEADER = "budget_id,channel,period_start,period_end,amount,currency,covers,note\n"
# The user's mappings, in the repository's config/ (the settled sync uses them as they are).
CONFIG_DIR = DBT_PROJECT_DIR.parent / "config"
MAPPING_FILES = {
    "SOCIAL_ROI_CAMPAIGN_MAPPING": "campaign_mapping.csv",
    "SOCIAL_ROI_CHANNEL_MAPPING": "channel_mapping.csv",
    "SOCIAL_ROI_CONVERSION_GOALS": "conversion_goals.csv",
    "SOCIAL_ROI_CAMPAIGN_OBJECTIVES": "campaign_objectives.csv",
}
# The settled sync's one budget: Meta's ad spend over 30 days from the window's first, running past yesterday.
META_BUDGET_NOK, META_BUDGET_PERIOD = 30000, (SETTLED_WINDOW[0], SETTLED_WINDOW[0] + dt.timedelta(days=29))
# What the settled sync values conversions at: a lead 800 NOK, a sign-up GA4's own key-event
# value, a webinar registration 10 % of a 3,000 EUR deal (converted at each day's rate).
LEAD_VALUE_NOK, REGISTRATION_CLOSE_RATE, REGISTRATION_DEAL_EUR = 800, 0.1, 3000
# Staff time on LinkedIn for the first ten quiet days; a tool billed in EUR to one Meta campaign.
STAFF_PERIOD = (QUIET_WINDOW[0], QUIET_WINDOW[0] + dt.timedelta(days=9))
TOOLS_PERIOD = (QUIET_WINDOW[0] + dt.timedelta(days=2), QUIET_WINDOW[0] + dt.timedelta(days=6))


@dataclasses.dataclass
class Settled:
    """The session's synced warehouse, and what it was synced with."""

    warehouse: Path
    env: dict[str, str]  # the settings the sync ran with (pointing at a sandbox that is gone)
    window: tuple[dt.date, dt.date]
    run_ids: list[str]  # the ingestion run and the models' run
    instance: dg.DagsterInstance  # where the runs are recorded (shared by every test worker)
    tools_campaign_id: str

    def env_for(self, warehouse: Path, **settings: Path) -> dict[str, str]:
        """The settings the sync ran with, pointed at `warehouse` (a copy), with `settings` replaced
        (e.g. SOCIAL_ROI_COST_LEDGER=path): what dbt alone runs with on that copy."""
        return {
            **self.env,
            "SOCIAL_ROI_WAREHOUSE": str(warehouse),
            **{name: str(path) for name, path in settings.items()},
        }

    @property
    def succeeded(self) -> bool:
        import dagster as dg

        return all(self.instance.get_run_by_id(run).status == dg.DagsterRunStatus.SUCCESS for run in self.run_ids)

    def logs(self) -> list:
        return [record for run in self.run_ids for record in self.instance.all_logs(run)]

    def check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        return [event.asset_check_evaluation_data for event in self._events("ASSET_CHECK_EVALUATION")]

    def materialization_metadata(self, table: str) -> list[Mapping[str, dg.MetadataValue]]:
        return [
            event.materialization.metadata
            for event in self._events("ASSET_MATERIALIZATION")
            if event.materialization.asset_key.path[-1] == table
        ]

    def _events(self, kind: str) -> list[dg.DagsterEvent]:
        import dagster as dg

        return [
            record.event_log_entry.get_dagster_event()
            for run in self.run_ids
            for record in self.instance.get_records_for_run(
                run, of_type=dg.DagsterEventType[kind], limit=100_000
            ).records
        ]


class _KeptTemporaryDirectory(tempfile.TemporaryDirectory):
    """A temporary directory left in place after use: the settled sync's staging files stay for
    test_no_secret_reaches_any_file_or_output_of_a_sync to search."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The finalizer is CPython's, undeclared in typeshed; Python 3.12's delete=False says the same.
        self._finalizer.detach()  # pyright: ignore[reportAttributeAccessIssue]

    def cleanup(self) -> None:
        pass


def sandbox_settings(sandbox: Sandbox) -> dict[str, str]:
    return {**sandbox.environment(), "META_POLL_INTERVAL_SECONDS": "0.01"}


def _settled_sync(directory: Path, warehouse: Mapping[str, str] | None = None) -> dict:
    """THE settled sync, into `directory`: what the session's tests read (see the module docstring).
    `warehouse`: settings for another warehouse than the file in `directory` (the same scenario on a lake)."""
    import dagster as dg

    from connectors.sandbox import Sandbox
    from pipelines.runs import run_sync

    (directory / "instance").mkdir()
    with dg.instance_for_test(temp_dir=str(directory / "instance"), set_dagster_home=False) as instance:
        with Sandbox(seed=7) as sandbox, pytest.MonkeyPatch.context() as patch:
            tools_campaign = next(c for c in sandbox.advertiser.meta_campaigns if c.name.startswith("Black Friday"))
            awareness = next(c for c in sandbox.advertiser.meta_campaigns if c.objective == "awareness")
            ledger, targets = directory / "cost_ledger.csv", directory / "kpi_targets.csv"
            values = directory / "conversion_values.csv"
            budgets = directory / "budgets.csv"
            budgets.write_text(
                BUDGETS_HEADER
                + f"M1,meta,{META_BUDGET_PERIOD[0]},{META_BUDGET_PERIOD[1]},{META_BUDGET_NOK},NOK,media,Meta ad spend\n"
            )
            values.write_text(
                VALUES_HEADER
                + f"V1,lead,,,,,{LEAD_VALUE_NOK},,,NOK,,a sales lead\n"
                + "V2,sign_up,,,,,,,,,ga4,the key event's default value in GA4\n"
                + f"V3,registration,,,{SETTLED_WINDOW[0]},{SETTLED_WINDOW[1]},,{REGISTRATION_CLOSE_RATE},"
                + f"{REGISTRATION_DEAL_EUR},EUR,,webinar attendees who buy\n"
            )
            ledger.write_text(
                LEDGER_HEADER
                + f"S1,staff_time,linkedin,,{STAFF_PERIOD[0]},{STAFF_PERIOD[1]},,NOK,20,800,community manager\n"
                + f"T1,tools,meta,{tools_campaign.id},{TOOLS_PERIOD[0]},{TOOLS_PERIOD[1]},100,EUR,,,scheduling tool\n"
            )
            targets.write_text(
                TARGETS_HEADER
                + f"K1,spend,meta,,{QUIET_WINDOW[0]},{QUIET_WINDOW[1]},1,at_least,spend something\n"
                + f"K2,cpc_link,linkedin,,{QUIET_WINDOW[0]},{QUIET_WINDOW[1]},0.01,at_most,impossible\n"
                + f"Q1,spend,meta,,{QUARTER[0]},{QUARTER[1]},1000000,at_least,a quarter still running\n"
                + f"Q2,cpc_link,meta,,{QUARTER[0]},{QUARTER[1]},1000,at_most,a ratio in a running quarter\n"
                + f"A1,cpm,meta,{awareness.id},{QUIET_WINDOW[0]},{QUIET_WINDOW[1]},150,at_most,awareness on CPM\n"
                + f"F1,follower_growth,instagram,,{FOLLOWER_QUARTER[0]},{FOLLOWER_QUARTER[1]},0.05,at_least,+5 % a quarter\n"
                + f"E1,engagement_rate_by_followers,facebook,,{ENGAGEMENT_WEEK[0]},{ENGAGEMENT_WEEK[1]},0.001,at_least,\n"
            )
            env = {
                **sandbox_settings(sandbox),
                "SOCIAL_ROI_WAREHOUSE": str(directory / "warehouse.duckdb"),
                "DAGSTER_HOME": str(directory / "dagster_home"),
                **(warehouse or {}),
                "SOCIAL_ROI_COST_LEDGER": str(ledger),
                "SOCIAL_ROI_KPI_TARGETS": str(targets),
                "SOCIAL_ROI_CONVERSION_VALUES": str(values),
                "SOCIAL_ROI_BUDGETS": str(budgets),
                # the mappings the repository ships (as the pipeline passes them, absolute: dbt alone
                # runs in the test's directory, where config/ is not ../config)
                **{setting: str(CONFIG_DIR / file) for setting, file in MAPPING_FILES.items()},
            }
            for name, value in env.items():
                patch.setenv(name, value)
            # What a sync leaves anywhere stays for the secrets test: its staging directories, and what it printed.
            (directory / "tmp").mkdir()
            patch.setattr(tempfile, "tempdir", str(directory / "tmp"))
            patch.setattr(tempfile, "TemporaryDirectory", _KeptTemporaryDirectory)
            with (
                (directory / "printed.txt").open("w") as printed,
                contextlib.redirect_stdout(printed),
                contextlib.redirect_stderr(printed),
            ):
                result = run_sync(
                    *SETTLED_WINDOW,
                    instance=instance,
                    raise_on_error=False,
                    windows=dict.fromkeys(ORGANIC_PLATFORMS, ORGANIC_WINDOW),
                )
        assert result.success, "the settled sync failed: every test that reads it would fail"
        return {"env": env, "run_ids": list(result.run_ids), "tools_campaign_id": tools_campaign.id}


@pytest.fixture(scope="session")
def settled(tmp_path_factory, worker_id) -> Iterator[Settled]:
    """Built once for the whole session, whichever test worker needs it first; the others wait for
    it and read the same files (a sync per worker would cost each of them half a minute)."""
    import dagster as dg
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    directory = shared / "settled"
    with FileLock(str(shared / "settled.lock")):
        built = directory / "settled.json"
        if not built.exists():
            directory.mkdir(exist_ok=True)
            built.write_text(json.dumps(_settled_sync(directory)))
        facts = json.loads(built.read_text())
    with dg.instance_for_test(temp_dir=str(directory / "instance"), set_dagster_home=False) as instance:
        yield Settled(
            directory / "warehouse.duckdb",
            facts["env"],
            SETTLED_WINDOW,
            facts["run_ids"],
            instance,
            facts["tools_campaign_id"],
        )


@pytest.fixture(scope="session")
def window_report(settled):
    """The report for the settled sync's days in a locale, built once per locale and test worker:
    the report tests read it without writing (a report takes 1 to 3 s to build)."""
    from pipelines.report import build_report

    built = {}

    def report(locale: str):
        if locale not in built:
            built[locale] = build_report(settled.warehouse, *settled.window, locale=locale)
        return built[locale]

    return report


@pytest.fixture
def sandbox():
    """A sandbox of the test's own: its faults and restatements touch no other test."""
    from connectors.sandbox import Sandbox

    with Sandbox(seed=7) as running:
        yield running


@pytest.fixture(scope="session")
def work_directory(tmp_path_factory) -> Path:
    # One path for every test's working copy, so the dbt profile (which names the file) stays the same.
    return tmp_path_factory.mktemp("work")


@pytest.fixture
def work_env(settled, sandbox, work_directory, monkeypatch, tmp_path) -> Path:
    """A copy of the settled warehouse, and the settings of a pipeline pointed at it and at this
    test's sandbox (same seed, so the same advertiser). Returns the copy's path."""
    warehouse = _replace_with_a_copy(work_directory / "warehouse.duckdb", settled.warehouse)
    env = {
        **settled.env,
        **sandbox_settings(sandbox),
        "SOCIAL_ROI_WAREHOUSE": str(warehouse),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return warehouse


@pytest.fixture
def instance():
    """A throwaway Dagster instance: runs are real and recorded, then discarded."""
    import dagster as dg

    with dg.instance_for_test() as test_instance:
        yield test_instance


def copy_of_settled(settled: Settled, work_directory: Path) -> Path:
    """A fresh copy of the settled warehouse for dbt alone to change.

    Always the same path (the previous test's copy is replaced): the dbt profile names the file,
    and an unchanged profile lets dbt reuse its partial parse. The file keeps the name
    `warehouse.duckdb`: dbt-duckdb names the database after the file, and views refer to it."""
    return _replace_with_a_copy(work_directory / "dbt_alone" / "warehouse.duckdb", settled.warehouse)


def _replace_with_a_copy(target: Path, source: Path) -> Path:
    """`target` becomes a copy of `source`, with no write-ahead log of an earlier copy beside it."""
    target.parent.mkdir(exist_ok=True)
    target.with_name(target.name + ".wal").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def run_dbt(
    args: list[str], env: dict[str, str], project_dir: Path = DBT_PROJECT_DIR, **dbt_vars
) -> subprocess.CompletedProcess:
    """dbt alone, as the pipeline calls it (same vars and settings), for behaviours that need no ingestion.
    The window (min_date, max_date) goes in the environment, as the pipeline passes it.

    Real dbt, run in this test process through dbt's programmatic entry point (dbtRunner), with
    `env` in the environment while it runs: a dbt process of its own would import dbt and build its
    schemas again each time, 4 to 5 s of the 8 to 10 a call took. What dbt prints is returned as a
    process's output, with its exit status (0 or 1), as the `dbt` command would give them."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    window = {
        name: dbt_vars.pop(var)
        for var, name in (("min_date", DBT_MIN_DATE), ("max_date", DBT_MAX_DATE))
        if var in dbt_vars
    }
    from pipelines.settings import ScheduleSettings

    # the days each platform still restates, as the pipeline passes them
    restatement = ScheduleSettings.from_env({**os.environ, **env}).restatement_days()
    variables = {
        "reporting_currency": "NOK",
        "revenue_source": "ga4",
        "gross_margin": "",
        "restatement_days": restatement,
        **dbt_vars,
    }
    # dbt's artifacts beside the warehouse, as the pipeline keeps them.
    target = Path({**os.environ, **env}["SOCIAL_ROI_WAREHOUSE"]).parent / "dbt_target"
    command = [
        *args,
        "--target-path",
        str(target),
        "--log-path",
        str(target),
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--vars",
        json.dumps(variables),
    ]
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        for name, value in {**env, **window}.items():
            patch.setenv(name, value)
        try:
            result = dbtRunner(manifest=_parsed_project(project_dir, command)).invoke(command)
        finally:
            # dbt-duckdb keeps the database open for the next invocation until the process exits;
            # the next test replaces the file, so close it now, as the end of a dbt process would.
            environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
            if environment is not None:
                environment.close()
    output = printed.getvalue() + (f"\n{result.exception}" if result.exception else "")
    return subprocess.CompletedProcess(["dbt", *command], 0 if result.success else 1, output, "")


# The project as dbt parsed it, once per project directory and test worker (dbt's documented reuse
# of a manifest between programmatic invocations): our models read the settings a test changes
# (env_var, var) only in their SQL, which dbt renders again for every run, never in a config or a
# ref, so one parse serves every run. Without it each call re-parsed the files that read a changed
# setting, and the whole project whenever a test's vars differed from the previous call's. A test
# that changes a file of the project works on a copy of it (a directory of its own, parsed anew).
_PARSED: dict[Path, Manifest] = {}


def _parsed_project(project_dir: Path, command: list[str]) -> Manifest | None:
    from dbt.cli.main import dbtRunner

    if project_dir not in _PARSED:
        parse = dbtRunner().invoke(["parse", *command[command.index("--target-path") :]])
        if not parse.success:
            return None  # the run parses on its own and reports what is wrong
        _PARSED[project_dir] = cast("Manifest", parse.result)  # what `dbt parse` returns
    return _PARSED[project_dir]


class _Waits(list):
    def sleep(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits():
    return _Waits()


@pytest.fixture
def meta_settings(sandbox):
    from connectors.meta_ads.settings import MetaAdsSettings
    from connectors.retry import Backoff
    from connectors.sandbox.meta_ads import SANDBOX_META_TOKEN

    return MetaAdsSettings(
        access_token=SANDBOX_META_TOKEN,
        account_ids=tuple(account.id for account in sandbox.advertiser.meta_accounts),
        graph_url=sandbox.base_url,
        poll_interval_seconds=0.01,
        backoff=Backoff(attempts=4, base_seconds=0.01, max_seconds=0.05),
    )


@pytest.fixture
def yesterday() -> dt.date:
    return YESTERDAY


def pytest_collection_modifyitems(config, items):
    """One test that needs the settled sync first, then every test that does not, then the rest: the
    first test worker starts building the sync at once while the other runs the tests that need no
    sync, instead of both reaching the sync together and one waiting idle for it."""
    needs_sync = [item for item in items if "settled" in item.fixturenames]
    # Of the rest, the tests that run a sync of their own (work_env) first: the longest last would
    # leave one worker idle while the other finishes it.
    later = sorted(needs_sync[1:], key=lambda item: "work_env" not in item.fixturenames)
    items[:] = needs_sync[:1] + [item for item in items if "settled" not in item.fixturenames] + later

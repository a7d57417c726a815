"""What a sync costs beyond its data (run with `make bench`, after the load-speed figures).

Against the sandbox's demo advertiser, each in a fresh DAGSTER_HOME and warehouse:
- a 30-day sync, then the schedule's nightly pass and its weekly pass on that warehouse (two named
  figures: the weekday the bench runs on changes neither);
- a 3-year backfill (one run, as `social-roi sync --start --end` makes it), then the same two passes on it,
  its wall time and DAGSTER_HOME growth printed beside their goals (under 90 s and 50 MB, issue 24);
  `python -m benchmarks.pipeline_costs three_years` runs this case alone;
the fixed start-up of Python with the Dagster definitions and of the dbt CLI, the month's report, the
peak memory of a 30-day sync against one with 10 times the rows; and
for each sync (the ingestion run and the models' run after it): wall time, DAGSTER_HOME growth, the time spent in ingestion and in dbt, the raw rows
written, and the requests each platform's accounts cost (counted by the sandbox). The figures are
printed and written to benchmarks/results.json.

LinkedIn organization pages are left out of the backfill (LinkedIn serves 12 months of page statistics,
so older days would be skipped anyway). Requests are counted for the ad platforms only.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

from connectors import clock
from connectors.sandbox import Sandbox
from pipelines.assets.raw import raw_assets
from pipelines.assets.transform import BUILD_TARGET_DIRECTORY
from pipelines.definitions import defs
from pipelines.report import build_report, write_report
from pipelines.run_window import range_tags
from pipelines.schedules import REBUILD_JOB_NAME, SYNC_JOB_NAME, models_run_request, nightly_run_request
from pipelines.settings import ScheduleSettings

BACKFILL_DAYS = 3 * 365
# Issue 24: a 3-year backfill of one client costs what its data costs. Each figure must stay below its goal.
THREE_YEAR_GOALS = {"wall_seconds": 90.0, "dagster_home_growth_mb": 50.0}
RAW_TABLES = {asset.key for asset in raw_assets}
# The console shows warnings and errors only, as `social-roi sync` has it.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
MONTH_DAYS = 30
# Which platform a sandbox request belongs to, by its path.
PLATFORM_PATHS = {
    # the ad account node, its async report jobs (the sandbox numbers them from 6100000000000001), their pages
    "meta_ads": re.compile(r"^/v[\d.]+/(act_\d+|61\d{14})"),
    "linkedin_ads": re.compile(r"^/rest/(adAnalytics|adAccounts|adAccountUsers|conversions)"),
    "ga4": re.compile(r"properties/\d+:runReport"),
}


def directory_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Seconds per step of a run, from its recorded start and end events."""
    started, spent = {}, {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            spent[event.step_key] = record.timestamp - started[event.step_key]
    return spent


def dbt_build_elapsed(warehouse_directory: Path) -> float:
    """The seconds dbt says its last build took, from the run_results.json of the models' run."""
    results = warehouse_directory / BUILD_TARGET_DIRECTORY / "run_results.json"
    return float(json.loads(results.read_text())["elapsed_time"]) if results.exists() else 0.0


def raw_rows(result: dg.ExecuteInProcessResult) -> int:
    """Rows the run's raw steps wrote (each step's metadata is repeated on every day it covers: counted once)."""
    rows = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.path[0] == "raw" and "rows" in materialization.metadata:
            rows[materialization.asset_key] = materialization.metadata["rows"].value
    return sum(rows.values())


def requests_per_account(sandbox: Sandbox, log_from: int) -> dict[str, float]:
    accounts = {
        "meta_ads": len(sandbox.advertiser.meta_accounts),
        "linkedin_ads": len(sandbox.advertiser.linkedin_accounts),
        "ga4": len(sandbox.advertiser.ga4_properties),
    }
    counted = collections.Counter(
        platform
        for _method, path in sandbox.request_log[log_from:]
        for platform, pattern in PLATFORM_PATHS.items()
        if pattern.search(path)
    )
    return {platform: round(counted[platform] / accounts[platform], 1) for platform in accounts}


def measured_run(sandbox: Sandbox, home: Path, tags: dict[str, str]) -> dict:
    """One sync with `tags` in the instance at `home` (the ingestion run, then the models' run the
    models_after_sync sensor would launch for it): what it cost."""
    before, log_from = directory_bytes(home), len(sandbox.request_log)
    with dg.instance_for_test(temp_dir=str(home), set_dagster_home=False) as instance:
        started = time.perf_counter()
        ingestion = defs.resolve_job_def(SYNC_JOB_NAME).execute_in_process(
            instance=instance, tags=tags, raise_on_error=False, run_config=QUIET
        )
        models_request = models_run_request(instance.get_run_by_id(ingestion.run_id), RAW_TABLES)
        models = defs.resolve_job_def(REBUILD_JOB_NAME).execute_in_process(
            instance=instance, tags=models_request.tags, raise_on_error=False, run_config=QUIET
        )
        wall = time.perf_counter() - started
        steps = {**step_seconds(instance, ingestion.run_id), **step_seconds(instance, models.run_id)}
    dbt_seconds = steps.get("dbt_models", 0.0)
    dbt_build_seconds = dbt_build_elapsed(Path(os.environ["SOCIAL_ROI_WAREHOUSE"]).parent)
    return {
        "success": ingestion.success and models.success,
        "wall_seconds": round(wall, 1),
        "ingestion_seconds": round(sum(s for step, s in steps.items() if step.startswith("raw__")), 1),
        "ingestion_seconds_by_table": {
            step.removeprefix("raw__"): round(s, 1) for step, s in sorted(steps.items()) if step.startswith("raw__")
        },
        "dbt_seconds": round(dbt_seconds, 1),
        # dbt's own account of its build (run_results.json); the rest of the dbt step is starting the
        # CLI, parsing the project with the run's vars, and dagster-dbt turning dbt's events into Dagster's
        "dbt_build_seconds": round(dbt_build_seconds, 1),
        "dbt_start_parse_and_events_seconds": round(dbt_seconds - dbt_build_seconds, 1),
        "publish_seconds": round(steps.get("published__warehouse", 0.0), 1),
        "dagster_overhead_seconds": round(wall - sum(steps.values()), 1),
        "dagster_home_growth_mb": round((directory_bytes(home) - before) / 1e6, 1),
        "raw_rows_written": raw_rows(ingestion),
        "requests_per_account": requests_per_account(sandbox, log_from),
    }


@contextlib.contextmanager
def environment(settings: dict[str, str]):
    saved = dict(os.environ)
    os.environ.update(settings)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def bench_nights(today: dt.date, settings: ScheduleSettings) -> dict[str, dt.date]:
    """The latest night of each pass the schedule runs, at or before `today`: an ordinary night
    (each platform's nightly window) and the weekly pass (the wider weekly windows), so that the
    bench measures both as named figures whatever weekday it runs on."""
    weekly = today - dt.timedelta(days=(today.weekday() - settings.weekly_pass_weekday) % 7)
    return {"nightly": today if weekly != today else today - dt.timedelta(days=1), "weekly": weekly}


def history_and_tonight(
    sandbox: Sandbox, root: Path, days: int, leave_out: tuple[str, ...] = (), settings: dict[str, str] | None = None
) -> dict:
    """A sync of the last `days` days into a fresh warehouse, then the schedule's nightly pass and
    its weekly pass on it (with `settings` beside the sandbox's, and the `leave_out` ones emptied)."""
    home = root / "dagster_home"
    home.mkdir(parents=True)
    settings = {**sandbox.environment(), "SOCIAL_ROI_WAREHOUSE": str(root / "warehouse.duckdb"), **(settings or {})}
    settings.update(dict.fromkeys(leave_out, ""))
    yesterday = clock.yesterday()
    with environment(settings):
        schedule = ScheduleSettings.from_env()
        history = measured_run(sandbox, home, range_tags(yesterday - dt.timedelta(days=days - 1), yesterday))
        passes = {
            name: {
                "night": night.isoformat(),
                **measured_run(sandbox, home, dict(nightly_run_request(night, schedule).tags)),
            }
            for name, night in bench_nights(clock.today(), schedule).items()
        }
    return {"days": days, "sync": history, **passes}


def startup_seconds() -> dict[str, float]:
    """The fixed costs every run pays before any data moves: loading the Dagster definitions (which
    imports every SDK and reads the dbt manifest) and starting the dbt CLI, each in a fresh process."""

    def timed(command: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return round(time.perf_counter() - started, 1)

    bin_dir = Path(sys.executable).parent
    return {
        "python_and_definitions_seconds": timed([sys.executable, "-c", "import pipelines.definitions"]),
        "dbt_cli_seconds": timed([str(bin_dir / "dbt"), "--version"]),
    }


def report_seconds(warehouse: Path) -> float:
    """The month's report for management, built and written from the warehouse (HTML, no PDF)."""
    yesterday = clock.yesterday()
    started = time.perf_counter()
    report = build_report(warehouse, yesterday - dt.timedelta(days=MONTH_DAYS - 1), yesterday, "nb")
    write_report(report, warehouse.parent / "report.html")
    return round(time.perf_counter() - started, 1)


# Extra LinkedIn campaigns that make a 30-day sync write about 10 times the demo's raw rows (each adds about 113).
TEN_TIMES_EXTRA_CAMPAIGNS = 123


def memory_at_scale() -> dict:
    """Peak RSS of a 30-day sync of the demo advertiser, and of one with about 10 times its raw rows,
    each in a fresh process of its own (benchmarks/sync_memory.py). The two run side by side: each
    process's peak is its own, and no time is measured."""
    runs = {
        size: subprocess.Popen(
            [sys.executable, "-m", "benchmarks.sync_memory", str(extra)], stdout=subprocess.PIPE, text=True
        )
        for size, extra in (("default", 0), ("ten_times", TEN_TIMES_EXTRA_CAMPAIGNS))
    }
    measured = {}
    for size, run in runs.items():
        output, _ = run.communicate()
        if run.returncode != 0:
            raise RuntimeError(f"the {size} memory sync failed (exit {run.returncode})")
        measured[size] = json.loads(output.strip().splitlines()[-1])
    default, ten_times = measured["default"], measured["ten_times"]
    return {
        "default": default,
        "ten_times": ten_times,
        "rows_ratio": round(ten_times["raw_rows"] / default["raw_rows"], 1),
        "peak_rss_ratio": round(ten_times["peak_rss_mib"] / default["peak_rss_mib"], 2),
    }


def three_years(sandbox: Sandbox, root: Path) -> dict:
    """The 3-year backfill of the demo advertiser, then the two passes on it (organic pages left out)."""
    return history_and_tonight(sandbox, root, BACKFILL_DAYS, leave_out=("LINKEDIN_ORGANIZATION_IDS",))


def against_goals(backfill: dict) -> dict:
    """The 3-year backfill's wall time and DAGSTER_HOME growth, each beside its goal and whether it is met."""
    return {
        figure: {"measured": backfill[figure], "goal_below": goal, "met": backfill[figure] < goal}
        for figure, goal in THREE_YEAR_GOALS.items()
    }


def goals_line(goals: dict) -> str:
    """One line for the console: the 3-year backfill against its goals."""
    wall, growth = goals["wall_seconds"], goals["dagster_home_growth_mb"]
    return (
        f"3-year backfill of one client: {wall['measured']} s (goal < {wall['goal_below']:g} s: "
        f"{'met' if wall['met'] else 'NOT met'}), DAGSTER_HOME +{growth['measured']} MB (goal < "
        f"{growth['goal_below']:g} MB: {'met' if growth['met'] else 'NOT met'})"
    )


def main() -> dict:
    with tempfile.TemporaryDirectory(prefix="social-roi-bench-") as scratch, Sandbox(seed=7) as sandbox:
        month = history_and_tonight(sandbox, Path(scratch) / "month", MONTH_DAYS)
        month["report_seconds"] = report_seconds(Path(scratch) / "month" / "warehouse.duckdb")
        years = three_years(sandbox, Path(scratch) / "years")
    return {
        "startup": startup_seconds(),
        "memory": memory_at_scale(),
        "month": month,
        "three_years": years,
        "three_year_backfill_goals": against_goals(years["sync"]),
        "nightly_at_3_years_vs_30_days": round(years["nightly"]["wall_seconds"] / month["nightly"]["wall_seconds"], 2),
    }


def main_three_years() -> dict:
    """The 3-year case alone (`python -m benchmarks.pipeline_costs three_years`, about a minute and a half)."""
    with tempfile.TemporaryDirectory(prefix="social-roi-bench-") as scratch, Sandbox(seed=7) as sandbox:
        years = three_years(sandbox, Path(scratch) / "years")
    return {"three_years": years, "three_year_backfill_goals": against_goals(years["sync"])}


if __name__ == "__main__":
    figures = main_three_years() if sys.argv[1:] == ["three_years"] else main()
    print(json.dumps(figures, indent=2))
    print(goals_line(figures["three_year_backfill_goals"]))

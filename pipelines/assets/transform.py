"""The dbt project as Dagster assets: staging → marts, built for the run's date window only.

The models are not partitioned: a run's days reach dbt as environment variables
(DBT_RUN_FIRST_DAY, DBT_RUN_LAST_DAY, read by dbt_project/macros/date_window.sql), and Dagster records one materialization per model and run, not one per model and
day (a 3-year backfill would otherwise record tens of thousands). Only the raw tables (and the
report) are partitioned, by year and by month, for their status in the UI and its backfills
(DECISIONLOG.md, "The raw tables are partitioned by year, and a run's days travel in a tag").
"""

import contextlib
import fcntl
import functools
import importlib.metadata
import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from connectors.registry import raw_tables
from pipelines import warehouse
from pipelines.progress import report_progress
from pipelines.run_limits import warehouse_pool
from pipelines.run_window import run_dates, single_run
from pipelines.settings import (
    DBT_MAX_DATE,
    DBT_MIN_DATE,
    DBT_PROJECT_DIR,
    ScheduleSettings,
    Settings,
    local_directory,
    warehouse_location,
)
from pipelines.warehouse_writer import WarehouseWriter, lock_conflict_is_final

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# dbt's artifacts (compiled SQL, run results, partial parse) for a warehouse sit beside it, in one
# directory for every build rather than dagster-dbt's new directory per run: runs on one warehouse
# never overlap (one writer, the warehouse pool) and nothing grows without bound. dbt reuses its
# partial parse while the vars and the profile are those of the previous build; the date window is
# passed in the environment rather than in --vars, so that a new window re-parses only the files
# that read it (`dbt parse` took 2.3 s so, against 4.6 s for the whole project).
BUILD_TARGET_DIRECTORY = "dbt_target"


def _put_dbt_on_path() -> None:
    """dagster-dbt finds dbt on PATH only, its manifest preparer included. A virtual environment
    used without activation (`.venv/bin/social-roi`, `make dev`) has dbt beside the interpreter but
    not on PATH, so put that directory first."""
    beside_python = Path(sys.executable).parent
    if shutil.which("dbt") is None and (beside_python / "dbt").exists():
        os.environ["PATH"] = f"{beside_python}{os.pathsep}{os.environ.get('PATH', '')}"


@functools.cache
def prepared_manifest():
    """The manifest the asset graph is built from.

    `make` parses it whenever a dbt file changed, so importing the definitions normally only reads
    it. A checkout used without make (or a model edited since) is parsed here, once per process:
    otherwise DagsterDbtManifestNotFoundError, or a graph that lacks the new model.
    `prepare_if_dev` only acts under `dagster dev`.
    """
    _put_dbt_on_path()
    manifest = dbt_project.manifest_path
    sources = [
        path
        for path in DBT_PROJECT_DIR.rglob("*")
        if path.suffix in (".sql", ".yml", ".csv", ".md") and "target" not in path.parts
    ]

    def stale() -> bool:
        return not manifest.exists() or max(path.stat().st_mtime for path in sources) > manifest.stat().st_mtime

    if stale():
        # The project's own target/ (manifest, partial parse, log) is shared by every process of this checkout:
        # clients' syncs started together (`sync --all-clients`) parse one at a time, and only the first one.
        manifest.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(manifest.parent / ".parse.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            if stale():
                dbt_project.preparer.prepare(dbt_project)
        finally:
            os.close(descriptor)  # closing releases the lock
    dbt_project.prepare_if_dev()
    return dbt_project.manifest_path


class SocialRoiTranslator(DagsterDbtTranslator):
    """Asset keys are the warehouse's schema and table names: staging/…, marts/…, raw/…."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return "transformation"


@dbt_assets(
    manifest=prepared_manifest(),
    project=dbt_project,
    # not partitioned (see the module docstring); single_run lets `dagster asset materialize
    # --partition-range` take the models along with the raw tables in one run
    backfill_policy=single_run,
    dagster_dbt_translator=SocialRoiTranslator(
        settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    ),
    pool=warehouse_pool(),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse_writer: WarehouseWriter):
    # warehouse_writer: the warehouse is this run's alone while dbt builds (pipelines/warehouse_writer.py)
    days = run_dates(context)
    try:
        settings = Settings.from_env()
        # without days, dbt's own defaults: every day loaded
        window_environment = {DBT_MIN_DATE: days[0].isoformat(), DBT_MAX_DATE: days[1].isoformat()} if days else {}
        dbt_vars = {
            **settings.dbt_vars(),
            # the days each platform still restates: the ROI tables flag them as provisional
            "restatement_days": ScheduleSettings.from_env().restatement_days(),
        }
        paths = settings.dbt_environment()
    except ValueError as problem:
        raise dg.Failure(description=str(problem), allow_retries=False) from None
    # dbt runs as a subprocess that inherits this environment; the profile and models read it.
    os.environ.update(paths)
    # A rebuild may be the first run after an upgrade: raw tables get the columns staging reads.
    with lock_conflict_is_final(settings.warehouse):
        warehouse.ensure_raw_tables(
            warehouse_location(), [table for _, table in raw_tables()]
        )  # created private if this is the first run
    report_progress(
        context,
        f"dbt: building the models and running their tests for {f'{days[0]}..{days[1]}' if days else 'every day loaded'}",
    )
    with environment_for_the_dbt_process(window_environment):
        invocation = dbt.cli(
            ["build", "--vars", json.dumps(dbt_vars)],
            context=context,
            target_path=local_directory() / BUILD_TARGET_DIRECTORY,
        )
    yield from invocation.stream()


@contextlib.contextmanager
def environment_for_the_dbt_process(variables: Mapping[str, str]):
    """`variables` in the environment while dbt's process starts (dagster-dbt hands it a copy of ours),
    and gone after: the next run, or a test's own dbt, never inherits this run's window."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class SocialRoiDbtCli(DbtCliResource):
    """dagster-dbt's resource without two costs paid on every `dbt build` for nothing we use
    (measured with cProfile on a rebuild of three days: 4.4 s and 5.8 s of a 34 s run).

    - `_cli_version`: dagster-dbt runs `dbt --version` in a subprocess on each invocation to learn
      whether dbt is dbt-core or the Fusion engine. Ours is always the dbt-core this package pins,
      installed beside it (the lock file), whose version the package metadata gives at no cost.
    - `_initialize_dbt_core_adapter`: dagster-dbt loads the profile and opens a dbt adapter in this
      process for `fetch_row_counts()` / `fetch_column_metadata()`, which these assets do not call.
      Without it dagster-dbt passes no adapter, as it does under the Fusion engine.

    Both are private members of dagster-dbt 0.29 (pinned); tests/test_definitions.py fails if a new
    version renames them, rather than letting the savings vanish unnoticed."""

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


# DbtCliResource's own __init__ takes the DbtProject; pyright types a subclass's from its `str` field.
dbt_resource = SocialRoiDbtCli(project_dir=dbt_project)  # pyright: ignore[reportArgumentType]

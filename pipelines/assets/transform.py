"""The dbt project as Dagster assets: staging → marts, built for the materialized date window only."""

import functools
import json
import os
import shutil
import sys
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.partitions import daily_partitions, partition_dates, single_run
from pipelines.settings import DBT_PROJECT_DIR, warehouse_path

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


@functools.cache
def prepared_manifest():
    """The manifest, parsed on first use when missing (tests, CI, the CLI, a fresh clone).

    `prepare_if_dev` only acts under `dagster dev`; everything else would otherwise fail with
    DagsterDbtManifestNotFoundError.
    """
    if not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)
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
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    dagster_dbt_translator=SocialRoiTranslator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)),
    pool="warehouse",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    since, until = partition_dates(context)
    # dbt runs as a subprocess that inherits this environment; its profile reads the path from it.
    os.environ["SOCIAL_ROI_WAREHOUSE"] = str(warehouse_path())
    window = {"min_date": since.isoformat(), "max_date": until.isoformat()}
    yield from dbt.cli(["build", "--vars", json.dumps(window)], context=context).stream()


def _dbt_executable() -> str:
    """dbt from this interpreter's environment, so that `.venv/bin/python …` works unactivated."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable())

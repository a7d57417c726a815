"""Where things live on disk, read from the environment at run time."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


def warehouse_path() -> Path:
    """The DuckDB file: SOCIAL_ROI_WAREHOUSE, or data/warehouse.duckdb under the current directory."""
    path = Path(os.environ.get("SOCIAL_ROI_WAREHOUSE") or DEFAULT_WAREHOUSE).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def dagster_home() -> Path:
    """DAGSTER_HOME, or .dagster_home under the current directory, so CLI runs show up in `dagster dev`."""
    path = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path

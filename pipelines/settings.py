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
    instance_config = path / "dagster.yaml"
    if not instance_config.exists():
        # Local SQLite storage in this directory; see dagster.yaml.example for production settings.
        instance_config.write_text("telemetry:\n  enabled: false\n")
    return path


REVENUE_SOURCES = ("ga4", "platform")


def _config_file(variable: str, default: str) -> str:
    path = Path(os.environ.get(variable) or PROJECT_ROOT / default).expanduser().resolve()
    if not path.is_file():
        raise ValueError(f"{variable} points at {path}, which is not a file: create it (copy the header from {PROJECT_ROOT / default}) or unset {variable}.")
    return str(path)


def dbt_environment() -> dict[str, str]:
    """Paths dbt reads, made absolute: dbt runs in its own directory, not the user's."""
    return {
        "SOCIAL_ROI_WAREHOUSE": str(warehouse_path()),
        "SOCIAL_ROI_COST_LEDGER": _config_file("SOCIAL_ROI_COST_LEDGER", "config/cost_ledger.csv"),
        "SOCIAL_ROI_KPI_TARGETS": _config_file("SOCIAL_ROI_KPI_TARGETS", "config/kpi_targets.csv"),
    }


def reporting_vars() -> dict[str, str]:
    """The reporting settings dbt needs, validated with messages that say how to fix them."""
    currency = (os.environ.get("SOCIAL_ROI_CURRENCY") or "NOK").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"SOCIAL_ROI_CURRENCY={currency!r} is not an ISO currency code: use e.g. NOK, EUR or USD.")
    revenue_source = (os.environ.get("SOCIAL_ROI_REVENUE_SOURCE") or "ga4").strip().lower()
    if revenue_source not in REVENUE_SOURCES:
        raise ValueError(f"SOCIAL_ROI_REVENUE_SOURCE={revenue_source!r}: use ga4 (observed, deduplicated) or platform (each platform's claim).")
    margin = (os.environ.get("SOCIAL_ROI_GROSS_MARGIN") or "").strip()
    if margin:
        try:
            valid = 0 < float(margin) <= 1
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(f"SOCIAL_ROI_GROSS_MARGIN={margin!r}: give the gross margin as a share between 0 and 1, e.g. 0.45.")
    return {"reporting_currency": currency, "revenue_source": revenue_source, "gross_margin": margin}

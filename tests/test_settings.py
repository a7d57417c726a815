"""Every setting the code reads is in the README's table, and the table lists nothing the code ignores."""

import contextlib
import os
import re
import stat
from pathlib import Path

import duckdb
import pytest

from connectors.registry import PLATFORMS
from pipelines.lake import LakeError, extension_file
from pipelines.settings import (
    SETTING_NAMES,
    Settings,
    SettingsError,
    dagster_home,
    warehouse_location,
    window_setting_names,
)

ROOT = Path(__file__).resolve().parents[1]
# The first word of every setting a platform or the pipeline declares (META, INSTAGRAM, SOCIAL, ...):
# a name the code spells with one of them is a setting, whether declared or forgotten.
SETTING_PREFIXES = sorted(
    {name.split("_")[0] for platform in PLATFORMS for name in platform.setting_names}
    | {name.split("_")[0] for name in SETTING_NAMES}
)
# An environment variable name as the code spells it: a known prefix, then capitals and digits.
SETTING_LITERAL = re.compile(rf"""["']((?:{"|".join(SETTING_PREFIXES)})_[A-Z0-9_]*[A-Z0-9])["']""")


def declared_settings() -> set[str]:
    names: set[str] = set(SETTING_NAMES)
    for platform in PLATFORMS:
        names.update(platform.setting_names)
        if platform.restatement is not None:
            names.update(window_setting_names(platform.name))
    return names


def readme_settings() -> set[str]:
    """Every `NAME` in the first column of the README's settings tables."""
    names = set()
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def settings_in_code() -> set[str]:
    """Names spelled out in the connectors' and the pipeline's code (the sandbox sets them, it does not read them)."""
    files = [p for p in (ROOT / "connectors").rglob("*.py") if "sandbox" not in p.parts] + list(
        (ROOT / "pipelines").rglob("*.py")
    )
    return {name for path in files for name in SETTING_LITERAL.findall(path.read_text())}


def test_the_readme_lists_exactly_the_settings_the_code_declares():
    missing = declared_settings() - readme_settings()
    stale = readme_settings() - declared_settings()

    assert not missing, f"add these to the README's settings table: {sorted(missing)}"
    assert not stale, f"the README lists settings nothing reads: {sorted(stale)}"


def test_every_setting_the_code_spells_out_is_declared():
    undeclared = settings_in_code() - declared_settings()

    assert not undeclared, f"declare these in pipelines/settings.py or the source's setting_names: {sorted(undeclared)}"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SOCIAL_ROI_CURRENCY": "kroner"}, "SOCIAL_ROI_CURRENCY"),
        ({"SOCIAL_ROI_REVENUE_SOURCE": "tiktok"}, "SOCIAL_ROI_REVENUE_SOURCE"),
        ({"SOCIAL_ROI_GROSS_MARGIN": "45%"}, "SOCIAL_ROI_GROSS_MARGIN"),
        ({"SOCIAL_ROI_REVENUE_VAT": "25%"}, "SOCIAL_ROI_REVENUE_VAT"),
    ],
)
def test_a_reporting_setting_that_cannot_be_used_is_named_with_its_fix(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_a_missing_cost_ledger_file_is_named_with_its_fix(tmp_path):
    settings = Settings.from_env({"SOCIAL_ROI_COST_LEDGER": str(tmp_path / "nowhere.csv")})

    with pytest.raises(SettingsError, match="SOCIAL_ROI_COST_LEDGER points at .*nowhere.csv"):
        settings.dbt_environment()


def test_the_reporting_settings_reach_dbt_as_its_vars():
    settings = Settings.from_env(
        {
            "SOCIAL_ROI_CURRENCY": "eur",
            "SOCIAL_ROI_REVENUE_SOURCE": "Platform",
            "SOCIAL_ROI_GROSS_MARGIN": "0.45",
            "SOCIAL_ROI_REVENUE_VAT": "Included",
        }
    )

    assert settings.dbt_vars() == {
        "reporting_currency": "EUR",
        "revenue_source": "platform",
        "gross_margin": "0.45",
        "revenue_vat": "included",
    }


def test_a_new_dagster_home_runs_one_sync_at_a_time(tmp_path):
    import dagster as dg

    home = dagster_home({"DAGSTER_HOME": str(tmp_path / "home")})

    with dg.DagsterInstance.from_config(str(home)) as instance:
        config = instance.get_concurrency_config()
    assert config.run_queue_config.max_concurrent_runs == 1
    assert config.pool_config.default_pool_limit == 1 and config.pool_config.pool_granularity.value == "run"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(mask: int):
    """The process creating files with `mask` (0: everything world-writable unless the code says otherwise)."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_warehouse_and_dagster_home_are_readable_by_their_owner_only_whatever_the_umask(tmp_path):
    env = {
        "SOCIAL_ROI_WAREHOUSE": str(tmp_path / "new" / "data" / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "new" / "home"),
    }

    with umask(0):
        warehouse, home = warehouse_location(env), dagster_home(env)
    assert isinstance(warehouse, Path)

    assert [mode(path) for path in (tmp_path / "new", warehouse.parent, home)] == [0o700, 0o700, 0o700]
    assert mode(warehouse) == 0o600 and mode(home / "dagster.yaml") == 0o600
    with duckdb.connect(str(warehouse)) as connection:  # a database, ready for the first sync
        assert connection.execute("select count(*) from duckdb_tables()").fetchone() == (0,)


def test_a_warehouse_an_earlier_version_left_world_readable_is_made_private(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    warehouse.chmod(0o644)

    warehouse_location({"SOCIAL_ROI_WAREHOUSE": str(warehouse)})

    assert mode(warehouse) == 0o600 and mode(tmp_path) == 0o700  # pytest's own directory: left as it was


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (
            {"SOCIAL_ROI_WAREHOUSE": "ducklake:postgres:dbname=lake host=db user=roi password=hunter2"},
            "put it in PGPASSWORD or ~/.pgpass",
        ),
        ({"SOCIAL_ROI_WAREHOUSE": "ducklake:postgres:dbname=lake host=db user=roi"}, "needs SOCIAL_ROI_LAKE_DATA_PATH"),
        (
            {"SOCIAL_ROI_WAREHOUSE": "ducklake:metadata.ducklake", "SOCIAL_ROI_LAKE_DATA_PATH": "/mnt/lake"},
            "admits one machine only",
        ),
    ],
)
def test_a_lake_setting_that_cannot_work_is_refused_naming_the_fix_and_never_the_password(settings, says):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(settings)

    assert says in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_lake_is_named_with_its_catalog_and_data_and_this_machines_files_go_in_its_local_directory(tmp_path):
    settings = Settings.from_env(
        {
            "SOCIAL_ROI_WAREHOUSE": "ducklake:postgres:dbname=lake host=db user=roi",
            "SOCIAL_ROI_LAKE_DATA_PATH": "s3://agency-lake/fjord",
            "SOCIAL_ROI_LOCAL_DIR": str(tmp_path / "local"),
        }
    )

    assert (
        str(settings.warehouse)
        == "the lake ducklake:postgres:dbname=lake host=db user=roi (data in s3://agency-lake/fjord/)"
    )
    assert settings.published.parent == tmp_path / "local"


def test_the_postgres_extension_is_never_loaded_through_a_directory_another_user_may_write(tmp_path, monkeypatch):
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    shared.chmod(0o777)  # e.g. a cache under /tmp: anyone could swap the link DuckDB loads as native code
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))

    with pytest.raises(LakeError, match=f"{re.escape(str(shared))} holds the link .*chmod go-w"):
        extension_file("postgres_scanner")

    shared.chmod(0o700)
    assert extension_file("postgres_scanner").resolve().name == "postgres.duckdb_extension"

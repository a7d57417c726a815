"""Adding a platform takes what the README says: its own files and two one-line registrations.

Spotlight Ads exists only in tests/platforms/spotlight_ads/: its package (declaration, client,
sandbox) and its dbt models. The test installs it into a scratch copy of the project where the
README's "Adding a platform" puts each file, adds its line to connectors/registry.py and to
dbt_project/macros/ad_platforms.sql, and runs the real CLI there (sync, then the models) against
the sandbox, which now serves Spotlight too. Its spend and claimed purchases must reach the cost
mart, the conversions by goal and the ROI by channel, to the cent and the unit the sandbox served.
"""

import datetime as dt
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from connectors import clock
from platforms.spotlight_ads.sandbox import campaign_days  # what the copy's sandbox served

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_FILES = ROOT / "tests" / "platforms" / "spotlight_ads"
# What the copy holds of the project: the code, the dbt project and the user's config.
PROJECT_PARTS = ("connectors", "pipelines", "dbt_project", "config")
LEFT_OUT = shutil.ignore_patterns("__pycache__", "target", "logs", "dbt_packages", ".user.yml")
REGISTRATION_MACRO = Path("dbt_project/macros/ad_platforms.sql")
REGISTRATIONS = {
    Path("connectors/registry.py"): ('    "fx_rates",\n', '    "spotlight_ads",\n'),
    REGISTRATION_MACRO: (
        "        ('linkedin', 'stg_linkedin__campaign_analytics', 'linkedin_ads_analytics', 'cost_in_local_currency'),\n",
        "        ('spotlight', 'stg_spotlight__campaign_days', 'spotlight_campaign_days', 'spend'),\n",
    ),
}


def readme_adding_a_platform() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Adding a platform", 1)[1].split("\n## ", 1)[0]


def install(project: Path) -> list[Path]:
    """The platform's own files, put where the README says; returns them, relative to the project."""
    placed = {
        PLATFORM_FILES / "__init__.py": Path("connectors/spotlight_ads/__init__.py"),
        PLATFORM_FILES / "client.py": Path("connectors/spotlight_ads/client.py"),
        PLATFORM_FILES / "sandbox.py": Path("connectors/spotlight_ads/sandbox.py"),
        **{
            path: Path("dbt_project/models") / path.relative_to(PLATFORM_FILES / "dbt")
            for path in (PLATFORM_FILES / "dbt").rglob("*")
            if path.is_file()
        },
    }
    for source, target in placed.items():
        (project / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, project / target)
    return sorted(placed.values())


def register(project: Path) -> None:
    """One line added after the last entry of each list."""
    for path, (last_entry, new_entry) in REGISTRATIONS.items():
        text = (project / path).read_text(encoding="utf-8")
        assert text.count(last_entry) == 1, f"{path} no longer ends its list with {last_entry!r}"
        (project / path).write_text(text.replace(last_entry, last_entry + new_entry), encoding="utf-8")


def changes(project: Path) -> tuple[set[Path], dict[Path, list[str]]]:
    """The files only the copy has, and for each file both have, the lines that differ."""
    added, changed = set(), {}
    for path in (p for part in PROJECT_PARTS for p in (project / part).rglob("*") if p.is_file()):
        relative = path.relative_to(project)
        if "__pycache__" in relative.parts:
            continue
        original = ROOT / relative
        if not original.exists():
            added.add(relative)
        elif original.read_bytes() != path.read_bytes():
            diff = difflib.unified_diff(original.read_text().splitlines(), path.read_text().splitlines(), n=0)
            changed[relative] = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return added, changed


# Run in the copy, so that everything (the registry, the sandbox's platforms, dbt) is the copy's.
DRIVER = """
import json, os, sys
from connectors.sandbox import Sandbox
from pipelines.cli import main

with Sandbox(seed=7) as sandbox:
    # Spotlight alone: every other platform stays unconfigured and is skipped
    os.environ.update({k: v for k, v in sandbox.environment().items() if k.startswith("SPOTLIGHT_")})
    status = main(["sync", "--start", sys.argv[1], "--end", sys.argv[2]])
    print(json.dumps({"status": status, "requests": sorted(set(path for _, path in sandbox.request_log))}))
"""


def scratch_project(directory: Path) -> Path:
    """A copy of the project with Spotlight installed and registered, as the README says."""
    project = directory / "project"
    for part in PROJECT_PARTS:
        shutil.copytree(ROOT / part, project / part, ignore=LEFT_OUT)
    install(project)
    register(project)
    return project


def test_a_platform_takes_its_own_files_and_one_line_in_each_registry_as_the_readme_says(tmp_path):
    project = scratch_project(tmp_path)

    added, changed = changes(project)

    assert added == set(install(tmp_path / "elsewhere")), "the platform brings only its own files"
    assert changed == {path: ["+" + new_entry.rstrip("\n")] for path, (_, new_entry) in REGISTRATIONS.items()}, (
        "and one line in each list"
    )
    readme = readme_adding_a_platform()
    for named in [*map(str, REGISTRATIONS), "connectors/<package>/__init__.py", "connectors/<package>/client.py"]:
        assert named in readme, f"the README's 'Adding a platform' names {named}"


def test_every_registered_platform_has_the_files_the_readme_lists():
    from connectors.registry import PACKAGES, PLATFORMS

    for package, platform in zip(PACKAGES, PLATFORMS, strict=True):
        assert (ROOT / "connectors" / package / "__init__.py").is_file()
        assert (ROOT / "connectors" / package / "client.py").is_file()
        if platform.sandbox is not None:
            assert (ROOT / Path(*platform.sandbox.split("."))).with_suffix(".py").is_file(), platform.sandbox
    models = {path.stem for path in (ROOT / "dbt_project" / "models").rglob("*.sql")}
    ad_channels = re.findall(r"^\s+\('(\w+)', '(\w+)',", (ROOT / REGISTRATION_MACRO).read_text(), re.M)
    assert [channel for channel, _ in ad_channels] == ["meta", "linkedin"]
    for channel, staging_model in ad_channels:
        assert {staging_model, f"int_{channel}__campaign_day", f"int_{channel}__conversions_by_goal"} <= models


@pytest.mark.end_to_end  # a whole pipeline in a copy of the project: every model built
def test_a_platform_in_its_own_files_and_two_registration_lines_reaches_cost_conversions_and_roi(tmp_path):
    project = scratch_project(tmp_path)

    yesterday = clock.yesterday()
    since = yesterday - dt.timedelta(days=6)
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not re.match(r"(META|INSTAGRAM|LINKEDIN|GA4|GOOGLE|NORGES|SOCIAL_ROI)_", k)
        },
        "PYTHONPATH": str(project),
        clock.TODAY_SETTING: clock.today().isoformat(),
        "SOCIAL_ROI_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        # ROI on what the platforms claim: Spotlight's purchases are its only revenue here
        "SOCIAL_ROI_REVENUE_SOURCE": "platform",
    }
    ran = subprocess.run(
        [sys.executable, "-c", DRIVER, str(since), str(yesterday)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-3000:] + ran.stdout[-3000:]
    outcome = json.loads(ran.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 0, ran.stdout[-3000:]
    assert any(path.startswith("/spotlight/v1/accounts/") for path in outcome["requests"]), "the sandbox served it"

    served = campaign_days(7, since, yesterday, clock.today())
    spend = sum(Decimal(row["spend"]) for row in served)
    purchases = sum(row["purchases"] for row in served)
    value = sum(Decimal(row["purchase_value"]) for row in served)
    assert purchases > 0

    with duckdb.connect(env["SOCIAL_ROI_WAREHOUSE"], read_only=True) as warehouse:

        def one(sql: str) -> tuple:
            return warehouse.execute(sql).fetchone() or ()

        assert one("select round(sum(spend), 2) from marts.cost_daily where channel = 'spotlight'") == (spend,)
        assert one(
            "select sum(platform_conversions), round(sum(platform_conversion_value_reporting), 2) from marts.conversions_by_goal"
            " where channel = 'spotlight' and goal = 'purchase'"
        ) == (purchases, value)
        spend_roi, conversions_roi, revenue_roi, roi = one(
            "select spend, platform_conversions, revenue, roi_on_revenue from marts.roi_by_channel"
            " where channel = 'spotlight' and media_type = 'paid'"
        )
    assert (spend_roi, conversions_roi, revenue_roi) == (spend, purchases, value)
    assert roi == pytest.approx(float((value - spend) / spend), abs=1e-6), "media spend is its whole cost here"

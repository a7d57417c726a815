"""`social-roi demo`, the command `make demo` runs, as a user runs it: in a fresh directory."""

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest


@pytest.mark.end_to_end
def test_the_demo_prints_roi_and_leaves_a_warehouse_anyone_can_query(tmp_path):
    social_roi = Path(sys.executable).parent / "social-roi"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # nothing configured: the demo brings its sandbox

    finished = subprocess.run(
        [str(social_roi), "demo", "--days", "3"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    before_the_report = finished.stdout.split("ROI by channel")[0]
    assert not re.search(r"\w+Warning\b", finished.stderr + before_the_report), "no library warning reaches the console"
    assert "dbt=" not in before_the_report, "dbt's own output goes to the log file"
    progress = [line.strip() for line in before_the_report.splitlines() if line.startswith("  ")]
    assert any(line.startswith("meta ") and "pages for" in line for line in progress), (
        "one line per account as it lands"
    )
    assert any(line.startswith("linkedin ") and "rows for" in line for line in progress)
    assert progress[-2].startswith("dbt:") and progress[-1].startswith("published:"), "then dbt, then publication"
    assert "ROI by channel" in finished.stdout and "ROI by campaign" in finished.stdout
    assert "marts.roi_by_campaign" in finished.stdout
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        [(spend, roi, ga4_revenue)] = connection.execute(
            "select spend, roi, ga4_revenue from marts.roi_by_channel where channel = 'meta' and media_type = 'paid'"
        ).fetchall()
        campaigns = connection.execute("select count(*) from marts.roi_by_campaign").fetchone()[0]
    assert spend > 0 and roi is not None and ga4_revenue > 0 and campaigns >= 4
    assert (
        "claimed_value" in finished.stdout and "ga4_revenue" in finished.stdout and "over_claim" in finished.stdout
    ), "claimed and observed side by side"
    assert "linkedin" in finished.stdout and "KPI targets" in finished.stdout
    assert (tmp_path / ".dagster_home").is_dir(), "the run is recorded in a Dagster instance"
    [report] = re.findall(r"^Report: (.+\.html)$", finished.stdout, flags=re.MULTILINE)
    assert Path(report).is_file() and Path(report).stat().st_size < 3 * 1024 * 1024, "the demo's report, under 3 MB"

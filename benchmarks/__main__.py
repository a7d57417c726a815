"""`make bench`: every benchmark in one run, printed and written to benchmarks/results.json
(benchmarks/README.md says what each figure means)."""

import json
import os
import platform
from pathlib import Path

from benchmarks import agency_scale, agency_side_by_side, load_speed, pipeline_costs

RESULTS = Path(__file__).parent / "results.json"


def main() -> None:
    figures = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "load_speed": load_speed.main(),
        "pipeline_costs": pipeline_costs.main(),
        "agency_scale": agency_scale.main(),
        "agency_side_by_side": agency_side_by_side.main(),
    }
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    print(pipeline_costs.goals_line(figures["pipeline_costs"]["three_year_backfill_goals"]))
    print(f"Written to {RESULTS}")


if __name__ == "__main__":
    main()

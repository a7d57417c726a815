"""The dbt project reads in one direction: staging reads the raw tables and the config files,
intermediate models read staging, marts read the rest. A staging or intermediate model that read a
mart would see only the days the mart has stored, and what it computes could no longer be built
before the mart."""

import json
from pathlib import PurePosixPath

from pipelines.settings import DBT_PROJECT_DIR

# What `make test` parses before the suite runs (the Makefile's MANIFEST), read as dbt wrote it.
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def test_no_staging_or_intermediate_model_reads_a_mart():
    nodes = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"]
    models = {key: node for key, node in nodes.items() if node["resource_type"] == "model"}

    def layer(node: dict) -> str:
        return PurePosixPath(node["original_file_path"]).parts[1]  # models/<layer>/…

    reads_a_mart = {
        node["name"]: sorted(
            models[parent]["name"]
            for parent in node["depends_on"]["nodes"]
            if parent in models and layer(models[parent]) == "marts"
        )
        for node in models.values()
        if layer(node) in ("staging", "intermediate")
    }

    assert {layer(node) for node in models.values()} == {"staging", "intermediate", "marts"}
    assert {name: marts for name, marts in reads_a_mart.items() if marts} == {}

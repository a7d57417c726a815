"""The dbt project reads in one direction: staging reads the raw tables and the config files,
intermediate models read staging, marts read the rest. A staging or intermediate model that read a
mart would see only the days the mart has stored, and what it computes could no longer be built
before the mart."""

from pathlib import Path
from typing import TYPE_CHECKING, cast

from pipelines.settings import DBT_PROJECT_DIR

if TYPE_CHECKING:
    from dbt.contracts.graph.manifest import Manifest


def test_no_staging_or_intermediate_model_reads_a_mart(tmp_path):
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.nodes import ModelNode

    parsed = dbtRunner().invoke(
        [
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path),
            "--log-path",
            str(tmp_path),
        ]
    )
    assert parsed.success, parsed.exception
    manifest = cast("Manifest", parsed.result)  # what `dbt parse` returns
    models = {key: node for key, node in manifest.nodes.items() if isinstance(node, ModelNode)}

    def layer(node: ModelNode) -> str:
        return Path(node.original_file_path).parts[1]  # models/<layer>/…

    reads_a_mart = {
        node.name: sorted(
            models[parent].name
            for parent in node.depends_on.nodes
            if parent in models and layer(models[parent]) == "marts"
        )
        for node in models.values()
        if layer(node) in ("staging", "intermediate")
    }

    assert {layer(node) for node in models.values()} == {"staging", "intermediate", "marts"}
    assert {name: marts for name, marts in reads_a_mart.items() if marts} == {}

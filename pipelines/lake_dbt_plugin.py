"""dbt-duckdb's hook into each connection of a lake build (dbt_project/profiles.yml, target `lake`):
the extensions from the lock and the bucket's secret, before dbt-duckdb attaches the lake itself.
dbt-duckdb calls `configure_connection` before the profile's `attach` (its environments module)."""

import os

from dbt.adapters.duckdb.plugins import BasePlugin

from pipelines.lake import prepare_connection
from pipelines.settings import LAKE_DATA_PATH


class Plugin(BasePlugin):
    def configure_connection(self, conn):
        prepare_connection(conn, os.environ.get(LAKE_DATA_PATH, ""), os.environ)

    def configure_cursor(self, cursor):
        # dbt's own SQL names `warehouse` in full; the project's macros (on-run-end) name `marts.…` as
        # they do on the file, where `warehouse` is the default catalog: make it so here too.
        cursor.execute("USE warehouse")

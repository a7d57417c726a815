"""A warehouse built by an earlier version keeps working, and keeps nothing stale."""

import duckdb

from conftest import copy_of_settled, run_dbt
from warehouse_sql import query


def test_intermediate_relations_left_in_staging_by_an_earlier_version_are_dropped(settled, work_directory):
    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:  # what the version before the `intermediate` schema left behind
        connection.execute("create table staging.int_cost_ledger as select 1 as stale")
        connection.execute("create view staging.int_campaign_day as select 1 as stale")

    finished = run_dbt(["run", "--select", "int_cost_ledger"], settled.env_for(copy))

    assert finished.returncode == 0, finished.stdout[-3000:]
    leftovers = query(
        copy,
        "select table_name from information_schema.tables where table_schema = 'staging' and table_name like 'int%'",
    )
    assert leftovers == []
    assert query(copy, "select count(*) > 0 from information_schema.tables where table_schema = 'staging'") == [
        (True,)
    ], "staging models stay"

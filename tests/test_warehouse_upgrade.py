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


def test_a_warehouse_from_before_time_zones_gains_the_columns_and_keeps_every_row(settled, work_directory):
    from connectors.registry import raw_tables
    from pipelines.warehouse import ensure_raw_tables

    copy = copy_of_settled(settled, work_directory)
    with duckdb.connect(str(copy)) as connection:  # the shape the version before time zones left
        connection.execute("alter table raw.meta_ads_insights drop column account_timezone")
        connection.execute("alter table marts.cost_daily drop column time_zone")
    raw_before = query(copy, "select count(*), sum(spend) from raw.meta_ads_insights")
    last = settled.window[1]

    ensure_raw_tables(copy, [table for _, table in raw_tables()])  # what every sync and rebuild does before dbt
    # the views upstream bake in the window they were built for: build them for this one too
    finished = run_dbt(
        ["run", "--select", "+cost_daily"], settled.env_for(copy), min_date=str(last), max_date=str(last)
    )

    assert finished.returncode == 0, finished.stdout[-3000:]
    assert query(copy, "select count(*), sum(spend) from raw.meta_ads_insights") == raw_before
    assert query(copy, "select count(account_timezone) from raw.meta_ads_insights") == [(0,)], "unknown until refetched"
    zones = query(
        copy,
        "select date_day = ?, channel, list(distinct time_zone) from marts.cost_daily "
        "where channel in ('meta', 'linkedin') group by all order by all",
        last,
    )
    assert zones == [
        (False, "linkedin", [None]),
        (False, "meta", [None]),
        (True, "linkedin", ["UTC"]),
        (True, "meta", [None]),
    ], "the rebuilt day has the zones known now; the days before read NULL until rebuilt"

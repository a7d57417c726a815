{#- The first and last day this run builds. The pipeline passes them as the environment variables
    DBT_RUN_FIRST_DAY and DBT_RUN_LAST_DAY: dbt re-parses only the files that read a
    changed environment variable, where a changed var makes it parse the whole project again.
    `--vars '{min_date: ..., max_date: ...}'` serves a build run by hand. -#}
{% macro date_window_start() -%}
    {{ env_var('DBT_RUN_FIRST_DAY', var('min_date')) }}
{%- endmacro %}

{% macro date_window_end() -%}
    {{ env_var('DBT_RUN_LAST_DAY', var('max_date')) }}
{%- endmacro %}

{#- The inclusive date window this run builds: every incremental model filters on it, and its
    strategy (below) deletes exactly that window first, in the same transaction as the insert. -#}
{% macro in_date_window(column) -%}
    {{ column }} between cast('{{ date_window_start() }}' as date) and cast('{{ date_window_end() }}' as date)
{%- endmacro %}

{#- incremental_strategy='date_window' with date_column='<the model's day column>': delete the run's
    window from the mart, then append the rows built for it. The delete is part of the strategy, not
    a pre-hook, because it must come after the ALTER TABLE that on_schema_change=append_new_columns
    runs on a mart an earlier version built: DuckDB 1.5 cannot commit a transaction that changes a
    table's rows and then alters it ("another transaction has altered this table",
    duckdb/duckdb#20570, fixed after 1.5 by duckdb/duckdb#22093), while an ALTER before the DELETE
    commits. dbt runs the pre-hooks before that ALTER and the strategy after it. -#}
{% macro get_incremental_date_window_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }} where {{ in_date_window(config.require('date_column')) }};
    {{ get_incremental_append_sql(arg_dict) }}
{%- endmacro %}

{#- Intermediate models used to live in the `staging` schema. A warehouse built before they got
    their own schema still holds those relations there, frozen at their last build: drop them, so
    that nobody queries a stale copy. Runs at the start of every dbt run; a no-op once they are gone. -#}
{% macro drop_moved_intermediate_relations() -%}
    {%- if execute -%}
        {%- set leftovers = run_query(
            "select table_name, table_type from information_schema.tables"
            ~ " where table_catalog = current_database() and table_schema = 'staging' and starts_with(table_name, 'int_')"
        ) -%}
        {%- for name, kind in leftovers.rows -%}
            {%- do run_query("drop " ~ ("view" if kind == "VIEW" else "table") ~ " if exists staging.\"" ~ name ~ "\"") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- Relations an earlier version built that nothing builds any more: the four mappings that were
    seeds (now config/*.csv, read by the stg_config__* models) and the model that validated one of
    them. Left in place they would keep their old contents forever; drop them, so that nobody reads
    a stale copy. At the end of a run, and only once no view reads them any more: a view an earlier
    version built (int_ad_campaigns read seeds.campaign_objectives) stays broken until the run that
    rebuilds it, and a run of a few models, or a run that failed, may not have. A no-op once they are gone. -#}
{% macro drop_retired_relations() -%}
    {%- if execute -%}
        {%- set retired = [
            'seeds.campaign_mapping', 'seeds.channel_mapping', 'seeds.conversion_goals',
            'seeds.campaign_objectives', 'intermediate.int_campaign_mapping'
        ] -%}
        {%- set leftovers = run_query(
            "select t.table_schema, t.table_name, t.table_type from information_schema.tables as t"
            ~ " where t.table_catalog = current_database()"
            ~ " and t.table_schema || '.' || t.table_name in (" ~ quoted_list(retired) ~ ")"
            ~ " and not exists (select 1 from duckdb_views() as v where v.database_name = current_database()"
            ~ " and regexp_matches(v.sql, '\"?' || t.table_schema || '\"?\\.\"?' || t.table_name || '\"?\\b', 'i'))"
        ) -%}
        {%- for schema, name, kind in leftovers.rows -%}
            {%- do run_query("drop " ~ ("view" if kind == "VIEW" else "table") ~ " if exists " ~ schema ~ ".\"" ~ name ~ "\"") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

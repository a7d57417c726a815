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

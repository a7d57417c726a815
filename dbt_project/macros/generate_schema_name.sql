{#- Schemas are the names users type in ad-hoc SQL: `staging`, `intermediate`, `marts` — not
    dbt's default `main_staging`, `main_intermediate`, `main_marts`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}

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
    pre-hook deletes exactly that window first, in the same transaction as the insert. -#}
{% macro in_date_window(column) -%}
    {{ column }} between cast('{{ date_window_start() }}' as date) and cast('{{ date_window_end() }}' as date)
{%- endmacro %}

{% macro delete_date_window(column) -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_date_window(column) }}
    {% endif %}
{%- endmacro %}

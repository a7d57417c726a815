{#- The inclusive date window this run builds: every incremental model filters on it, and its
    pre-hook deletes exactly that window first, in the same transaction as the insert. -#}
{% macro in_date_window(column) -%}
    {{ column }} between cast('{{ var("min_date") }}' as date) and cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{% macro delete_date_window(column) -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_date_window(column) }}
    {% endif %}
{%- endmacro %}

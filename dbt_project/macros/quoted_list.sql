{% macro quoted_list(values) -%}
    {%- for value in values %}{{ sql_string(value) }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}

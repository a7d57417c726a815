{#- How campaign names and UTM values are compared: lower-case, trimmed, every run of other
    characters as one `_`. 'Black Friday 2026 - Retargeting' = 'black_friday_2026_retargeting'. -#}
{% macro normalize_utm(expression) -%}
    trim(regexp_replace(lower(trim({{ expression }})), '[^a-z0-9]+', '_', 'g'), '_')
{%- endmacro %}

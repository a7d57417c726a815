{#- `value` as a SQL string literal, its single quotes doubled: a config file under a folder such as
    /home/kari/Kari's reports/ stays one string inside read_csv('...'). -#}
{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

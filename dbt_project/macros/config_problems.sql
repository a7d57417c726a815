{#- The row checks of a config file (config/*.csv, read by the stg_config__* models): every bad row
    in one message, so that one run names all there is to fix (rows that repeat each other share
    their problem: it is named once), in the order of the file.

    config_problem_listing(name, checked): the body of a CTE with one column, `listing`; `checked`
    holds the file's rows with `file_line` and `problem` (NULL for a good row).
    stop_on_config_problems(column, listing, file): `column` as it is, or the build stops naming
    the listing and the file. -#}
{% macro config_problem_listing(name, checked) -%}
    select string_agg('{{ name }} ' || problem, '; ' order by first_line) as listing
    from (
        select problem, min(file_line) as first_line
        from {{ checked }}
        where problem is not null
        group by problem
    ) as problems
{%- endmacro %}

{% macro stop_on_config_problems(column, listing, file) -%}
    case
        when (select pl.listing from {{ listing }} as pl) is not null
            then error(
                (select pl.listing from {{ listing }} as pl)
                || ' (in ' || {{ sql_string(file) }} || '). Fix the rows and re-run.'
            )
        else {{ column }}
    end
{%- endmacro %}

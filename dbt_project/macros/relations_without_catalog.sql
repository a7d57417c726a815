{#- Every ref() and source() leaves out the catalog: "staging"."stg_meta__insights", not
    "warehouse"."staging"."stg_meta__insights". A DuckDB catalog is named after its file, and
    DuckDB 1.5 stores a view's query as written, so a view naming "warehouse" stops working in any
    copy under another name: the published copy (published.duckdb, catalog "published") answered
    'Catalog "warehouse" does not exist' for every view (duckdb/duckdb#25603; DuckDB drops the
    qualifier itself only from duckdb/duckdb#25735 on). Unqualified, a view's names resolve in its
    own catalog, whatever the file is called; a table is built in the warehouse, the default catalog. -#}
{% macro ref() -%}
    {%- do return(builtins.ref(*varargs, **kwargs).include(database=false)) -%}
{%- endmacro %}

{% macro source() -%}
    {%- do return(builtins.source(*varargs, **kwargs).include(database=false)) -%}
{%- endmacro %}

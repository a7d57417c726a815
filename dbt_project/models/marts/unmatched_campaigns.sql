{{ config(materialized='table') }}
-- What matched nothing, over every day loaded (macros/unmatched_query.sql says how each problem is
-- found; marts.unmatched_campaigns_between(start, end) gives the same for any window of days).
{{ unmatched_query("'1900-01-01'", "'2999-12-31'", unmatched_marts_as_refs()) }}

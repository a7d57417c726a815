{{ config(materialized='table') }}
-- depends_on: {{ ref('cost_daily') }}, {{ ref('conversions_daily') }}, {{ ref('engagement_daily') }}
-- depends_on: {{ ref('conversions_by_goal') }}, {{ ref('int_ad_campaigns') }}, {{ ref('audience_daily') }}
-- Rebuilt whole from the daily marts on every run: a restated or backfilled day changes totals
-- far beyond its window, and the sums are cheap. See macros/roi_query.sql for every column.
{{ roi_query('channel', false, "'1900-01-01'", "'2999-12-31'", roi_marts_as_refs()) }}

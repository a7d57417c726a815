{{ config(materialized='table') }}
-- depends_on: {{ ref('cost_daily') }}, {{ ref('conversions_daily') }}, {{ ref('engagement_daily') }}
-- depends_on: {{ ref('conversions_by_goal') }}, {{ ref('int_ad_campaigns') }}, {{ ref('audience_daily') }}
-- Two rows over every day loaded: `all paid social` (what the ad channels bought and what their
-- paid traffic returned) and `all social` (the same with their organic traffic). Rebuilt whole on
-- every run. See macros/roi_query.sql for every column.
{{ roi_query('social', false, "'1900-01-01'", "'2999-12-31'", roi_marts_as_refs()) }}

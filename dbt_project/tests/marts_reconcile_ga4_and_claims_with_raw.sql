-- Attached to ga4_traffic_by_campaign (a Dagster asset check of it): within the built window,
-- GA4 sessions, key events and revenue in the mart equal raw GA4 exactly per property and day
-- (a mapping or name match that fanned rows out would double them), and each ad platform's
-- claimed conversions in conversions_daily equal its campaign-day figures.
{{ config(meta={'dagster': {'ref': {'name': 'ga4_traffic_by_campaign'}}}) }}
with raw_ga4 as (
    select
        'ga4' as figure_of,
        property_id as scope,
        cast(date as date) as date_day,
        sum(sessions) as sessions,
        sum(key_events) as key_events,
        sum(total_revenue) as revenue
    from {{ source('raw', 'ga4_traffic') }}
    where {{ in_date_window('cast(date as date)') }}
    group by all
),

mart_ga4 as (
    select
        'ga4' as figure_of,
        property_id as scope,
        date_day,
        sum(sessions) as sessions,
        sum(key_events) as key_events,
        sum(revenue) as revenue
    from {{ ref('ga4_traffic_by_campaign') }}
    where {{ in_date_window('date_day') }}
    group by all
),

claimed_by_platform as (
    select
        'claims' as figure_of,
        channel as scope,
        date_day,
        0 as sessions,
        sum(conversions) as key_events,
        sum(conversion_value) as revenue
    from {{ ref('int_campaign_day') }}
    where {{ in_date_window('date_day') }}
    group by all
),

claimed_in_mart as (
    select
        'claims' as figure_of,
        channel as scope,
        date_day,
        0 as sessions,
        sum(platform_conversions) as key_events,
        sum(platform_conversion_value) as revenue
    from {{ ref('conversions_daily') }}
    where {{ in_date_window('date_day') }} and campaign_id is not null
    group by all
),

expected as (
    select * from raw_ga4
    union all
    select * from claimed_by_platform
),

built as (
    select * from mart_ga4
    union all
    select * from claimed_in_mart
)

select
    coalesce(e.figure_of, b.figure_of) as figure_of,
    coalesce(e.scope, b.scope) as scope,
    coalesce(e.date_day, b.date_day) as date_day,
    e.sessions as expected_sessions,
    b.sessions as built_sessions,
    e.key_events as expected_events,
    b.key_events as built_events,
    e.revenue as expected_revenue,
    b.revenue as built_revenue
from expected as e
full outer join built as b using (figure_of, scope, date_day)
where
    -- a day only one side has counts as zero on the other (LinkedIn leaves out days without delivery)
    coalesce(e.sessions, 0) <> coalesce(b.sessions, 0)
    or coalesce(e.key_events, 0) <> coalesce(b.key_events, 0)
    or coalesce(e.revenue, 0) <> coalesce(b.revenue, 0)

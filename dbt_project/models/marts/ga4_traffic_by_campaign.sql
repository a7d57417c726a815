{{ config(
    incremental_strategy='date_window',
    date_column='date_day',
) }}
-- GA4 traffic joined to the ad campaign it came from, stored day by day: the matching is
-- int_ga4__traffic_by_campaign's (which int_conversions_by_goal reads too).
select * from {{ ref('int_ga4__traffic_by_campaign') }}

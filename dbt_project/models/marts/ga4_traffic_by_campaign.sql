{{ config(
    incremental_strategy='append',
    pre_hook="{{ delete_date_window('date_day') }}",
) }}
-- GA4 traffic joined to the ad campaign it came from, stored day by day: the matching is
-- int_ga4__traffic_by_campaign's (which int_conversions_by_goal reads too).
select * from {{ ref('int_ga4__traffic_by_campaign') }}

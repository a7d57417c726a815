{{ config(materialized='table') }}
-- Follower growth per calendar month × network (all its accounts together), by the audience
-- macros (macros/audience_query.sql: the definitions the KPI targets and the report use too):
-- followers at the start (the end of the month's eve, else the month's first loaded day less its
-- net change) and at the end (the month's last loaded day), the growth rate (end − start) / start,
-- and the month's gains, losses and net growth.
--
-- A network's totals are the sum of its accounts' followers (follows of each Page, not unique
-- people). The start or end is NULL, and so the rate, unless every account of the network has
-- followers on that day.
with audience as (
    select * from {{ ref('audience_daily') }}
),

months as (
    select distinct
        cast(date_trunc('month', date_day) as date)             as window_key,
        cast(date_trunc('month', date_day) as date)             as window_start,
        last_day(date_trunc('month', date_day))                 as window_end,
        cast(null as varchar)                                   as scope
    from audience
),

by_account as (
    {{ audience_by_account('months', 'audience') }}
),

totals as (
    {{ audience_totals('by_account', ['window_key', 'network', 'channel']) }}
)

select
    window_key                                                        as month,  -- noqa: RF04
    network,
    channel,
    accounts,
    last_loaded_day,
    days_in_data,
    days_in_data < day(last_day(window_key))                          as is_partial_month,
    followers_start,
    followers_end,
    (followers_end - followers_start) / nullif(followers_start, 0)    as follower_growth_rate,
    followers_gained,
    followers_lost,
    net_follower_growth,
    engagements,
    reach_sum_of_daily_upper_bound
from totals
order by month, network

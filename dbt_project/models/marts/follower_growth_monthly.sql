{{ config(materialized='table') }}
-- Follower growth per calendar month × network (all its accounts together): followers at the
-- start (the end of the month's eve) and at the end (the month's last loaded day), the growth
-- rate (end − start) / start, and the month's gains, losses and net growth.
--
-- A network's totals are the sum of its accounts' followers (follows of each Page, not unique
-- people). The start or end is NULL, and so the rate, unless every account of the network has
-- followers on that day: a month whose eve the warehouse does not hold has no start.
with audience as (
    select * from {{ ref('audience_daily') }}
),

months as (
    select distinct
        network,
        channel,
        account_id,
        cast(date_trunc('month', date_day) as date) as month  -- noqa: RF04
    from audience
),

per_account as (
    select
        m.network,
        m.channel,
        m.account_id,
        m.month,
        eve.followers                                     as followers_start,
        arg_max_null(a.followers, a.date_day)             as followers_end,
        max(a.date_day)                                   as last_loaded_day,
        count(*)                                          as days_in_data,
        sum(a.followers_gained)                           as followers_gained,
        sum(a.followers_lost)                             as followers_lost,
        sum(a.net_follower_growth)                        as net_follower_growth,
        sum(a.engagements)                                as engagements,
        sum(a.reach_daily)                                as reach_sum_of_daily_upper_bound
    from months as m
    inner join audience as a
        on  m.network = a.network
        and m.account_id = a.account_id
        and cast(date_trunc('month', a.date_day) as date) = m.month
    left join audience as eve
        on  m.network = eve.network
        and m.account_id = eve.account_id
        and eve.date_day = m.month - 1
    group by m.network, m.channel, m.account_id, m.month, eve.followers
)

select
    month,
    network,
    channel,
    count(*)                                                          as accounts,  -- noqa: RF04
    min(last_loaded_day)                                              as last_loaded_day,
    max(days_in_data)                                                 as days_in_data,
    max(days_in_data) < day(last_day(month))                          as is_partial_month,
    case when count(followers_start) = count(*) then sum(followers_start) end as followers_start,
    case when count(followers_end) = count(*) then sum(followers_end) end     as followers_end,
    case
        when count(followers_start) = count(*) and count(followers_end) = count(*)
            then (sum(followers_end) - sum(followers_start)) / nullif(sum(followers_start), 0)
    end                                                               as follower_growth_rate,
    sum(followers_gained)                                             as followers_gained,
    sum(followers_lost)                                               as followers_lost,
    sum(net_follower_growth)                                          as net_follower_growth,
    sum(engagements)                                                  as engagements,
    sum(reach_sum_of_daily_upper_bound)                               as reach_sum_of_daily_upper_bound
from per_account
group by month, network, channel
order by month, network

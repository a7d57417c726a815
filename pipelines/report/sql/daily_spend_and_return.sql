-- Per day and ad channel, what the paid side cost (ad spend and the allocated other costs: the
-- total cost ROI divides by) and what its paid traffic returned (revenue by the warehouse's
-- revenue source, plus valued conversions): the daily parts of the paid rows of
-- marts.roi_by_channel_between, from the daily marts. Every day of the period, 0 where nothing.
with ad_channels as (
    select distinct channel, revenue_source from ad_channel_rows($start, $end)
),

days as (
    select cast(unnest(generate_series(cast($start as date), cast($end as date), interval 1 day)) as date) as date_day
),

spend as (
    select date_day, channel, sum(spend_reporting) as spend, sum(total_cost_reporting) as total_cost
    from marts.cost_daily
    where date_day between $start and $end and media_type = 'paid'
    group by all
),

revenue as (
    select
        c.date_day,
        c.channel,
        sum(case when a.revenue_source = 'ga4' then c.ga4_revenue_reporting else c.platform_conversion_value_reporting end)
            as revenue
    from marts.conversions_daily as c
    join ad_channels as a using (channel)
    where c.date_day between $start and $end and c.media_type = 'paid'
    group by all
),

valued as (
    select date_day, channel, sum(valued_conversions_value_reporting) as valued_conversions_value
    from marts.conversions_by_goal
    where date_day between $start and $end and media_type = 'paid'
    group by all
)

select
    d.date_day,
    a.channel,
    coalesce(s.spend, 0)                                                   as spend,
    coalesce(s.total_cost, 0)                                              as total_cost,
    coalesce(r.revenue, 0) + coalesce(v.valued_conversions_value, 0)      as return_value
from days as d
cross join (select distinct channel from ad_channels) as a
left join spend as s using (date_day, channel)
left join revenue as r using (date_day, channel)
left join valued as v using (date_day, channel)
order by a.channel, d.date_day

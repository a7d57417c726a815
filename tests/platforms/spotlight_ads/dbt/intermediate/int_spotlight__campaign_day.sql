-- Spotlight at campaign × day in the shape every platform's campaign-day model shares. Spotlight
-- reports no reach and no engagement: reach is unknown (NULL), engagement 0.
with claims as (
    select date_day, account_id, campaign_id, sum(conversions) as conversions, sum(conversion_value) as conversion_value
    from {{ ref('int_spotlight__conversions_by_goal') }}
    group by all
)

select
    s.date_day,
    s.channel,
    s.account_id,
    s.campaign_id,
    s.currency,
    s.time_zone,
    s.campaign_name,
    s.spend,
    s.impressions,
    s.clicks,
    s.clicks                                  as link_clicks,
    cast(null as bigint)                      as reach,
    cast(0 as double)                         as reactions,
    cast(0 as double)                         as comments,
    cast(0 as double)                         as shares,
    cast(0 as double)                         as saves,
    cast(0 as double)                         as follows,
    cast(0 as double)                         as video_views,
    cast(0 as double)                         as platform_total_engagements,
    coalesce(c.conversions, 0)                as conversions,
    coalesce(c.conversion_value, 0)           as conversion_value
from {{ ref('stg_spotlight__campaign_days') }} as s
left join claims as c using (date_day, account_id, campaign_id)
where {{ in_date_window('s.date_day') }}

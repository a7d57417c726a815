-- LinkedIn at campaign × day in the shape every platform's campaign-day model shares. Conversions
-- are int_linkedin__conversions_by_goal's (its rules' website conversions and the Lead Gen Form
-- leads the conversion goals name), summed over goals. LinkedIn has no saves.
with claims as (
    select date_day, account_id, campaign_id, sum(conversions) as conversions, sum(conversion_value) as conversion_value
    from {{ ref('int_linkedin__conversions_by_goal') }}
    group by all
)

select
    a.date_day,
    a.channel,
    a.account_id,
    a.campaign_id,
    a.currency,
    a.time_zone,
    a.campaign_name,
    a.spend,
    a.impressions,
    a.clicks,
    a.link_clicks,
    a.approximate_member_reach                as reach,
    cast(a.likes as double)                   as reactions,
    cast(a.comments as double)                as comments,
    cast(a.shares as double)                  as shares,
    cast(0 as double)                         as saves,
    cast(a.follows as double)                 as follows,
    cast(a.video_views as double)             as video_views,
    cast(a.total_engagements as double)       as platform_total_engagements,
    cast(coalesce(c.conversions, 0) as double) as conversions,
    coalesce(c.conversion_value, 0)           as conversion_value
from {{ ref('stg_linkedin__campaign_analytics') }} as a
left join claims as c using (date_day, account_id, campaign_id)
where {{ in_date_window('a.date_day') }}

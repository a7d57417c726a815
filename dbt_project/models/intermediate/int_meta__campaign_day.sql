-- Meta at campaign × day: delivery summed over ads (a no-op at campaign level), engagement action
-- types picked out of the unnested actions, and conversions as int_meta__conversions_by_goal counts
-- them (the action types the conversion goals name), summed over goals. Reach is the platform's
-- daily campaign reach only when insights were pulled at campaign level: reach of ads cannot be added.
with delivery as (
    select
        date_day, channel, account_id, campaign_id, currency, time_zone,
        max(campaign_name)                                      as campaign_name,
        sum(spend)                                              as spend,
        sum(impressions)                                        as impressions,
        sum(clicks)                                             as clicks,
        sum(link_clicks)                                        as link_clicks,
        case when bool_and(insights_level = 'campaign') then sum(reach) end as reach
    from {{ ref('stg_meta__insights') }}
    where {{ in_date_window('date_day') }}
    group by all
),

actions as (
    select
        date_day, account_id, campaign_id,
        sum(action_count) filter (where action_type = 'post_reaction')               as reactions,
        sum(action_count) filter (where action_type = 'comment')                     as comments,
        sum(action_count) filter (where action_type = 'post')                        as shares,
        sum(action_count) filter (where action_type = 'onsite_conversion.post_save') as saves,
        sum(action_count) filter (where action_type = 'video_view')                  as video_views,
        sum(action_count) filter (where action_type = 'post_engagement')             as platform_total_engagements
    from {{ ref('stg_meta__actions') }}
    where {{ in_date_window('date_day') }}
    group by all
),

claims as (
    select date_day, account_id, campaign_id, sum(conversions) as conversions, sum(conversion_value) as conversion_value
    from {{ ref('int_meta__conversions_by_goal') }}
    group by all
)

select
    d.*,
    coalesce(a.reactions, 0)                  as reactions,
    coalesce(a.comments, 0)                   as comments,
    coalesce(a.shares, 0)                     as shares,
    coalesce(a.saves, 0)                      as saves,
    cast(0 as double)                         as follows,  -- page follows are not an ad action on Meta
    coalesce(a.video_views, 0)                as video_views,
    coalesce(a.platform_total_engagements, 0) as platform_total_engagements,
    coalesce(c.conversions, 0)                as conversions,
    coalesce(c.conversion_value, 0)           as conversion_value
from delivery as d
left join actions as a using (date_day, account_id, campaign_id)
left join claims as c using (date_day, account_id, campaign_id)

-- LinkedIn at campaign × day in the shape every platform's campaign-day model shares. Which
-- conversion fields count is the `linkedin_conversion_fields` var. LinkedIn has no saves.
select
    date_day,
    channel,
    account_id,
    campaign_id,
    currency,
    time_zone,
    campaign_name,
    spend,
    impressions,
    clicks,
    link_clicks,
    approximate_member_reach                  as reach,
    cast(likes as double)                     as reactions,
    cast(comments as double)                  as comments,
    cast(shares as double)                    as shares,
    cast(0 as double)                         as saves,
    cast(follows as double)                   as follows,
    cast(video_views as double)               as video_views,
    cast(total_engagements as double)         as platform_total_engagements,
    cast(
        {%- for field in var('linkedin_conversion_fields') %}
        coalesce({{ field }}, 0){{ " +" if not loop.last }}
        {%- endfor %}
        as double
    )                                         as conversions,
    coalesce(conversion_value, 0)             as conversion_value
from {{ ref('stg_linkedin__campaign_analytics') }}
where {{ in_date_window('date_day') }}

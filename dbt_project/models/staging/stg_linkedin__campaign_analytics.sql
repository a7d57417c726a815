-- LinkedIn daily campaign analytics renamed and cast to the same vocabulary as Meta's staging.
-- LinkedIn leaves out days where every metric is zero: absent rows mean zero, not missing data.
-- Its ad accounts have no time zone: analytics days are UTC days (Fivetran's note on every ad
-- platform's zone, github.com/fivetran/dbt_ad_reporting/issues/49 and /125), hence `time_zone`.
select
    cast(date as date)                                   as date_day,
    'linkedin'                                           as channel,
    account_id,
    campaign_id,
    campaign_name,
    campaign_group,
    campaign_status,
    campaign_type,
    objective_type                                       as objective,
    cost_type,
    upper(currency)                                      as currency,
    'UTC'                                                as time_zone,
    cast(cost_in_local_currency as decimal(18, 2))       as spend,
    cast(cost_in_usd as decimal(18, 2))                  as spend_usd,
    impressions,
    clicks,
    landing_page_clicks                                  as link_clicks,
    external_website_conversions,
    one_click_leads,
    cast(conversion_value_in_local_currency as decimal(18, 2)) as conversion_value,
    likes,
    comments,
    shares,
    follows,
    total_engagements,
    video_views,
    approximate_member_reach
from {{ source('raw', 'linkedin_ads_analytics') }}

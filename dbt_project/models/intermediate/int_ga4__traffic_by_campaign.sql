-- GA4 traffic joined to the ad campaign it came from, for the built window: what the mart
-- ga4_traffic_by_campaign stores and int_conversions_by_goal reads (an intermediate model never
-- reads a mart). Grain: date × property × source × medium × utm campaign × utm id. Match order: the
-- campaign mapping (config/campaign_mapping.csv), then the campaign id in utm_id or utm_campaign,
-- then the normalised campaign name. Unmatched rows keep campaign_id null, and so does organic
-- traffic (it names its campaign in organic_campaign_id).
with traffic as (
    select * from {{ ref('int_ga4__traffic_channels') }}
),

campaigns as (
    select * from {{ ref('int_ad_campaigns') }}
),

name_keys as (
    -- a key two campaigns share matches neither (marts.unmatched_campaigns lists them)
    select * from {{ ref('int_campaign_name_keys') }}
    where campaigns_with_key = 1
),

mapping as (
    select * from {{ ref('stg_config__campaign_mapping') }}
)

select
    t.date_day,
    t.property_id,
    t.channel,
    t.source_as_sent                                              as source,
    t.medium_as_sent                                              as medium,
    t.utm_campaign,
    t.utm_id,
    t.ga4_channel_group,
    t.media_type,
    -- Only bought traffic is credited to a campaign; organic traffic that names one (a post tagged
    -- with the campaign's utm_campaign) is kept beside it in organic_campaign_id, never in its ROI.
    case when t.media_type = 'paid' then coalesce(m.campaign_id, by_id.campaign_id, by_name.campaign_id) end
        as campaign_id,
    coalesce(mapped.account_id, by_id.account_id, by_name.account_id) as account_id,
    case when t.media_type = 'organic' then coalesce(m.campaign_id, by_id.campaign_id, by_name.campaign_id) end
        as organic_campaign_id,
    case
        when m.campaign_id is not null then 'campaign_mapping'
        when by_id.campaign_id is not null then 'campaign_id'
        when by_name.campaign_id is not null then 'campaign_name'
    end                                                           as match_method,
    t.sessions,
    t.engaged_sessions,
    t.total_users,
    t.key_events,
    t.transactions,
    t.purchase_revenue,
    t.total_revenue                                               as revenue,
    t.currency,
    t.time_zone,
    t.subject_to_thresholding,
    t.data_loss_from_other_row
from traffic as t
left join mapping as m
    on m.channel = t.channel and m.utm_campaign_key = t.utm_campaign_key
left join campaigns as mapped
    on mapped.channel = t.channel and mapped.campaign_id = m.campaign_id
left join campaigns as by_id
    on by_id.channel = t.channel and by_id.campaign_id in (t.utm_id, t.utm_campaign)
left join name_keys as by_name
    on by_name.channel = t.channel and by_name.name_key = t.utm_campaign_key

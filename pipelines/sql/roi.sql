-- ROI per campaign and per channel, computed from sums over every day loaded.
-- Ratios are sums divided by sums at the reported grain; a zero denominator gives NULL.
-- Money never mixes currencies: ad money is in the account currency (part of the grain), GA4
-- money in the property currency (`ga4_currency`); a GA4-based ratio is only given when the two
-- currencies agree. total_cost is media spend for now; non-media costs join here.
-- ROI uses the platform-claimed value (`revenue_basis`); GA4-observed figures stand beside it.

create schema if not exists marts;

create or replace table marts.roi_by_campaign as
with ads as (
    select
        channel, account_id, campaign_id, currency,
        arg_max(campaign_name, date_day)     as campaign_name,
        min(date_day)                        as first_day,
        max(date_day)                        as last_day,
        sum(spend)                           as spend,
        sum(clicks)                          as clicks,
        sum(platform_conversions)            as platform_conversions,
        sum(platform_conversion_value)       as platform_conversion_value
    from marts.ad_performance_daily
    group by channel, account_id, campaign_id, currency
),

ga4 as (
    select
        channel, campaign_id,
        sum(sessions)                        as ga4_sessions,
        sum(key_events)                      as ga4_key_events,
        sum(revenue)                         as ga4_revenue,
        string_agg(distinct currency, ',')   as ga4_currency
    from marts.ga4_traffic_by_campaign
    where campaign_id is not null
    group by channel, campaign_id
)

select
    ads.channel,
    ads.account_id,
    ads.campaign_id,
    ads.campaign_name,
    ads.currency,
    ads.first_day,
    ads.last_day,
    ads.spend,
    ads.spend                                                          as total_cost,
    ads.platform_conversions,
    ads.platform_conversion_value,
    coalesce(ga4.ga4_sessions, 0)                                      as ga4_sessions,
    coalesce(ga4.ga4_key_events, 0)                                    as ga4_key_events,
    coalesce(ga4.ga4_revenue, 0)                                       as ga4_revenue,
    ga4.ga4_currency,
    'platform_claimed'                                                 as revenue_basis,
    ads.platform_conversion_value                                      as revenue,
    ads.platform_conversion_value / nullif(ads.spend, 0)               as roas,
    (ads.platform_conversion_value - ads.spend) / nullif(ads.spend, 0) as roi,
    case when ga4.ga4_currency = ads.currency then ga4.ga4_revenue / nullif(ads.spend, 0) end as ga4_roas
from ads
left join ga4 using (channel, campaign_id)
order by ads.channel, ads.account_id, ads.campaign_id;

create or replace table marts.roi_by_channel as
with ads as (
    select
        channel, currency,
        min(date_day)                        as first_day,
        max(date_day)                        as last_day,
        count(distinct campaign_id)          as campaigns,
        sum(spend)                           as spend,
        sum(platform_conversions)            as platform_conversions,
        sum(platform_conversion_value)       as platform_conversion_value
    from marts.ad_performance_daily
    group by channel, currency
),

-- All GA4 traffic of the channel, matched to a campaign or not: the channel's observed total.
ga4 as (
    select
        channel,
        sum(sessions)                        as ga4_sessions,
        sum(key_events)                      as ga4_key_events,
        sum(revenue)                         as ga4_revenue,
        string_agg(distinct currency, ',')   as ga4_currency
    from marts.ga4_traffic_by_campaign
    group by channel
)

select
    coalesce(ads.channel, ga4.channel)                                 as channel,
    ads.currency,
    ads.first_day,
    ads.last_day,
    coalesce(ads.campaigns, 0)                                         as campaigns,
    coalesce(ads.spend, 0)                                             as spend,
    coalesce(ads.spend, 0)                                             as total_cost,
    coalesce(ads.platform_conversions, 0)                              as platform_conversions,
    coalesce(ads.platform_conversion_value, 0)                         as platform_conversion_value,
    coalesce(ga4.ga4_sessions, 0)                                      as ga4_sessions,
    coalesce(ga4.ga4_key_events, 0)                                    as ga4_key_events,
    coalesce(ga4.ga4_revenue, 0)                                       as ga4_revenue,
    ga4.ga4_currency,
    'platform_claimed'                                                 as revenue_basis,
    ads.platform_conversion_value                                      as revenue,
    ads.platform_conversion_value / nullif(ads.spend, 0)               as roas,
    (ads.platform_conversion_value - ads.spend) / nullif(ads.spend, 0) as roi,
    case when ga4.ga4_currency = ads.currency then ga4.ga4_revenue / nullif(ads.spend, 0) end as ga4_roas
from ads
full outer join ga4 using (channel)
order by ads.spend desc nulls last, channel;
